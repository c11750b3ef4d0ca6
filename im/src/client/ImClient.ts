import type { AccountClient, AccountSocketFactory } from '@muster/accounts/client';
import { connectAccountTransport } from './accountTransport.ts';
import { ContactsStore } from './contacts.ts';
import { ConversationStore, type ConversationStoreOptions } from './conversations.ts';
import { ChatExportClient } from './exports.ts';
import { GroupsStore } from './groups.ts';
import { PresenceStore, PrivacySettingsClient } from './presence.ts';
import { SearchClient } from './search.ts';
import type { ImTransport } from './transport.ts';

/** A part of the SDK built on the client's transport (groups, calls…): started and stopped with it. */
export interface ImPart {
  start?(): unknown;
  stop?(): void;
}

export interface ImClientOptions extends Omit<ConversationStoreOptions, 'me'> {
  /** The signed-in person's id; a function when it can change (a browser tab signs in and out). */
  me: string | (() => string | null);
}

/**
 * The IM client SDK (`@muster/im/client`) in one object, framework-free, for
 * browsers and Node (bots, tests, the load test): `conversations` (the list,
 * timelines, sending, read state, live events and catch-up) and `contacts`
 * and `groups`, over one `ImTransport`. Other parts (calls…) join with `use`, so
 * they start, stop and catch up together.
 *
 * In a browser that already watches the account socket, build an
 * `AccountTransport` and hand it the socket (`watchAccount(…, { onSocket:
 * (s) => transport.attach(s) })`); in Node, `ImClient.connect(accounts, io)`
 * opens the socket itself.
 */
export class ImClient {
  readonly transport: ImTransport;
  readonly conversations: ConversationStore;
  readonly contacts: ContactsStore;
  /** My groups, group details and admin actions. */
  readonly groups: GroupsStore;
  /** Search in messages (across my conversations or in one). */
  readonly search: SearchClient;
  /** My contacts' presence (online, last seen), for the people a view watches. */
  readonly presence: PresenceStore;
  /** My IM privacy settings (hide my last seen, accept messages from non-contacts). */
  readonly privacy: PrivacySettingsClient;
  /** Chat export as minutes (Word, PDF, Markdown). */
  readonly exports: ChatExportClient;
  readonly #parts: ImPart[] = [];
  readonly #me: () => string | null;
  #started = false;
  #onClose: (() => void) | undefined;

  constructor(transport: ImTransport, options: ImClientOptions) {
    this.transport = transport;
    const me = options.me;
    this.#me = typeof me === 'function' ? me : () => me;
    this.conversations = new ConversationStore(transport, { ...options, me: this.#me });
    this.contacts = new ContactsStore(transport, { me: this.#me, ...(options.now ? { now: options.now } : {}) });
    this.groups = new GroupsStore(transport, { me: this.#me });
    this.search = new SearchClient(transport);
    this.presence = new PresenceStore(transport);
    this.privacy = new PrivacySettingsClient(transport);
    this.exports = new ChatExportClient(transport);
  }

  /**
   * An ImClient over its own `/account` socket, signed in as `accounts`'s
   * person (Node bots and tests; `connect` is socket.io-client's `io`).
   * `close()` closes the socket too.
   */
  static connect(accounts: AccountClient, connect: AccountSocketFactory, options: Omit<ImClientOptions, 'me'> & { url?: string } = {}): ImClient {
    const { transport, close } = connectAccountTransport(accounts, connect, options.url !== undefined ? { url: options.url } : {});
    const client = new ImClient(transport, { ...options, me: () => accounts.user?.id ?? null });
    client.#onClose = close;
    return client;
  }

  get me(): string | null {
    return this.#me();
  }

  /** Adds a part built on this client's transport; started now if the client is. */
  use<T extends ImPart>(make: (transport: ImTransport, me: () => string | null) => T): T {
    const part = make(this.transport, this.#me);
    this.#parts.push(part);
    if (this.#started) void Promise.resolve(part.start?.()).catch(() => undefined);
    return part;
  }

  /** Follows live events and loads the conversation list and contacts. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.conversations.start();
    this.presence.start();
    await Promise.all([
      this.conversations.refresh(),
      this.contacts.start(),
      this.groups.start(),
      ...this.#parts.map((p) => Promise.resolve(p.start?.())),
    ]);
  }

  /** Stops following live events (and closes the socket `connect` opened). */
  close(): void {
    this.#started = false;
    this.conversations.stop();
    this.contacts.stop();
    this.groups.stop();
    this.presence.stop();
    for (const part of this.#parts) part.stop?.();
    this.#onClose?.();
  }
}
