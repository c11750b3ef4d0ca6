import type { User } from '@muster/accounts/client';
import type { Route } from '../app/routes.ts';
import type { IconName } from '../ui/Icon.tsx';
import { isContactsRoute } from '../contacts/paths.ts';
import { isMomentsRoute } from '../moments/paths.ts';
import { isServiceAccountsRoute } from '../serviceAccounts/paths.ts';

/**
 * The signed-in shell's tabs: a sidebar on a desktop, a bottom tab bar on a
 * phone (the same list; CSS places it). Meetings comes first; chat and
 * contacts join the list when they exist.
 */
export type ShellTab = 'chats' | 'contacts' | 'moments' | 'meetings' | 'settings' | 'admin';

export interface TabEntry {
  id: ShellTab;
  label: string;
  href: string;
  icon: IconName;
}

export function shellTabs(user: Pick<User, 'role'>): TabEntry[] {
  const tabs: TabEntry[] = [
    { id: 'chats', label: 'Chats', href: '/chats', icon: 'chat' },
    { id: 'contacts', label: 'Contacts', href: '/contacts', icon: 'users' },
    { id: 'moments', label: 'Moments', href: '/moments', icon: 'aperture' },
    { id: 'meetings', label: 'Meetings', href: '/', icon: 'calendar' },
    // "Me": the profile and the account's settings (its id, and the test ids, stay `settings`).
    { id: 'settings', label: 'Me', href: '/settings', icon: 'settings' },
  ];
  // Others never see the console's door; its routes answer them 404 anyway.
  if (user.role === 'admin') tabs.push({ id: 'admin', label: 'Admin', href: '/admin', icon: 'shield' });
  return tabs;
}

/** The tab a route belongs to, or null when it is drawn without the shell. */
export function shellTabOf(route: Route): ShellTab | null {
  switch (route.name) {
    case 'home':
      return 'meetings';
    case 'settings':
      return 'settings';
    case 'chats':
      return 'chats';
    case 'contacts':
    case 'newFriends':
    case 'addFriend':
    case 'groupList':
    case 'blockedList':
    case 'contact':
    case 'newGroup':
    case 'group':
      return 'contacts';
    case 'admin':
      return 'admin';
    default:
      if (isMomentsRoute(route)) return 'moments';
      if (isServiceAccountsRoute(route)) return 'chats';
      return null;
  }
}

/** Routes that need a signed-in person: signed out, they go to /login and come back. */
export function needsSignIn(route: Route): boolean {
  return route.name === 'settings' || route.name === 'admin' || route.name === 'chats' || isContactsRoute(route) || isMomentsRoute(route) || isServiceAccountsRoute(route);
}

/** Routes for the signed-out: signed in, they go to the start page (or where `next` says). */
export function forSignedOut(route: Route): boolean {
  return route.name === 'login' || route.name === 'signup' || route.name === 'reset';
}
