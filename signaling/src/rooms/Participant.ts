import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io';
import { constantTimeEqual } from '../util/constantTimeEqual.ts';
import type { ConsumerInfo, ParticipantInfo, Role, ServerEvents, TrackInfo, TrackSource } from '../protocol.ts';

export interface PublishedTrack extends TrackInfo {
  mid: string;
}

/**
 * A person in a room. Outlives its socket for a grace period so that a
 * client whose connection blips comes back as the same participant.
 */
export class Participant {
  readonly id = randomUUID();
  readonly resumeToken = randomBytes(24).toString('base64url');
  readonly joinedAt = Date.now();
  name: string;
  role: Role;
  socket: Socket | null;
  sendTransportId = '';
  recvTransportId = '';
  /** Producers this participant publishes, by producer id. */
  readonly tracks = new Map<string, PublishedTrack>();
  /** Consumers on this participant's subscriber transport, by consumer id. */
  readonly consumers = new Map<string, ConsumerInfo & { paused: boolean }>();
  /** Subscriber negotiation: the offer awaiting an answer, and whether another is due. */
  offerId = 0;
  pendingOfferId: number | null = null;
  pendingOfferTimer?: NodeJS.Timeout;
  renegotiationDue = false;
  disconnectTimer?: NodeJS.Timeout;
  left = false;

  constructor(options: { name: string; role: Role; socket: Socket }) {
    this.name = options.name;
    this.role = options.role;
    this.socket = options.socket;
  }

  get connected(): boolean {
    return this.socket !== null && this.socket.connected;
  }

  trackBySource(source: TrackSource): PublishedTrack | undefined {
    for (const track of this.tracks.values()) if (track.source === source) return track;
    return undefined;
  }

  hasResumeToken(token: string): boolean {
    return constantTimeEqual(token, this.resumeToken);
  }

  /** Drops all media state: tracks, consumers and any negotiation in flight. */
  forgetMedia(): void {
    this.tracks.clear();
    this.consumers.clear();
    clearTimeout(this.pendingOfferTimer);
    this.pendingOfferId = null;
    this.renegotiationDue = false;
  }

  emit<E extends keyof ServerEvents>(event: E, ...args: Parameters<ServerEvents[E]>): void {
    (this.socket?.emit as ((e: string, ...a: unknown[]) => void) | undefined)?.call(this.socket, event, ...args);
  }

  info(): ParticipantInfo {
    return {
      id: this.id,
      name: this.name,
      role: this.role,
      joinedAt: this.joinedAt,
      tracks: [...this.tracks.values()].map(({ mid: _mid, ...track }) => track),
    };
  }
}
