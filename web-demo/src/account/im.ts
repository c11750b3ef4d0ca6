import { signal } from '@preact/signals';
import type { AccountClient } from '@muster/accounts/client';
import { AccountTransport, ImClient } from '@muster/im/client';

/**
 * The IM SDK for the whole app: one transport over the accounts client and
 * the `/account` socket session.ts keeps open (watchAccount hands it each
 * socket: one connection per tab, not two), and one ImClient per signed-in
 * person (a new one at each sign-in, so nothing of the last person stays).
 * Chats and Contacts both read `imClient`.
 */
export const imClient = signal<ImClient | null>(null);

let transport: AccountTransport | null = null;

/** Follows sign-in and sign-out; returns the transport to hand the account socket to. Once, from session.ts's startAccount. */
export function startIm(accounts: AccountClient): AccountTransport {
  if (transport) return transport;
  const t = (transport = new AccountTransport(accounts));
  const open = () => {
    imClient.peek()?.close();
    if (!accounts.user) {
      imClient.value = null;
      return;
    }
    const client = new ImClient(t, { me: () => accounts.user?.id ?? null });
    imClient.value = client;
    void client.start().catch(() => undefined);
  };
  accounts.on('signedIn', open);
  accounts.on('signedOut', () => {
    imClient.peek()?.close();
    imClient.value = null;
  });
  open();
  return t;
}
