import { signal } from '@preact/signals';
import { AccountClient, longlink, watchAccount, type AccountNotice, type SignedOutReason, type User } from '@muster/accounts/client';
import { navigate } from '../app/router.ts';
import { signedOutMessage } from './errors.ts';
import { startIm } from './im.ts';
import { LocalTokenStore } from './tokenStore.ts';

/**
 * The signed-in person, for the whole app: one AccountClient (the
 * framework-free SDK) and signals the views read. Signed out, `currentUser`
 * is null and the app looks as it did before accounts.
 */
export const accounts = new AccountClient({ store: new LocalTokenStore() });

export const currentUser = signal<User | null>(accounts.user);
/** What /login says on arrival: why this device was signed out. */
export const signInNotice = signal<string | null>(null);
/** An account notice for the signed-in person (a lock-out after wrong passwords elsewhere). */
export const accountNotice = signal<AccountNotice | null>(null);
/** The organisation's latest announcement to everyone connected (`POST /api/v1/announcements`), until dismissed. */
export const announcement = signal<{ id: string; text: string; sentAt: number } | null>(null);

let started = false;

/** Wires the client to the signals and opens the `/account` socket while signed in. Once, from main.tsx. */
export function startAccount(): void {
  if (started) return;
  started = true;
  accounts.on('signedIn', (user) => {
    currentUser.value = user;
    signInNotice.value = null;
  });
  accounts.on('userChanged', (user) => {
    currentUser.value = user;
  });
  accounts.on('signedOut', (reason: SignedOutReason) => {
    currentUser.value = null;
    accountNotice.value = null;
    if (reason === 'logout') return;
    // The server ended this device's session: say why on the log-in page.
    signInNotice.value = signedOutMessage(reason);
    navigate('/login', { replace: true });
  });
  accounts.on('notice', (notice) => {
    accountNotice.value = notice;
  });
  // The IM SDK rides on the same connection (account/im.ts): a longlink to the gateways, the lean one that lets a
  // host hold hundreds of thousands of devices (socket.io stays for meetings and boards).
  const im = startIm(accounts);
  watchAccount(accounts, longlink(WebSocket), {
    onSocket: (socket) => {
      im.attach(socket as unknown as Parameters<typeof im.attach>[0]);
      socket?.on('announcement', (a: { id: string; text: string; sentAt: number }) => (announcement.value = a));
    },
  });
  // The profile may have changed on another device since this one last looked.
  if (accounts.signedIn) void accounts.me().catch(() => undefined);
}

const beforeLogOutTasks: (() => Promise<void>)[] = [];

/** Work for while this device can still speak for the person, before it logs out (pwa/: drop its push registrations). */
export function beforeLogOut(task: () => Promise<void>): void {
  beforeLogOutTasks.push(task);
}

/** Logs this device out and goes to the start page. */
export async function logOut(): Promise<void> {
  // Offline or slow, such work gives way after 3 s: logging out must not wait on it.
  await Promise.race([Promise.allSettled(beforeLogOutTasks.map((task) => task())), new Promise((resolve) => setTimeout(resolve, 3_000))]);
  await accounts.logout();
  navigate('/', { replace: true });
}

/** The access token for the sockets of a signed-in person (meetings, boards), or undefined for a link join. */
export function socketAccessToken(): (() => Promise<string | null>) | undefined {
  return accounts.signedIn ? () => accounts.accessToken() : undefined;
}
