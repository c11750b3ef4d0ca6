import { parseContactsPath, type ContactsRoute } from '../contacts/paths.ts';
import { parseMomentsPath, type MomentsRoute } from '../moments/paths.ts';
import { parseServiceAccountsPath, type ServiceAccountsRoute } from '../serviceAccounts/paths.ts';

/**
 * The client's URLs, parsed. Pure (a location in, a route out), so the rules
 * are tested without a browser; app/router.ts follows the real address bar.
 * The server answers every non-API path with index.html, so deep links
 * (/m/<code>, /b/<id>, /settings) work on reload.
 */
export type Route =
  | { name: 'home' }
  | { name: 'room'; roomId: string; params: URLSearchParams }
  | { name: 'board'; boardId: string; params: URLSearchParams }
  /** `?next=` is where to go once signed in (a path of this app). */
  | { name: 'login'; next: string | null }
  | { name: 'signup'; next: string | null }
  | { name: 'reset' }
  /** `/guest#<token>`: a guest's one-time link (the token stays in the fragment, which no request carries). */
  | { name: 'guest' }
  | { name: 'settings' }
  /** `/chats` (the list) and `/chats/<conversationId>` (one conversation; on a phone, its own screen). */
  | { name: 'chats'; conversationId: string | null }
  | { name: 'admin' }
  /** The Contacts tab: /contacts, /contacts/new-friends, /contacts/add, /contacts/groups, /contacts/<userId>, /groups/new, /groups/<id> (contacts/paths.ts). */
  | ContactsRoute
  /** The Moments tab (moments/paths.ts). */
  | MomentsRoute
  /** Service accounts, in the Chats tab (serviceAccounts/paths.ts). */
  | ServiceAccountsRoute
  /** `/admin/setup#<token>`: the link `npm run admin -- create-admin` prints. */
  | { name: 'adminSetup' }
  | { name: 'notFound'; path: string };

const FIXED: Record<string, Route['name']> = {
  '/reset': 'reset',
  '/guest': 'guest',
  '/settings': 'settings',
  '/admin': 'admin',
  '/admin/setup': 'adminSetup',
};

export function parseRoute(loc: Pick<Location, 'pathname' | 'search'>): Route {
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'home' };
  if (path === '/login' || path === '/signup') return { name: path.slice(1) as 'login' | 'signup', next: safeNext(new URLSearchParams(loc.search).get('next')) };
  const fixed = FIXED[path];
  if (fixed) return { name: fixed } as Route;
  const room = /^\/m\/([^/]+)$/.exec(path);
  if (room) {
    const roomId = decode(room[1]!);
    return roomId === null ? { name: 'notFound', path } : { name: 'room', roomId, params: new URLSearchParams(loc.search) };
  }
  const contacts = parseContactsPath(path);
  if (contacts) return contacts;
  const moments = parseMomentsPath(path);
  if (moments) return moments;
  const serviceAccounts = parseServiceAccountsPath(path);
  if (serviceAccounts) return serviceAccounts;
  if (path === '/chats') return { name: 'chats', conversationId: null };
  const chat = /^\/chats\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (chat) return { name: 'chats', conversationId: chat[1]! };
  const board = /^\/b\/([^/]+)$/.exec(path);
  if (board) {
    const boardId = decode(board[1]!);
    return boardId === null ? { name: 'notFound', path } : { name: 'board', boardId, params: new URLSearchParams(loc.search) };
  }
  return { name: 'notFound', path };
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * A `?next=` worth following: a path of this app, never another site
 * (`//evil.example`, `https://…`), so a crafted log-in link cannot send
 * someone elsewhere once they have signed in.
 */
export function safeNext(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null;
  if (/[\u0000-\u001f]/.test(next)) return null;
  return next;
}

/** /login, with where to come back to. */
export function loginPath(next?: string): string {
  return next && safeNext(next) && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

/**
 * Pages drawn edge to edge: a meeting or a board takes the whole screen.
 * Signed in, the start page, settings and the admin console render inside
 * the shell (account/Shell.tsx: a sidebar on a desktop, a bottom tab bar on
 * a phone); signed out, every page is the whole screen.
 */
export function isFullScreen(route: Route): boolean {
  return route.name === 'room' || route.name === 'board';
}

/** A conversation's address (the list's when null). */
export function chatPath(conversationId: string | null): string {
  return conversationId ? `/chats/${encodeURIComponent(conversationId)}` : '/chats';
}

export function meetingPath(roomId: string): string {
  return `/m/${encodeURIComponent(roomId)}`;
}
