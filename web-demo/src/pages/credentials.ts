import type { JoinCredentials } from '@muster/signaling/client';
import { removeQueryParams } from '../app/router.ts';

/** Link parameters that are credentials: ?key= (host key), ?invite= (a role), ?pwd= (the passcode). */
const CREDENTIAL_PARAMS = ['key', 'invite', 'pwd'] as const;
const STORED_CREDENTIALS = 'muster.credentials.';

/**
 * The credentials a meeting link carries, read once and then removed from the
 * address bar (and so from the tab's history, bookmarks and Referer). They
 * stay in this tab's sessionStorage, so a reload still joins as host; a link
 * that carries credentials replaces what the tab had for that meeting.
 */
export function takeCredentials(roomId: string, params: URLSearchParams): JoinCredentials {
  const credentials: JoinCredentials = {};
  const hostKey = params.get('key');
  const invite = params.get('invite');
  const passcode = params.get('pwd');
  if (hostKey) credentials.hostKey = hostKey;
  if (invite) credentials.invite = invite;
  if (passcode) credentials.passcode = passcode;
  if (CREDENTIAL_PARAMS.some((name) => params.has(name))) {
    keepCredentials(roomId, credentials);
    removeQueryParams(CREDENTIAL_PARAMS);
    return credentials;
  }
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORED_CREDENTIALS + roomId) ?? 'null') as JoinCredentials | null;
    if (stored && typeof stored === 'object') {
      if (typeof stored.hostKey === 'string') credentials.hostKey = stored.hostKey;
      if (typeof stored.invite === 'string') credentials.invite = stored.invite;
      if (typeof stored.passcode === 'string') credentials.passcode = stored.passcode;
    }
  } catch {
    // No storage (some private modes) or a damaged entry: join without.
  }
  return credentials;
}

export function keepCredentials(roomId: string, credentials: JoinCredentials): void {
  try {
    if (Object.keys(credentials).length === 0) sessionStorage.removeItem(STORED_CREDENTIALS + roomId);
    else sessionStorage.setItem(STORED_CREDENTIALS + roomId, JSON.stringify(credentials));
  } catch {
    // Not kept: a reload joins without them, as before.
  }
}
