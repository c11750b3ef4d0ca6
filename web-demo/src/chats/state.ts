import { computed, effect, signal, type Signal } from '@preact/signals';
import type { ChatMessage, ContactsSnapshot, ConversationState, ImClient, Timeline } from '@muster/im/client';
import type { PublicProfile } from '@muster/accounts/client';
import { imClient } from '../account/im.ts';
import { groupsState } from '../contacts/state.ts';
import { accounts } from '../account/session.ts';
import { chatPath } from '../app/routes.ts';
import { messageSummary, titleWithCount, type NameOf } from './viewModel.ts';

/**
 * The Chats tab's signals over the IM SDK's conversation store: the list,
 * the total unread, one signal per opened timeline, people's names, the
 * toasts and the desktop notifications. Follows `imClient` (a new one at
 * each sign-in).
 */
export const chatList = signal<readonly ConversationState[]>([]);
export const chatsLoaded = signal(false);
export const totalUnread = signal(0);
/** The conversation on screen (no toast for it while the page is visible). */
export const activeConversation = signal<string | null>(null);
/** My contacts (names by my remarks), from the same IM client. */
export const contacts = signal<ContactsSnapshot | null>(null);
const profiles = signal<ReadonlyMap<string, PublicProfile>>(new Map());

export interface Toast {
  id: number;
  conversationId: string;
  title: string;
  body: string;
}
export const toasts = signal<readonly Toast[]>([]);

const timelines = new Map<string, Signal<Timeline>>();
const EMPTY_TIMELINE: Timeline = { messages: [], oldestSeq: 1, newestSeq: 0, hasOlder: false, loading: false };

export function timelineOf(id: string): Signal<Timeline> {
  let s = timelines.get(id);
  if (!s) timelines.set(id, (s = signal(imClient.peek()?.conversations.timeline(id) ?? EMPTY_TIMELINE)));
  return s;
}

// ------------------------------------------------------------------ names

const asked = new Set<string>();
let askTimer: ReturnType<typeof setTimeout> | undefined;

function askProfiles(): void {
  askTimer = undefined;
  const ids = [...asked].filter((id) => !profiles.peek().has(id));
  asked.clear();
  for (const id of ids) {
    void accounts.publicProfile(id).then(
      (profile) => {
        const next = new Map(profiles.peek());
        next.set(id, profile);
        profiles.value = next;
      },
      () => undefined,
    );
  }
}

/** Contacts and conversation peers by id: names are looked up per row, among thousands. */
const contactById = computed(() => new Map((contacts.value?.contacts ?? []).map((c) => [c.userId, c])));
const peerById = computed(() => new Map(chatList.value.flatMap((c) => (c.peer ? [[c.peer.id, c.peer] as const] : []))));

/** A person's name as I show it: my remark, their nickname, a contact's or a conversation peer's; fetched when unknown. */
export const nameOf: NameOf = (userId) => {
  if (userId === accounts.user?.id) return accounts.user.nickname;
  const contact = contactById.value.get(userId);
  if (contact) return contact.displayName;
  const peer = peerById.value.get(userId);
  if (peer) return peer.nickname;
  const profile = profiles.value.get(userId);
  if (profile) return profile.nickname;
  if (!profiles.peek().has(userId)) {
    asked.add(userId);
    askTimer ??= setTimeout(askProfiles, 0);
  }
  return '…';
};

export function avatarOf(userId: string): string | null {
  return contactById.value.get(userId)?.avatar?.small ?? peerById.value.get(userId)?.avatar?.small ?? profiles.value.get(userId)?.avatar?.small ?? null;
}

/** A group's photo (its 64 px path), from the groups store (my list, else an open group's details), or null. */
export function groupAvatarOf(groupId: string): string | null {
  const groups = groupsState.value;
  return (groups.groups.find((g) => g.id === groupId) ?? groups.details[groupId])?.avatar?.small ?? null;
}

// ------------------------------------------------------------------ notifications

let toastId = 0;

export function dismissToast(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

/** Asks for desktop notifications: call from a click (browsers refuse otherwise). */
export function askNotificationPermission(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  void Notification.requestPermission().catch(() => undefined);
}

export function notificationsAskable(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'default';
}

/** The app's icon (web-demo/public/icons), as the manifest and the service worker's push notifications use. */
export const NOTIFICATION_ICON = '/icons/icon-192.png';

/**
 * A system notification for a message. With a service worker controlling the
 * page it is shown through the worker's registration (Chrome on Android
 * throws on `new Notification()`; a click goes through the worker's
 * notificationclick, which opens `data.url`); otherwise `new Notification`,
 * whose click opens the chat here.
 */
function notify(title: string, body: string, conversationId: string, open: (id: string) => void): void {
  const options: NotificationOptions = { body, tag: conversationId, icon: NOTIFICATION_ICON, data: { url: chatPath(conversationId) } };
  const sw = typeof navigator !== 'undefined' ? navigator.serviceWorker : undefined;
  if (sw?.controller) {
    void sw.ready.then((registration) => registration.showNotification(title, options)).catch(() => undefined);
    return;
  }
  try {
    const n = new Notification(title, options);
    n.onclick = () => {
      focus();
      open(conversationId);
      n.close();
    };
  } catch {
    // Some browsers only allow notifications from a service worker: the title count still shows.
  }
}

function announce(message: ChatMessage, conversation: ConversationState, open: (id: string) => void): void {
  if (conversation.muted) return;
  const hidden = document.visibilityState === 'hidden';
  if (!hidden && activeConversation.peek() === conversation.id) return;
  const me = accounts.user?.id ?? null;
  const sender = nameOf(message.senderId);
  const title = conversation.kind === 'group' ? conversation.name || 'Group chat' : sender;
  const body = (conversation.kind === 'group' ? `${sender}: ` : '') + messageSummary(message, nameOf, me);
  if (hidden) {
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted') notify(title, body, conversation.id, open);
    return;
  }
  const toast: Toast = { id: ++toastId, conversationId: conversation.id, title, body };
  toasts.value = [...toasts.value.slice(-2), toast];
  setTimeout(() => dismissToast(toast.id), 5_000);
}

// ------------------------------------------------------------------ wiring

let wired = false;

/** Follows the signed-in person's IM client into the signals; once, from the first chats view (or the shell). */
export function startChats(open: (id: string) => void): void {
  if (wired) return;
  wired = true;
  const baseTitle = document.title || 'Muster';
  let offs: (() => void)[] = [];
  effect(() => {
    const client: ImClient | null = imClient.value;
    for (const off of offs) off();
    offs = [];
    for (const [id, s] of timelines) s.value = client?.conversations.timeline(id) ?? EMPTY_TIMELINE;
    chatList.value = client?.conversations.list ?? [];
    chatsLoaded.value = client?.conversations.loaded ?? false;
    totalUnread.value = client?.conversations.totalUnread ?? 0;
    contacts.value = client?.contacts.snapshot ?? null;
    if (!client) return;
    const store = client.conversations;
    offs.push(
      store.on('list', () => {
        chatList.value = store.list;
        chatsLoaded.value = store.loaded;
        totalUnread.value = store.totalUnread;
      }),
      store.on('timeline', (id) => {
        const s = timelines.get(id);
        if (s) s.value = store.timeline(id);
      }),
      store.on('incoming', (message, conversation) => announce(message, conversation, open)),
      client.contacts.subscribe((snapshot) => {
        contacts.value = snapshot;
      }),
    );
  });
  effect(() => {
    document.title = titleWithCount(baseTitle, totalUnread.value);
  });
}
