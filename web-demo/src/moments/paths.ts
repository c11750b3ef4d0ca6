/**
 * The Moments tab's addresses (pure, so they are tested without a browser):
 * the feed (`/moments?view=all|friends|mine`), the composer, the notices,
 * one post and a person's posts. app/routes.ts hands every path here first.
 */
export type MomentsRoute =
  /** The feed; which of its three views is in the query (`feedViewOf`), so switching views keeps one route. */
  | { name: 'moments' }
  | { name: 'momentsNew' }
  | { name: 'momentsNotices' }
  | { name: 'momentsPost'; momentId: string }
  | { name: 'momentsProfile'; userId: string };

export const MOMENTS_ROUTE_NAMES: readonly MomentsRoute['name'][] = ['moments', 'momentsNew', 'momentsNotices', 'momentsPost', 'momentsProfile'];

export type FeedView = 'all' | 'friends' | 'mine';
export const FEED_VIEWS: readonly FeedView[] = ['all', 'friends', 'mine'];

// The ids the server hands out: a post's (`mo` + 22 base64url characters) and a user's.
const MOMENT_ID = /^mo[A-Za-z0-9_-]{10,62}$/;
const USER_ID = /^[A-Za-z0-9_-]{6,64}$/;

/** The route for a path (no trailing slash), or null when it is not the Moments tab's. */
export function parseMomentsPath(path: string): MomentsRoute | null {
  if (path === '/moments') return { name: 'moments' };
  if (path === '/moments/new') return { name: 'momentsNew' };
  if (path === '/moments/notices') return { name: 'momentsNotices' };
  const post = /^\/moments\/p\/([^/]+)$/.exec(path);
  if (post && MOMENT_ID.test(post[1]!)) return { name: 'momentsPost', momentId: post[1]! };
  const profile = /^\/moments\/u\/([^/]+)$/.exec(path);
  if (profile && USER_ID.test(profile[1]!)) return { name: 'momentsProfile', userId: profile[1]! };
  return null;
}

export function isMomentsRoute(route: { name: string }): route is MomentsRoute {
  return (MOMENTS_ROUTE_NAMES as readonly string[]).includes(route.name);
}

/** The feed's view from the page's query (`?view=`); All when absent or unknown. */
export function feedViewOf(search: string): FeedView {
  const view = new URLSearchParams(search).get('view');
  return (FEED_VIEWS as readonly string[]).includes(view ?? '') ? (view as FeedView) : 'all';
}

export const feedPath = (view: FeedView = 'all'): string => (view === 'all' ? '/moments' : `/moments?view=${view}`);
export const composerPath = '/moments/new';
export const noticesPath = '/moments/notices';
export const postPath = (momentId: string): string => `/moments/p/${encodeURIComponent(momentId)}`;
export const profilePath = (userId: string): string => `/moments/u/${encodeURIComponent(userId)}`;
