import type { Accounts } from '@muster/accounts';
import type { Database } from '@muster/db';
import type { LimitStore } from '@muster/kit/limits';
import { Contacts } from './domain/Contacts.ts';
import { Conversations } from './domain/Conversations.ts';
import { Calls } from './domain/Calls.ts';
import { ImHub } from './domain/ImHub.ts';
import { MessageSearch } from './domain/MessageSearch.ts';
import { SearchIndexer, type SearchIndexerTuning } from './domain/SearchIndexer.ts';
import { ContactRepository } from './store/ContactRepository.ts';
import { ConversationRepository } from './store/ConversationRepository.ts';
import { SearchIndexRepository } from './store/SearchIndexRepository.ts';
import { ConversationPrefs } from './domain/ConversationPrefs.ts';
import { Presence } from './domain/Presence.ts';
import { PrivacySettings } from './domain/PrivacySettings.ts';
import { Sync } from './domain/Sync.ts';
import { ImSettingsRepository } from './store/ImSettingsRepository.ts';
import { PrefsRepository } from './store/PrefsRepository.ts';
import { SyncRepository } from './store/SyncRepository.ts';
import { SettingsRepository } from '@muster/accounts';
import { Groups } from './domain/Groups.ts';
import { TemporaryGroups } from './domain/TemporaryGroups.ts';
import { GroupRepository } from './store/GroupRepository.ts';
import { ChatExport } from './export/ChatExport.ts';
import type { ChatFiles } from './domain/ChatFiles.ts';

export interface ImOptions {
  db: Database;
  accounts: Accounts;
  /** Rate limits (shared through Redis when the server has it). */
  limits?: LimitStore;
  /** Tests move time by hand. */
  now?: () => number;
  /** How long people may recall their own messages (default 2 minutes; the server reads IM_RECALL_WINDOW_S). */
  recallWindowMs?: number;
  /** Sends and forwards one process takes on at once; past it they are refused with BUSY (default 2,000; the server reads IM_MAX_SENDS_IN_FLIGHT). */
  maxSendsInFlight?: number;
  /** Message search's indexer: `indexer: false` leaves indexing to another process (or to a test). */
  search?: SearchIndexerTuning & { indexer?: boolean };
  /** How long a call rings before it is missed (default 45 s; tests shorten it). */
  callRingMs?: number;
  /** How often the temporary-group sweeper runs (default 10 minutes); 0: never (a test calls `temporaryGroups.sweep()`). */
  temporaryGroupSweepMs?: number;
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
  /** Voice and video calls from a chat (the server wires the meeting rooms in: `calls.useRooms`). */
  readonly calls: Calls;
  /** Search in messages, and the indexer that builds its index off the send path (started here; stopped by close()). */
  readonly search: MessageSearch;
  readonly searchIndexer: SearchIndexer;
  /** Each person's pin, mute, hide, marked-unread and draft per conversation (in the conversation views). */
  readonly prefs: ConversationPrefs;
  /** Each person's hideLastSeen and acceptFromNonFriends. */
  readonly privacy: PrivacySettings;
  /** Online, offline, last seen (the server reports each /account socket). */
  readonly presence: Presence;
  /** The REST sync and its long-polls (ended by close()). */
  readonly sync: Sync;
  /** Group administration: roles, invitations and approval, mutes, transfer, dissolve (and the send rule of groups). */
  readonly groups: Groups;
  /** The idle sweeper of temporary groups, and the console's IM settings. */
  readonly temporaryGroups: TemporaryGroups;
  /** Chat export as minutes (DOCX, PDF, Markdown); the server wires its files and thumbnails in (`exports.useFiles`, `exports.useThumbnails`). */
  readonly exports: ChatExport;
  readonly #messages: ConversationRepository;
  readonly #closers: (() => void | Promise<void>)[] = [];
  #closed: Promise<void> | undefined;

