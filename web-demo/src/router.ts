/**
 * Client-side routing over the History API. The server answers every non-API
 * path with index.html, so deep links (/m/<code>) work on reload.
 */
export type Route =
  | { name: 'home' }
  | { name: 'room'; roomId: string; params: URLSearchParams }
  | { name: 'board'; boardId: string; params: URLSearchParams }
  | { name: 'notFound'; path: string };

export function parseRoute(loc: Pick<Location, 'pathname' | 'search'> = location): Route {
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'home' };
  const match = /^\/m\/([^/]+)$/.exec(path);
  if (match) {
    let roomId: string;
    try {
      roomId = decodeURIComponent(match[1]!);
    } catch {
      return { name: 'notFound', path };
    }
    return { name: 'room', roomId, params: new URLSearchParams(loc.search) };
  }
  const board = /^\/b\/([^/]+)$/.exec(path);
  if (board) {
    try {
      return { name: 'board', boardId: decodeURIComponent(board[1]!), params: new URLSearchParams(loc.search) };
    } catch {
      return { name: 'notFound', path };
    }
  }
  return { name: 'notFound', path };
}

type Listener = () => void;
const listeners = new Set<Listener>();

export function onRouteChange(listener: Listener): void {
  listeners.add(listener);
}

export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const listener of listeners) listener();
}

addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

/**
 * Takes query parameters out of the address bar without a reload, a new
 * history entry or a re-render: links carry credentials (a host key, an
 * invite, a passcode) that must not stay on screen, in the tab's history, in
 * a bookmark or a shared screenshot once the client has read them.
 */
export function removeQueryParams(names: readonly string[]): void {
  const url = new URL(location.href);
  const present = names.filter((name) => url.searchParams.has(name));
  if (present.length === 0) return;
  for (const name of present) url.searchParams.delete(name);
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
}

export function meetingPath(roomId: string): string {
  return `/m/${encodeURIComponent(roomId)}`;
}

export function meetingLink(roomId: string): string {
  return `${location.origin}${meetingPath(roomId)}`;
}
