import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io';
import { constantTimeEqual } from '@muster/kit/constant-time';
import type { ConsumerInfo, ParticipantInfo, Role, ServerEvents, TrackInfo, TrackSource, VideoQuality } from '../protocol.ts';
import type { SignedInUser } from './admission.ts';

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
  /** The person behind the participant (meeting token `sub`): what bans and private chat history follow. */
  readonly identity: string;
  socket: Socket | null;
  /** When the hand went up; null when it is down. */
  handRaisedAt: number | null = null;
  /** Kinds a host muted without letting the person unmute (until asked to, or unmuted for all). */
  readonly blocked = new Set<'audio' | 'video'>();
  /**
   * Sources held paused on the server, whoever paused them. Survives media
   * rebuilds, so a republished microphone that was muted starts muted: the
   * server never depends on the client to re-mute.
   */
  readonly mutedSources = new Set<TrackSource>();
  /**
   * A host's cap on this person's video for everyone who receives it. Like
   * `mutedSources` it outlives media rebuilds: the MediaSession applies it to
   * every consumer of this person's video, new ones included.
   */
  videoQuality: VideoQuality = 'high';
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
  /** Came with the meeting's host key, or made this ad-hoc meeting: may be shown the key (see Admission). */
  holdsHostKey = false;

  /** The signed-in account behind this participant, or null (joined by link). */
  readonly userId: string | null;
  avatar: string | null;
  readonly guest: boolean;

  constructor(options: { name: string; role: Role; socket: Socket; identity: string; user?: SignedInUser | null }) {
    this.userId = options.user?.userId ?? null;
    this.avatar = options.user?.avatar ?? null;
    this.guest = options.user ? options.user.guest : true;
    this.name = options.name;
    this.role = options.role;
    this.identity = options.identity;
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
      handRaisedAt: this.handRaisedAt,
      blocked: [...this.blocked],
      videoQuality: this.videoQuality,
      userId: this.userId,
      avatar: this.avatar,
      guest: this.guest,
    };
  }
}
