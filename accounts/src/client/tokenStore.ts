import type { User } from '../protocol.ts';

/** The admin console's second factor: an access token that carries it, while it lasts. */
export interface Elevation {
  accessToken: string;
  /** The elevated token expires like any access token (15 minutes)… */
  accessTokenExpiresAt: number;
  /** …and the elevation itself after 30 minutes: whichever comes first ends it. */
  elevatedUntil: number;
}

/** What a signed-in device keeps between page loads. */
export interface StoredSession {
  user: User;
  accessToken: string;
  accessTokenExpiresAt: number;
  /** Single use: every refresh returns a new one, and presenting an old one signs the device out. */
  refreshToken: string;
  deviceId: string;
  elevation?: Elevation | null;
}

/**
 * Where the client keeps its tokens. The browser's is localStorage (the web
 * client's `LocalTokenStore`); tests and other hosts use memory.
 *
 * Tabs of one browser share the store, and so one refresh token that works
 * once: `exclusive` (Web Locks in a browser) lets one tab refresh at a time,
 * and `subscribe` tells the others about the new pair, so no tab presents a
 * token another has already used (which would sign the device out).
 */
export interface TokenStore {
  load(): StoredSession | null;
  save(session: StoredSession | null): void;
  /** Another holder of the store (another tab) changed it. */
  subscribe?(listener: (session: StoredSession | null) => void): () => void;
  /** Runs `task` while no other holder of the store runs one. */
  exclusive?<T>(task: () => Promise<T>): Promise<T>;
}

/** A store in memory: tests, and hosts without storage. */
export class MemoryTokenStore implements TokenStore {
  #session: StoredSession | null;
  constructor(session: StoredSession | null = null) {
    this.#session = session;
  }
  load(): StoredSession | null {
    return this.#session;
  }
  save(session: StoredSession | null): void {
    this.#session = session;
  }
}

/** Whether a value read back from storage still looks like a session (storage is outside our control). */
export function isStoredSession(value: unknown): value is StoredSession {
  const s = value as Partial<StoredSession> | null;
  return (
    !!s &&
    typeof s === 'object' &&
    typeof s.accessToken === 'string' &&
    typeof s.refreshToken === 'string' &&
    typeof s.accessTokenExpiresAt === 'number' &&
    typeof s.deviceId === 'string' &&
    !!s.user &&
    typeof s.user === 'object' &&
    typeof (s.user as User).id === 'string'
  );
}
