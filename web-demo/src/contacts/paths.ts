/**
 * The Contacts tab's addresses (pure, so they are tested without a browser):
 * the list, "New friends", adding a friend, my groups, a contact's page, a
 * group's info and a new group. app/routes.ts hands these paths here.
 */
export type ContactsRoute =
  | { name: 'contacts' }
  | { name: 'newFriends' }
  | { name: 'addFriend' }
  | { name: 'groupList' }
  | { name: 'blockedList' }
  | { name: 'contact'; userId: string }
  | { name: 'newGroup' }
  | { name: 'group'; groupId: string };

export const CONTACTS_ROUTE_NAMES: readonly ContactsRoute['name'][] = ['contacts', 'newFriends', 'addFriend', 'groupList', 'blockedList', 'contact', 'newGroup', 'group'];

const FIXED: Record<string, ContactsRoute> = {
  '/contacts': { name: 'contacts' },
  '/contacts/new-friends': { name: 'newFriends' },
  '/contacts/add': { name: 'addFriend' },
  '/contacts/groups': { name: 'groupList' },
  '/contacts/blocked': { name: 'blockedList' },
  '/groups/new': { name: 'newGroup' },
};

// The ids the server hands out: user ids and conversation (group) ids.
const ID = /^[A-Za-z0-9_-]{6,64}$/;

/** The route for a path (no trailing slash), or null when it is not the Contacts tab's. */
export function parseContactsPath(path: string): ContactsRoute | null {
  const fixed = FIXED[path];
  if (fixed) return { ...fixed };
  const contact = /^\/contacts\/([^/]+)$/.exec(path);
  if (contact && ID.test(contact[1]!)) return { name: 'contact', userId: contact[1]! };
  const group = /^\/groups\/([^/]+)$/.exec(path);
  if (group && ID.test(group[1]!)) return { name: 'group', groupId: group[1]! };
  return null;
}

export function isContactsRoute(route: { name: string }): route is ContactsRoute {
  return (CONTACTS_ROUTE_NAMES as readonly string[]).includes(route.name);
}

export const contactPath = (userId: string): string => `/contacts/${encodeURIComponent(userId)}`;
export const groupPath = (groupId: string): string => `/groups/${encodeURIComponent(groupId)}`;
export const chatPath = (conversationId: string): string => `/chats/${encodeURIComponent(conversationId)}`;
