import { randomBytes } from 'node:crypto';
import { MemoryMeetingRepository, type Json, type MeetingRepository, type StoredMeeting } from '@muster/db';
import { DEFAULT_SETTINGS, MeetingSettingsSchema, type MeetingSettings } from '../protocol.ts';

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
  /** The account that created or scheduled it while signed in (its host on any device), or null. */
  ownerId?: string | null;
  /**
   * A private room (a call from a chat): only these accounts may join, signed
   * in; anyone else is refused with NOT_FOUND. Held in memory only, never stored.
   */
  allowedUserIds?: readonly string[];
}

/** What goes into the repository's sealed `config` column: everything but the plain columns. */
interface SealedConfig {
  topic: string;
  passcode: string | null;
  hostKey: string;
  settings: MeetingSettings;
  lobby: boolean;
  locked: boolean;
  ownerId?: string | null;
}

/**
 * Where meeting configurations live: @muster/db's MeetingRepository (the
 * server's database, where host keys and passcodes are sealed), or its
 * in-memory twin (tests, embedding). Every call reads or writes the
 * repository: the database is the truth, and a write has committed when its
 * promise resolves.
 */
export class MeetingStore {
  readonly repository: MeetingRepository;

  constructor(repository: MeetingRepository = new MemoryMeetingRepository()) {
    this.repository = repository;
  }

  async get(id: string): Promise<MeetingConfig | undefined> {
    const stored = await this.repository.get(id);
    return stored ? fromStored(stored) : undefined;
  }

  /** Oldest first. */
  async list(): Promise<MeetingConfig[]> {
    return (await this.repository.list()).map(fromStored);
  }

  /** The meetings an account owns, oldest first. */
  async listOwnedBy(ownerId: string): Promise<MeetingConfig[]> {
    return (await this.repository.listByOwner(ownerId)).map(fromStored);
  }

  /** Inserts or replaces (the creation time of an existing meeting is kept). */
  async put(config: MeetingConfig): Promise<void> {
    const sealed: SealedConfig = {
      topic: config.topic,
      passcode: config.passcode,
      hostKey: config.hostKey,
      settings: config.settings,
      lobby: config.lobby,
      locked: config.locked,
      ...(config.ownerId ? { ownerId: config.ownerId } : {}),
    };
    await this.repository.put({ id: config.id, createdAt: config.createdAt, startsAt: config.startsAt, ownerId: config.ownerId ?? null, config: structuredClone(sealed) as unknown as Json });
  }

  /** Whether there was such a meeting. */
  delete(id: string): Promise<boolean> {
    return this.repository.delete(id);
  }
}

function fromStored(stored: StoredMeeting): MeetingConfig {
  const raw = (stored.config && typeof stored.config === 'object' && !Array.isArray(stored.config) ? stored.config : {}) as Partial<Record<keyof SealedConfig, unknown>>;
  // Settings written by an older version may lack newer keys: defaults fill them.
  const settings = MeetingSettingsSchema.partial().safeParse(raw.settings);
  return {
    id: stored.id,
    topic: typeof raw.topic === 'string' ? raw.topic : stored.id,
    createdAt: stored.createdAt,
    startsAt: stored.startsAt,
    passcode: typeof raw.passcode === 'string' ? raw.passcode : null,
    // Never empty: a missing key must not match an empty one.
    hostKey: typeof raw.hostKey === 'string' && raw.hostKey !== '' ? raw.hostKey : randomBytes(18).toString('base64url'),
    settings: { ...DEFAULT_SETTINGS, ...(settings.success ? settings.data : {}) },
    lobby: raw.lobby === true,
    locked: raw.locked === true,
    // Only meetings worth keeping are stored: API-created and scheduled ones.
    persistent: true,
    // Only an owned meeting says whose it is.
    ...(ownerOf(stored, raw) ? { ownerId: ownerOf(stored, raw) } : {}),
  };
}

function ownerOf(stored: StoredMeeting, raw: Partial<Record<keyof SealedConfig, unknown>>): string | null {
  return stored.ownerId ?? (typeof raw.ownerId === 'string' ? raw.ownerId : null);
}
