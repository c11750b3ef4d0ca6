import type { MeetingSettings } from '../protocol.ts';

/**
 * A meeting's configuration, apart from its live state: what a REST `POST
 * /rooms` or a schedule sets up before anyone joins. Rooms created by a first
 * join get one too, held only while the room lives.
 */
export interface MeetingConfig {
  id: string;
  topic: string;
  createdAt: number;
  /** Scheduled start, ms since epoch; informational (shown to joiners). */
  startsAt: number | null;
  passcode: string | null;
  hostKey: string;
  settings: MeetingSettings;
  lobby: boolean;
  locked: boolean;
  /**
   * Created through the API (or scheduled): kept after the room empties, and
   * its first joiner is not made host (only the host key makes a host).
   */
  persistent: boolean;
}

/** Where meeting configurations live: `InMemoryMeetingStore` (tests, embedding) or `SqliteMeetingStore` (the server's default). */
export interface MeetingStore {
  get(id: string): MeetingConfig | undefined;
  list(): MeetingConfig[];
  put(config: MeetingConfig): void;
  delete(id: string): boolean;
  /** Releases the storage (server shutdown). */
  close?(): void;
}

export class InMemoryMeetingStore implements MeetingStore {
  readonly #meetings = new Map<string, MeetingConfig>();

  get(id: string): MeetingConfig | undefined {
    const config = this.#meetings.get(id);
    return config && structuredClone(config);
  }

  list(): MeetingConfig[] {
    return [...this.#meetings.values()].map((c) => structuredClone(c));
  }

  put(config: MeetingConfig): void {
    this.#meetings.set(config.id, structuredClone(config));
  }

  delete(id: string): boolean {
    return this.#meetings.delete(id);
  }
}
