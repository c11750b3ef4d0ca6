import type { Role } from '../protocol.ts';

/** Who did it: a participant, the REST API (an operator or integration), or the server itself. */
export type AuditActor =
  | { type: 'participant'; participantId: string; name: string; role: Role }
  | { type: 'api' }
  | { type: 'system' };

export interface AuditEntry {
  at: number;
  actor: AuditActor;
  /** The control, named as the protocol request it came from (e.g. `participant.mute`). */
  action: string;
  target: { participantId: string; name: string } | null;
  details: Record<string, unknown>;
}

/** A meeting runs for hours at most; this bounds memory against a script hammering controls. */
const MAX_ENTRIES = 10_000;

/** The meeting's record of every control: who, what, to whom, and when. */
export class AuditLog {
  readonly #entries: AuditEntry[] = [];
  #dropped = 0;

  record(entry: Omit<AuditEntry, 'at'> & { at?: number }): AuditEntry {
    const full: AuditEntry = { at: entry.at ?? Date.now(), actor: entry.actor, action: entry.action, target: entry.target, details: entry.details };
    this.#entries.push(full);
    if (this.#entries.length > MAX_ENTRIES) {
      this.#entries.shift();
      this.#dropped++;
    }
    return full;
  }

  get entries(): readonly AuditEntry[] {
    return this.#entries;
  }

  /** Entries dropped from the front once the log was full. */
  get dropped(): number {
    return this.#dropped;
  }
}
