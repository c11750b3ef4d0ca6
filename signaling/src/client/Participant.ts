import type { ParticipantInfo, Role, TrackInfo, TrackSource, VideoQuality } from '../protocol.ts';

/** A track received from another participant through the SFU. */
export interface RemoteTrack {
  /** Consumer id on the server. */
  sid: string;
  /** The publisher's producer id (TrackInfo.id). */
  trackId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: TrackSource;
  mediaStreamTrack: MediaStreamTrack;
}

/** Someone in the room, as this client sees them. */
export class Participant {
  readonly id: string;
  name: string;
  role: Role;
  joinedAt: number;
  /** What the participant publishes, as the server describes it (including muted state). */
  publications: TrackInfo[];
  /** When the hand went up; null when down. */
  handRaisedAt: number | null;
  /** Kinds a host muted without letting this person unmute. */
  blocked: ('audio' | 'video')[];
  /** A host's cap on this person's video for everyone (`high`: none). */
  videoQuality: VideoQuality;
  /** The account of a signed-in participant; null for a link joiner. */
  userId: string | null;
  /** Path of a signed-in participant's avatar (64 px), or null. */
  avatar: string | null;
  /** Joined by link without an account, or with a guest account. */
  guest: boolean;

  constructor(info: ParticipantInfo) {
    this.id = info.id;
    this.name = info.name;
    this.role = info.role;
    this.joinedAt = info.joinedAt;
    this.publications = info.tracks;
    this.handRaisedAt = info.handRaisedAt ?? null;
    this.blocked = info.blocked ?? [];
    this.videoQuality = info.videoQuality ?? 'high';
    // A server from before accounts sends none of these: nobody is marked a guest then.
    this.userId = info.userId ?? null;
    this.avatar = info.avatar ?? null;
    this.guest = info.guest ?? false;
  }

  update(info: ParticipantInfo): void {
    this.name = info.name;
    this.role = info.role;
    this.publications = info.tracks;
    this.handRaisedAt = info.handRaisedAt ?? null;
    this.blocked = info.blocked ?? [];
    this.videoQuality = info.videoQuality ?? 'high';
    this.userId = info.userId ?? null;
    this.avatar = info.avatar ?? null;
    this.guest = info.guest ?? false;
  }

  get isModerator(): boolean {
    return this.role === 'host' || this.role === 'co-host';
  }

  publication(source: TrackSource): TrackInfo | undefined {
    return this.publications.find((t) => t.source === source);
  }

  isMuted(source: TrackSource): boolean {
    const publication = this.publication(source);
    return !publication || publication.paused;
  }
}

export class RemoteParticipant extends Participant {
  /** Subscribed tracks by consumer id. */
  readonly tracks = new Map<string, RemoteTrack>();

  track(source: TrackSource): RemoteTrack | undefined {
    for (const track of this.tracks.values()) if (track.source === source) return track;
    return undefined;
  }
}

export class LocalParticipant extends Participant {}
