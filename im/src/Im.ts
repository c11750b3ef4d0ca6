import type { Accounts } from '@muster/accounts';
import type { Database } from '@muster/db';
import type { LimitStore } from '@muster/kit/limits';
import { Contacts } from './domain/Contacts.ts';
import { Conversations } from './domain/Conversations.ts';
import { ImHub } from './domain/ImHub.ts';
import { ContactRepository } from './store/ContactRepository.ts';
import { ConversationRepository } from './store/ConversationRepository.ts';

export interface ImOptions {
  db: Database;
  accounts: Accounts;
  /** Rate limits (shared through Redis when the server has it). */
  limits?: LimitStore;
  /** Tests move time by hand. */
  now?: () => number;
}

/**
 * The IM domain as one object, as `Accounts` is for accounts: contacts,
 * conversations and what follows them, over one database and one hub of
 * live events. The server builds one and mounts its routes and socket
 * requests; `close()` stops its timers and long-polls, and is idempotent.
 */
export class Im {
  readonly hub = new ImHub();
  readonly contacts: Contacts;
  readonly conversations: Conversations;
  readonly #closers: (() => void | Promise<void>)[] = [];
  #closed: Promise<void> | undefined;

  constructor(options: ImOptions) {
    const now = options.now ?? Date.now;
    this.contacts = new Contacts({ contacts: new ContactRepository(options.db), accounts: options.accounts, ...(options.limits ? { limits: options.limits } : {}), now });
    this.conversations = new Conversations({ conversations: new ConversationRepository(options.db), contacts: this.contacts, accounts: options.accounts, hub: this.hub, now });
  }

  /** Something to stop when the IM domain closes (a timer, a sweeper, pending long-polls). */
  onClose(closer: () => void | Promise<void>): void {
    this.#closers.push(closer);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      for (const closer of this.#closers.reverse()) await closer();
    })();
    return this.#closed;
  }
}