  constructor(options: ImOptions) {
    const now = options.now ?? Date.now;
    this.#messages = new ConversationRepository(options.db);
    this.contacts = new Contacts({ contacts: new ContactRepository(options.db), accounts: options.accounts, hub: this.hub, ...(options.limits ? { limits: options.limits } : {}), now });
    this.conversations = new Conversations({ conversations: new ConversationRepository(options.db), contacts: this.contacts, accounts: options.accounts, hub: this.hub, now, ...(options.recallWindowMs !== undefined ? { recallWindowMs: options.recallWindowMs } : {}), ...(options.maxSendsInFlight !== undefined ? { maxSendsInFlight: options.maxSendsInFlight } : {}) });
    this.calls = new Calls({ conversations: this.conversations, store: new ConversationRepository(options.db), contacts: this.contacts, accounts: options.accounts, hub: this.hub, now, ...(options.callRingMs !== undefined ? { ringMs: options.callRingMs } : {}) });
    // Unanswered calls are missed after 45 s: checked every second.
    const ringSweep = setInterval(() => void this.calls.sweep().catch(() => undefined), 1_000);
    ringSweep.unref();
    const searchIndex = new SearchIndexRepository(options.db);
    const messageStore = new ConversationRepository(options.db);
    this.search = new MessageSearch({ index: searchIndex, conversations: messageStore });
    this.searchIndexer = new SearchIndexer({ ...options.search, index: searchIndex, conversations: messageStore, hub: this.hub, logger: options.db.logger.child({ component: 'im' }), now });
    if (options.search?.indexer !== false) this.searchIndexer.start();
    this.onClose(() => this.searchIndexer.stop());
    this.onClose(async () => {
      clearInterval(ringSweep);
      await this.calls.closeAll();
    });
    const prefsStore = new PrefsRepository(options.db);
    const settingsStore = new ImSettingsRepository(options.db);
    this.prefs = new ConversationPrefs({ prefs: prefsStore, conversations: new ConversationRepository(options.db), hub: this.hub, now });
    this.conversations.useViewDecorator(this.prefs.decorate);
    this.conversations.useReadHook(this.prefs.onRead);
    this.privacy = new PrivacySettings({ settings: settingsStore, now });
    this.conversations.useStrangerRule((_from, to) => this.privacy.acceptsStrangers(to));
    this.presence = new Presence({ settings: settingsStore, contacts: this.contacts, hub: this.hub, now });
    this.sync = new Sync({ store: new SyncRepository(options.db), conversations: this.conversations, prefs: prefsStore, hub: this.hub, now });
    this.onClose(() => this.presence.close());
    this.onClose(() => this.sync.close());
    const groupStore = new GroupRepository(options.db);
    this.groups = new Groups({
      groups: groupStore,
      store: new ConversationRepository(options.db),
      conversations: this.conversations,
      contacts: this.contacts,
      contactStore: new ContactRepository(options.db),
      accounts: options.accounts,
      hub: this.hub,
      now,
    });
    this.conversations.useSendCheck((attempt) => this.groups.checkSend(attempt));
    const imLog = options.db.logger.child({ component: 'im' });
    this.temporaryGroups = new TemporaryGroups({
      groups: this.groups,
      store: groupStore,
      settings: new SettingsRepository(options.db),
      accounts: options.accounts,
      audit: options.db.audit,
      now,
      onError: (error) => imLog.error({ err: error }, 'im: temporary-group sweep failed'),
    });
    if (options.temporaryGroupSweepMs !== 0) this.temporaryGroups.start(options.temporaryGroupSweepMs);
    this.onClose(() => this.temporaryGroups.stop());
    this.exports = new ChatExport({
      conversations: this.conversations,
      store: new ConversationRepository(options.db),
      groups: groupStore,
      contacts: new ContactRepository(options.db),
      accounts: options.accounts,
      audit: options.db.audit,
      ...(options.limits ? { limits: options.limits } : {}),
      logger: imLog,
      now,
    });
  }

  /**
   * Wires the files domain in (the server does): media messages take their
   * files through this port. The files domain asks back through
   * `readsFile` (who may read a file) and `mayUploadTo` (an upload naming a
   * conversation).
   */
  useFiles(files: ChatFiles): void {
    this.conversations.useFiles(files);
  }

  /** Whether a message in one of `accountId`'s conversations carries this file: IM's answer to the files domain's canRead. */
  readsFile(fileId: string, accountId: string): Promise<boolean> {
    return this.#messages.readsFile(fileId, accountId);
  }

  /** Whether `accountId` may upload a file for this conversation: a member of it. */
  async mayUploadTo(accountId: string, conversationId: string): Promise<boolean> {
    const membership = await this.#messages.membership(conversationId, accountId);
    return membership !== null;
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
