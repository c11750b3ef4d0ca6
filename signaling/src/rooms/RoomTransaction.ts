import type { ClientRequest, Role, TrackSource, VideoQuality } from '../protocol.ts';
import type { Participant } from './Participant.ts';

/**
 * Proof of holding the room's queue, handed out only by `Room.exclusive()`:
 * joins, leaves, publishes, worker moves and host controls (or the recorder)
 * all run in that queue, one at a time, and every change that assumes it
 * (these methods, and MediaSession's) takes a transaction, so the compiler
 * checks it instead of a naming convention. A transaction used after its task
 * has finished throws.
 */
export interface RoomTransaction {
  /** Pauses or resumes the producer of `source` and remembers the choice for republished media. True if a producer changed. */
  setSourcePaused(participant: Participant, source: TrackSource, paused: boolean): Promise<boolean>;
  /** A host's mute: the server pauses the producer; `mayUnmute: false` also bars the person from unmuting until asked. */
  forceMute(target: Participant, kind: 'audio' | 'video', mayUnmute: boolean, by: string): Promise<void>;
  /** Lifts a bar on unmuting and asks the person to unmute; their client prompts. */
  askUnmute(target: Participant, kind: 'audio' | 'video', by: string): void;
  setRole(target: Participant, role: Role, by: string): void;
  /** Removes a participant; `ban` bars the identity from rejoining for the meeting's life. */
  remove(target: Participant, ban: boolean): Promise<void>;
  /** True if the hand changed. */
  setHand(target: Participant, raised: boolean): boolean;
  /** Lets waiting people in: each gets a one-time ticket to join with. Returns how many. */
  letIn(lobbyIds: string[] | 'all'): number;
  /** Turns waiting people away. Returns how many. */
  turnAway(lobbyIds: string[] | 'all', reason?: string): number;
  /** Topic, lock, lobby and settings; turning the lobby off lets everyone waiting in. */
  update(update: ClientRequest<'room.update'>): Promise<void>;
  /** A host's cap on one person's video, for everyone who receives it. */
  setVideoQuality(target: Participant, quality: VideoQuality): Promise<void>;
  setRecording(on: boolean): void;
}
