import { Fragment } from 'preact';
import { useEffect } from 'preact/hooks';
import type { User } from '@muster/accounts/client';
import { AccountNoticeBanner, AnnouncementBanner } from '../account/AccountNotice.tsx';
import { OfflineBanner } from '../pwa/OfflineBanner.tsx';
import { CallLayer } from '../call/CallLayer.tsx';
import { GuestPage } from '../account/GuestPage.tsx';
import { LoginPage } from '../account/LoginPage.tsx';
import { MeetingsTab } from '../account/MeetingsTab.tsx';
import { ResetPage } from '../account/ResetPage.tsx';
import { currentUser } from '../account/session.ts';
import { forSignedOut, needsSignIn, shellTabOf } from '../account/shell.ts';
import { Shell } from '../account/Shell.tsx';
import { SignupPage } from '../account/SignupPage.tsx';
import { SetupPage } from '../admin/SetupPage.tsx';
import { ChatsPage } from '../chats/ChatsPage.tsx';
import { ContactsPage } from '../contacts/ContactsPage.tsx';
import { isContactsRoute } from '../contacts/paths.ts';
import { MomentsPage } from '../moments/MomentsPage.tsx';
import { isMomentsRoute } from '../moments/paths.ts';
import { ServiceAccountsPage } from '../serviceAccounts/ServiceAccountsPage.tsx';
import { isServiceAccountsRoute } from '../serviceAccounts/paths.ts';
import { HomePage } from '../pages/HomePage.tsx';
import { NotFoundPage } from '../pages/NotFoundPage.tsx';
import { RoomPage } from '../pages/RoomPage.tsx';
import { lazy } from './lazy.tsx';
import { currentRoute, navigate } from './router.ts';
import { loginPath, type Route } from './routes.ts';

// The board code (fabric.js, milsymbol, Yjs) is its own chunk: meetings load without it.
const BoardPage = lazy(() => import('../board/BoardPage.tsx').then((m) => m.BoardPage));
// Settings and the console are not the first screen anyone sees: the shell's Meetings tab loads without them.
const SettingsPage = lazy(() => import('../account/SettingsPage.tsx').then((m) => m.SettingsPage));
const AdminPage = lazy(() => import('../admin/AdminPage.tsx').then((m) => m.default));

/** Goes elsewhere at once, replacing this entry of the history (a page one may not be on). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), []);
  return null;
}

function page(route: Route, user: User | null) {
  switch (route.name) {
    case 'home':
      return user ? <MeetingsTab /> : <HomePage />;
    case 'room':
      return <RoomPage roomId={route.roomId} params={route.params} />;
    case 'board':
      return <BoardPage boardId={route.boardId} params={route.params} />;
    case 'login':
      return <LoginPage next={route.next} />;
    case 'signup':
      return <SignupPage next={route.next} />;
    case 'reset':
      return <ResetPage />;
    case 'guest':
      return <GuestPage />;
    case 'adminSetup':
      return <SetupPage />;
    case 'settings':
      return <SettingsPage />;
    case 'chats':
      return <ChatsPage conversationId={route.conversationId} />;
    case 'admin':
      return <AdminPage />;
    default:
      if (isContactsRoute(route)) return <ContactsPage route={route} />;
      if (isMomentsRoute(route)) return <MomentsPage route={route} />;
      if (isServiceAccountsRoute(route)) return <ServiceAccountsPage route={route} />;
      return <NotFoundPage />;
  }
}

/**
 * What the page is keyed by. Most pages by the visit, so every navigation
 * renders its page anew and the old one's teardown runs (leaving a meeting,
 * releasing the camera). Chats and Contacts by their tab: moving within one
 * (opening a conversation, a contact, a group's info, going back) keeps the
 * list mounted and re-renders only what changed (their inner views are keyed
 * by what they show), instead of rebuilding a list of thousands of rows on
 * every tap: measured by `npm run bench:clicks -w e2e`.
 */
function pageKey(route: Route, visit: number, signedIn: boolean): string {
  if (signedIn && route.name === 'chats') return 'tab-chats';
  if (signedIn && isContactsRoute(route)) return 'tab-contacts';
  if (signedIn && isMomentsRoute(route)) return 'tab-moments';
  return `visit-${visit}`;
}

/**
 * The app: one page per route, keyed by pageKey.
 *
 * Signed out there is no shell: every page is the whole screen, as before
 * accounts. Signed in, the start page, settings and the console render in
 * the shell (a sidebar on a desktop, a bottom tab bar on a phone); meetings
 * and boards stay edge to edge. Pages that need an account send the signed
 * out to /login (and back afterwards); /login and /signup send the signed in on.
 */
export function App() {
  const { route, visit } = currentRoute.value;
  const user = currentUser.value;
  let content;
  if (user && forSignedOut(route)) content = <Redirect to={((route.name === 'login' || route.name === 'signup') && route.next) || '/'} />;
  else if (!user && needsSignIn(route)) content = <Redirect to={loginPath(location.pathname)} />;
  else {
    const tab = user ? shellTabOf(route) : null;
    content =
      tab && user ? (
        <Shell tab={tab} user={user}>
          {page(route, user)}
        </Shell>
      ) : (
        page(route, user)
      );
  }
  return (
    <>
      <Fragment key={pageKey(route, visit, user !== null)}>
        {content}
        {user && <AccountNoticeBanner />}
        {user && <AnnouncementBanner />}
        {user && <OfflineBanner />}
      </Fragment>
      {/* Outside the visit's key: a call (ringing, or minimised while chatting) lives on across pages. */}
      {user && <CallLayer />}
    </>
  );
}
