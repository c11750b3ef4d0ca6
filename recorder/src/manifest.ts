/**
 * What a recording is, as stored and as the REST API returns it. The
 * manifest is the timeline: offsets are milliseconds from the recording's
 * start, so a player or a later re-composition places every track exactly.
 */

export type RecordingState =
  /** ffmpeg is writing the tracks. */
  | 'recording'
  /** Stopped; the composite is being encoded. */
  | 'processing'
  /** Done: the composite and the per-track files can be downloaded. */
  | 'ready'
  /** Nothing playable came of it (see `error`). */
  | 'failed';

export interface ManifestParticipant {
  participantId: string;
  name: string;
  /** When the participant was first seen in the recording (ms from its start). */
  joinedAtMs: number;
  /** When they left, or null if still there at the end. */
  leftAtMs: number | null;
}

/** One run of ffmpeg on one track: a new part starts when ffmpeg had to be restarted. */
export interface TrackPart {
  /** The first packet ffmpeg received (ms from the recording's start); null until it is known. */
  startMs: number | null;
  endMs: number | null;
  /** Segment files, in order (WebM, stream-copied). */
  files: string[];
  /**
   * How the part ended: null while running, 'stopped', 'producer-closed',
   * 'media-worker-lost' (the track goes on in the next part, from the
   * producer on the room's new media worker), or what went wrong.
   */
  endReason: string | null;
  /** The producer this part recorded, when not the track's own: after the room moved to another media worker. */
  producerId?: string;
}

/**
 * One published track of one participant (their camera, microphone or
 * screen): parts follow one another when ffmpeg was restarted or the meeting
 * moved to another media worker (then with the new producer's id).
 */
export interface ManifestTrack {
  trackId: string;
  /** The producer the track started with. */
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  /** camera, microphone, screen, … */
  source: string;
  codec: string;
  /** 'unsupported': a codec the recorder cannot store (not VP8, VP9, AV1 or Opus); the track is listed but not recorded. */
  status: 'recording' | 'ended' | 'unsupported' | 'failed';
  parts: TrackPart[];
}

export interface Manifest {
  version: 1;
  participants: ManifestParticipant[];
  tracks: ManifestTrack[];
  composite: {
    file: string;
    layout: 'grid';
    width: number;
    height: number;
    /** CPU seconds ffmpeg spent encoding it (see recorder/README.md). */
    cpuSeconds: number | null;
  } | null;
}

export interface RecordingInfo {
  id: string;
  roomId: string;
  state: RecordingState;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  /** Who started it: a participant's name, or 'api'. */
  startedBy: string;
  /**
   * The meeting session that made it (a room id is reused; a session is not),
   * and who may see it without the API token: opaque keys of that session's
   * hosts, which the meeting side adds as the session goes on. Recordings made
   * before sessions existed have neither, and only the API reaches them.
   */
  sessionId?: string | null;
  hosts?: string[];
  /** Several app hosts: the host whose disk holds the files (its relay URL); absent when made on a single host. */
  filesAt?: string;
  compose: 'live' | 'after';
  /** Problems during the recording (a track's ffmpeg died, the disk filled), newest last. */
  problems: { at: number; code: RecordingProblemCode; message: string }[];
  error: string | null;
  manifest: Manifest;
}

/** MEDIA_MOVED: a notice, not a failure: the media worker died, the meeting moved, the recording goes on. */
export type RecordingProblemCode = 'TRACK_FAILED' | 'DISK_FULL' | 'COMPOSITE_FAILED' | 'MEDIA_MOVED';

/** The list entry of the REST API: everything but the manifest's detail. */
export function summaryOf(info: RecordingInfo) {
  return {
    id: info.id,
    roomId: info.roomId,
    state: info.state,
    startedAt: info.startedAt,
    endedAt: info.endedAt,
    durationMs: info.durationMs,
    startedBy: info.startedBy,
    sessionId: info.sessionId ?? null,
    compose: info.compose,
    participants: info.manifest.participants.length,
    tracks: info.manifest.tracks.length,
    hasComposite: info.manifest.composite !== null,
    problems: info.problems,
    error: info.error,
  };
}

export type RecordingSummary = ReturnType<typeof summaryOf>;
