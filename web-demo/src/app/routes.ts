/**
 * The client's URLs, parsed. Pure (a location in, a route out), so the rules
 * are tested without a browser; app/router.ts follows the real address bar.
 * The server answers every non-API path with index.html, so deep links
 * (/m/<code>, /b/<id>) work on reload.
 */
export type Route =
  | { name: 'home' }
  | { name: 'room'; roomId: string; params: URLSearchParams }
  | { name: 'board'; boardId: string; params: URLSearchParams }
  | { name: 'notFound'; path: string };

export function parseRoute(loc: Pick<Location, 'pathname' | 'search'>): Route {
  const path = loc.pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'home' };
  const room = /^\/m\/([^/]+)$/.exec(path);
  if (room) {
    const roomId = decode(room[1]!);
    return roomId === null ? { name: 'notFound', path } : { name: 'room', roomId, params: new URLSearchParams(loc.search) };
  }
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
 * Pages drawn edge to edge: a meeting or a board takes the whole screen. When
 * accounts arrive, the other pages render inside the signed-in shell (a
 * sidebar on a desktop, a bottom tab bar on a phone, Meetings its first tab);
 * signed out, every page is the whole screen, as now.
 */
export function isFullScreen(route: Route): boolean {
  return route.name === 'room' || route.name === 'board';
}

export function meetingPath(roomId: string): string {
  return `/m/${encodeURIComponent(roomId)}`;
}
