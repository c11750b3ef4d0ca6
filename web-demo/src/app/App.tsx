import { Fragment } from 'preact';
import { HomePage } from '../pages/HomePage.tsx';
import { NotFoundPage } from '../pages/NotFoundPage.tsx';
import { RoomPage } from '../pages/RoomPage.tsx';
import { lazy } from './lazy.tsx';
import { currentRoute } from './router.ts';
import type { Route } from './routes.ts';

// The board code (fabric.js, milsymbol, Yjs) is its own chunk: meetings load without it.
const BoardPage = lazy(() => import('../board/BoardPage.tsx').then((m) => m.BoardPage));

function page(route: Route) {
  switch (route.name) {
    case 'home':
      return <HomePage />;
    case 'room':
      return <RoomPage roomId={route.roomId} params={route.params} />;
    case 'board':
      return <BoardPage boardId={route.boardId} params={route.params} />;
    default:
      return <NotFoundPage />;
  }
}

/**
 * The app: one page per route. Keyed by the visit, so every navigation
 * renders its page anew and the old one's teardown runs (leaving a call,
 * releasing the camera).
 *
 * Signed out there is no shell: every page is the whole screen. The
 * signed-in shell (sidebar on a desktop, bottom tab bar on a phone, Meetings
 * its first tab) goes here, around the pages that are not full screen
 * (`isFullScreen` in app/routes.ts), with the account routes (/login, /signup, /settings,
 * /admin) added to app/routes.ts and their pages to account/ and admin/.
 */
export function App() {
  const { route, visit } = currentRoute.value;
  return <Fragment key={visit}>{page(route)}</Fragment>;
}
