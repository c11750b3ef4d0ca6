import type { Accounts } from '@muster/accounts';
import type { Database } from '@muster/db';
import { ContactRepository, ConversationRepository, PrefsRepository, type Im } from '@muster/im';
import { log as rootLog, type Logger } from '@muster/kit/log';
import type { ActiveSessions } from './domain/ActiveSessions.ts';
import { NotificationPreferences } from './domain/NotificationPreferences.ts';
import { Notifier, type Timers } from './domain/Notifier.ts';
import type { PushGateway } from './domain/PushGateway.ts';
import { PushSender } from './domain/PushSender.ts';
import { Subscriptions } from './domain/Subscriptions.ts';
import { UnifiedPushGateway } from './domain/UnifiedPushGateway.ts';
import { loadVapidKeys, type VapidDetails } from './domain/VapidKeys.ts';
import { WebPushGateway } from './domain/WebPushGateway.ts';
import { NotificationSettingsRepository } from './store/NotificationSettingsRepository.ts';
import { SignedInSessions } from './store/SignedInSessions.ts';
import { SubscriptionRepository } from './store/SubscriptionRepository.ts';

export interface PushOptions {
  db: Database;
  accounts: Accounts;
  /** The IM domain: its hub of live events (new messages, recalls), presence, conversations and their settings. */
  im: Im;
  /** Where VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** The server's public URL (https://chat.example.org): the absolute conversation link a gateway may use (ntfy's click). */
  publicUrl?: string | null;
  logger?: Logger;
  /** Tests move time by hand: the clock (do-not-disturb, timestamps) and the collapsing timers. */
  now?: () => number;
  timers?: Timers;
  /** Collapsing: wait this long after a conversation's latest message (default 3 s)… */
  debounceMs?: number;
  /** …and at most this long after its first (default 15 s). */
  maxWaitMs?: number;
  /** One push request's time limit (default 10 s). */
  requestTimeoutMs?: number;
  /** Push subscriptions per account (default 20). */
  maxSubscriptionsPerAccount?: number;
  /** Which devices are still signed in (default: accounts' session store in `db`). */
  sessions?: ActiveSessions;
}

/**
 * Offline notifications as one object, as `Im` is for messaging: the VAPID
 * keys, each person's subscriptions and notification settings, the sender
 * with its gateways (Web Push, UnifiedPush, and the organisation's own,
 * `useGateway`), and the notifier that turns IM's new messages into
 * collapsed notifications for people who are offline. `close()` stops it.
 *
 * A subscription belongs to the device (accounts' session) that registered
 * it: when the session guard revokes devices on this process, their
 * subscriptions are deleted at once (best effort); whatever is missed (a
 * revocation on another process, an expiry) is skipped and deleted when a
 * notification would go to it.
 */
export class Push {
  readonly subscriptions: Subscriptions;
  readonly settings: NotificationPreferences;
  readonly sender: PushSender;
  readonly notifier: Notifier;
  readonly #vapid: VapidDetails;
  readonly #logger: Logger;
  readonly #stopListening: () => void;
  /** Deletions for revoked sessions under way. */
  readonly #cleanups = new Set<Promise<void>>();
  #closed: Promise<void> | undefined;

  private constructor(options: PushOptions, vapid: VapidDetails, logger: Logger) {
    const now = options.now ?? Date.now;
    const { db } = options;
    this.#vapid = vapid;
    this.#logger = logger;
    const store = new SubscriptionRepository(db);
    const builtIn = [new WebPushGateway({ vapid, ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}) }), new UnifiedPushGateway({ ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}) })];
    // Sent without a list, a notification goes to the person's devices still signed in (as the notifier's do).
    this.sender = new PushSender({ store, gateways: builtIn, logger, now, targets: (accountId) => this.subscriptions.forAccount(accountId) });
    this.subscriptions = new Subscriptions({
      store,
      sessions: options.sessions ?? new SignedInSessions(options.accounts),
      logger,
      supported: (target) => this.sender.gatewayFor(target) !== undefined,
      now,
      ...(options.maxSubscriptionsPerAccount !== undefined ? { maxPerAccount: options.maxSubscriptionsPerAccount } : {}),
    });
    this.settings = new NotificationPreferences({ store: new NotificationSettingsRepository(db), now });
    this.notifier = new Notifier({
      hub: options.im.hub,
      isOnline: (id) => options.im.presence.isOnline(id),
      conversations: new ConversationRepository(db),
      prefs: new PrefsRepository(db),
      contacts: new ContactRepository(db),
      profiles: options.accounts.profiles,
      settings: this.settings,
      subscriptions: this.subscriptions,
      sender: this.sender,
      // A keyed hash: the push service cannot tell conversation ids (nor match them across installs).
      topicOf: (conversationId) => db.sealer.blindIndex('push-topic', conversationId).slice(0, 32),
      publicUrl: options.publicUrl ?? null,
      logger,
      now,
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    });
    // Devices signed out on this process (by themselves or another, a password change, an admin): their
    // subscriptions go now. The guard also relays other processes' revocations it reads from the database.
    this.#stopListening = options.accounts.guard.onRevoked(({ accountId, sessionIds }) => this.#forget(accountId, sessionIds));
  }

  #forget(accountId: string, sessionIds: readonly string[]): void {
    const work = this.subscriptions
      .removeForSessions(accountId, sessionIds)
      .then((removed) => {
        if (removed > 0) this.#logger.info({ removed }, 'push: subscriptions of signed-out devices removed');
      })
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'push: could not remove the subscriptions of signed-out devices; they are skipped and removed at delivery'));
    this.#cleanups.add(work);
    void work.finally(() => this.#cleanups.delete(work));
  }

  /** Loads (or, the first time, generates and stores) the VAPID keys, then starts listening to IM. */
  static async open(options: PushOptions): Promise<Push> {
    const logger = options.logger ?? rootLog.child({ component: 'push' });
    const vapid = await loadVapidKeys({ db: options.db, env: options.env ?? process.env, logger });
    return new Push(options, vapid, logger);
  }

  /** The VAPID public key browsers subscribe with (PushManager.subscribe's applicationServerKey). */
  get vapidPublicKey(): string {
    return this.#vapid.publicKey;
  }

  /** The VAPID subject pushes are signed with. */
  get vapidSubject(): string {
    return this.#vapid.subject;
  }

  /**
   * Adds an organisation's channel (a vendor push service, an SMS fallback
   * for @mentions…): subscriptions it `supports` are delivered through it,
   * before the ones added earlier and the built-in Web Push and UnifiedPush.
   */
  useGateway(gateway: PushGateway): void {
    this.sender.use(gateway);
  }

  /** Resolves once the notifier is idle and the subscriptions of devices signed out so far are removed (tests). */
  async idle(): Promise<void> {
    await this.notifier.idle();
    while (this.#cleanups.size > 0) await Promise.allSettled([...this.#cleanups]);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#stopListening();
      await this.notifier.close();
      await Promise.allSettled([...this.#cleanups]);
    })();
    return this.#closed;
  }
}
