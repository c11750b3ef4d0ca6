import type { Json } from './MeetingRepository.ts';

/**
 * A stored recording description: the recorder's RecordingInfo (state, hosts,
 * who started it, the manifest with participants' names) as one sealed JSON
 * document; the start time is plain, for ordering. The media files are not
 * here: they stay in the recordings directory.
 */
export interface StoredRecording<I extends Json = Json> {
  id: string;
  /** When the recording started (ms). */
  startedAt: number;
  info: I;
}

/** Recording descriptions. Implementations: SqlRecordingRepository (SQLite, PostgreSQL), MemoryRecordingRepository. */
export interface RecordingRepository {
  get(id: string): Promise<StoredRecording | null>;
  /** Inserts or replaces (a recording's description is saved at every change). */
  put(recording: StoredRecording): Promise<void>;
  /** Oldest first (started_at, then id). */
  list(): Promise<StoredRecording[]>;
  /** Whether there was such a recording. */
  delete(id: string): Promise<boolean>;
}
