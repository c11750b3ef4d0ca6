import { signal } from '@preact/signals';
import { meetingPath, parseRoute, type Route } from './routes.ts';

export { meetingPath, type Route } from './routes.ts';

/**
 * Where the app is: the route, and which visit of it this is. `visit` changes
 * on every navigation, the same URL included, so App renders the page anew
 * each time (a page's teardown leaves its call), as a click on a link would.
 */
export const currentRoute = signal<{ route: Route; visit: number }>({ route: parseRoute(location), visit: 0 });

function follow(): void {
  currentRoute.value = { route: parseRoute(location), visit: currentRoute.peek().visit + 1 };
}

/** Client-side navigation over the History API. */
export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  follow();
}

addEventListener('popstate', follow);

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

export function meetingLink(roomId: string): string {
  return `${location.origin}${meetingPath(roomId)}`;
}
