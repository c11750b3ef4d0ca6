import { effect, signal } from '@preact/signals';
import { loadPinyin, type ContactsSnapshot, type GroupsSnapshot, type ImClient } from '@muster/im/client';
import { imClient } from '../account/im.ts';

/**
 * The Contacts tab's signals over the IM SDK's contacts and groups stores
 * (account/im.ts makes a new ImClient at each sign-in; these follow it). The
 * stores are optimistic, so views read these and call the stores' actions.
 */
const EMPTY_CONTACTS: ContactsSnapshot = { loaded: false, contacts: [], requests: [], pending: 0, blocked: null };
const EMPTY_GROUPS: GroupsSnapshot = { loaded: false, groups: [], details: {} };

export const contactsState = signal<ContactsSnapshot>(EMPTY_CONTACTS);
export const groupsState = signal<GroupsSnapshot>(EMPTY_GROUPS);
/** Bumped when pinyin has loaded: local search and sorting then work by pinyin. */
export const pinyinReady = signal(false);

/** Where the contact list was (its scroll and search), kept across visits and forgotten at each sign-in. */
export const listMemory = { scroll: 0, query: '' };

let following: ImClient | null = null;
let unfollow: (() => void) | null = null;

effect(() => {
  const client = imClient.value;
  if (client === following) return;
  unfollow?.();
  following = client;
  listMemory.scroll = 0;
  listMemory.query = '';
  if (!client) {
    contactsState.value = EMPTY_CONTACTS;
    groupsState.value = EMPTY_GROUPS;
    unfollow = null;
    return;
  }
  contactsState.value = client.contacts.snapshot;
  groupsState.value = client.groups.snapshot;
  const stops = [client.contacts.subscribe((s) => (contactsState.value = s)), client.groups.subscribe((s) => (groupsState.value = s))];
  unfollow = () => stops.forEach((stop) => stop());
});

void loadPinyin().then(() => (pinyinReady.value = true), () => undefined);

/** The signed-in client; throws when signed out (the tab is only drawn signed in). */
export function im(): ImClient {
  const client = imClient.peek();
  if (!client) throw new Error('not signed in');
  return client;
}

/** The words for a refusal, for a form's error line. */
export function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e?.code) {
    case 'NETWORK':
    case 'TIMEOUT':
      return 'No connection. Try again.';
    case 'REFUSED_BY_RECIPIENT':
      return 'This person does not accept your requests.';
    case 'ALREADY_CONTACTS':
      return 'You are already contacts.';
    case 'RATE_LIMITED':
      return 'Too many requests. Try again later.';
    case 'REQUEST_EXPIRED':
      return e.message ?? 'This request has lapsed.';
    case 'FORBIDDEN':
      return e.message ? capitalize(e.message) : 'You may not do that.';
    default:
      return e?.message ? capitalize(e.message) : 'Something went wrong.';
  }
}

function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) + (/[.!?。]$/.test(s) ? '' : '.') : s;
}
