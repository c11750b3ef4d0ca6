import type { MeetingInput, MeetingRepository, StoredMeeting } from './MeetingRepository.ts';

/** Tests and embedding: the same contract as the SQL repository, in a Map (values are copied in and out). */
export class MemoryMeetingRepository implements MeetingRepository {
  readonly #meetings = new Map<string, StoredMeeting>();

  async get(id: string): Promise<StoredMeeting | null> {
    const meeting = this.#meetings.get(id);
    return meeting ? structuredClone(meeting) : null;
  }

  async put(meeting: MeetingInput): Promise<void> {
    const existing = this.#meetings.get(meeting.id);
    const { ownerId, ...rest } = meeting;
    const stored: StoredMeeting = { ...rest, createdAt: existing?.createdAt ?? meeting.createdAt, updatedAt: meeting.updatedAt ?? Date.now() };
    if (ownerId) stored.ownerId = ownerId;
    this.#meetings.set(meeting.id, structuredClone(stored));
  }

  async listByOwner(ownerId: string): Promise<StoredMeeting[]> {
    return (await this.list()).filter((m) => m.ownerId === ownerId);
  }

  async list(): Promise<StoredMeeting[]> {
    return [...this.#meetings.values()].sort((a, b) => a.createdAt - b.createdAt || compare(a.id, b.id)).map((m) => structuredClone(m));
  }

  async delete(id: string): Promise<boolean> {
    return this.#meetings.delete(id);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
