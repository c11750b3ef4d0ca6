import { isStoredSession, type StoredSession, type TokenStore } from '@muster/accounts/client';

const KEY = 'muster.session';
const LOCK = 'muster.session.refresh';

/**
 * The browser's token store: localStorage, so a reload and every tab of this
 * browser stay signed in as the same device. Tabs share one refresh token,
 * and a refresh token works once (presented again, the server signs the
 * device out): Web Locks let one tab refresh at a time, and the storage
 * event hands the new pair to the others.
 */
export class LocalTokenStore implements TokenStore {
  load(): StoredSession | null {
    try {
      const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as unknown;
      return isStoredSession(value) ? value : null;
    } catch {
      // No storage (some private modes) or a damaged entry: signed out.
      return null;
    }
  }

  save(session: StoredSession | null): void {
    try {
      if (session) localStorage.setItem(KEY, JSON.stringify(session));
      else localStorage.removeItem(KEY);
    } catch {
      // Not kept: this tab stays signed in until it is closed.
    }
  }

  subscribe(listener: (session: StoredSession | null) => void): () => void {
    // Fired in the other tabs only, never in the one that wrote.
    const onStorage = (event: StorageEvent) => {
      if (event.key === KEY || event.key === null) listener(this.load());
    };
    addEventListener('storage', onStorage);
    return () => removeEventListener('storage', onStorage);
  }

  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    // Without Web Locks (older browsers, plain http on some): one tab at a time is then only likely, not sure.
    return locks ? (locks.request(LOCK, task) as Promise<T>) : task();
  }
}
