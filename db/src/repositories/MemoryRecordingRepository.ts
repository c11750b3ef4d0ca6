import type { RecordingRepository, StoredRecording } from './RecordingRepository.ts';

/** Tests and embedding: the same contract as the SQL repository, in a Map (values are copied in and out). */
export class MemoryRecordingRepository implements RecordingRepository {
  readonly #recordings = new Map<string, StoredRecording>();

  async get(id: string): Promise<StoredRecording | null> {
    const recording = this.#recordings.get(id);
    return recording ? structuredClone(recording) : null;
  }

  async put(recording: StoredRecording): Promise<void> {
    this.#recordings.set(recording.id, structuredClone(recording));
  }

  async list(): Promise<StoredRecording[]> {
    return [...this.#recordings.values()].sort((a, b) => a.startedAt - b.startedAt || compare(a.id, b.id)).map((r) => structuredClone(r));
  }

  async delete(id: string): Promise<boolean> {
    return this.#recordings.delete(id);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
