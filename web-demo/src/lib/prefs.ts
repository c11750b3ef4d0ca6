/**
 * Small user preferences kept in localStorage. Every access is guarded:
 * storage throws in some private modes and we never want that to block a join.
 */
const PREFIX = 'muster.';

export type PrefKey = 'name' | 'cameraId' | 'micId' | 'speakerId' | 'layout';

export function getPref(key: PrefKey): string | null {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function setPref(key: PrefKey, value: string | null): void {
  try {
    if (value === null || value === '') localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, value);
  } catch {
    // not persisting is fine
  }
}
