/** A JSON value: what a sealed configuration may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A stored meeting: the configuration is one sealed JSON document (topic,
 * passcode, host key, settings…: see @muster/signaling's MeetingConfig); the
 * plain columns are only what queries need.
 */
export interface StoredMeeting<C extends Json = Json> {
  id: string;
  createdAt: number;
  updatedAt: number;
  /** Scheduled start (ms), or null. */
  startsAt: number | null;
  /** The account that owns the meeting (plain, so "my meetings" is a query); absent when none. */
  ownerId?: string | null;
  config: C;
}

export type MeetingInput<C extends Json = Json> = Omit<StoredMeeting<C>, 'updatedAt'> & { updatedAt?: number };

/** API-created and scheduled meetings. Implementations: SqlMeetingRepository (SQLite, PostgreSQL), MemoryMeetingRepository. */
export interface MeetingRepository {
  get(id: string): Promise<StoredMeeting | null>;
  /** Inserts or replaces (createdAt of an existing meeting is kept). */
  put(meeting: MeetingInput): Promise<void>;
  /** Oldest first (created_at, then id). */
  list(): Promise<StoredMeeting[]>;
  /** The meetings an account owns, oldest first. */
  listByOwner(ownerId: string): Promise<StoredMeeting[]>;
  /** Whether there was such a meeting. */
  delete(id: string): Promise<boolean>;
}
