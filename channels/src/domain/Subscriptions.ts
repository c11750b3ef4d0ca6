import type { Principal } from '@muster/accounts';
import { ChannelsError } from '../errors.ts';
import type { FeedEntry, SummaryView } from '../protocol.ts';
import type { SubscriptionRepository } from '../store/SubscriptionRepository.ts';
import type { Actor } from './Actor.ts';
import type { ServiceAccounts } from './ServiceAccounts.ts';

export interface SubscriptionsOptions {
  store: SubscriptionRepository;
  serviceAccounts: ServiceAccounts;
  now: () => number;
}

/**
 * Following accounts, and the "Service accounts" entry of the chat list.
 * Subscribing is one row (from the account's page, from search, from a
 * shared article: the same call); the list shows pinned accounts first (in
 * the person's order), then the others by their newest article. A new
 * article is a dot, never a count, and never a push: it is found when the
 * app is opened (the feed reads the accounts' newest articles: read
 * diffusion). Guests and the organisation's token subscribe to nothing.
 */
export class Subscriptions {
  readonly #o: SubscriptionsOptions;

  constructor(options: SubscriptionsOptions) {
    this.#o = options;
  }

  /** Subscribes (again: nothing changes). */
  async subscribe(actor: Actor, serviceAccountId: string): Promise<void> {
    const principal = subscriber(actor);
    await this.#o.serviceAccounts.live(serviceAccountId);
    await this.#o.store.subscribe(principal.accountId, serviceAccountId, this.#o.now());
  }

  /** Unsubscribes (not subscribed: nothing changes). */
  async unsubscribe(actor: Actor, serviceAccountId: string): Promise<void> {
    const principal = subscriber(actor);
    await this.#o.serviceAccounts.live(serviceAccountId);
    await this.#o.store.unsubscribe(principal.accountId, serviceAccountId);
  }

  /** Pins, unpins or places a subscription; NOT_FOUND when the person does not subscribe. */
  async arrange(actor: Actor, serviceAccountId: string, change: { pinned?: boolean; position?: number }): Promise<FeedEntry> {
    const principal = subscriber(actor);
    await this.#o.serviceAccounts.live(serviceAccountId);
    if (!(await this.#o.store.arrange(principal.accountId, serviceAccountId, change))) throw new ChannelsError('NOT_FOUND', 'you do not subscribe to this account');
    const entry = (await this.feed(actor)).find((e) => e.serviceAccountId === serviceAccountId);
    if (!entry) throw new ChannelsError('NOT_FOUND', 'you do not subscribe to this account');
    return entry;
  }

  /** The person's subscribed accounts: pinned first (by position), then by newest article (accounts without one last). */
  async feed(actor: Actor): Promise<FeedEntry[]> {
    const principal = subscriber(actor);
    const rows = await this.#o.store.feed(principal.accountId);
    rows.sort((a, b) => {
      if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
      if (a.pinned && a.position !== b.position) return a.position - b.position;
      const at = (b.latestArticleAt ?? -1) - (a.latestArticleAt ?? -1);
      if (at !== 0) return at;
      return b.subscribedAt - a.subscribedAt || (a.serviceAccountId < b.serviceAccountId ? -1 : 1);
    });
    return rows.map((row) => ({
      serviceAccountId: row.serviceAccountId,
      name: row.name,
      kind: row.kind,
      avatarFileId: row.avatarFileId,
      pinned: row.pinned,
      position: row.position,
      dot: row.latestArticleAt !== null && row.latestArticleAt > row.seenAt,
      subscribedAt: row.subscribedAt,
      latest: row.latest ? { articleId: row.latest.articleId, title: row.latest.head.title, summary: row.latest.head.summary, publishedAt: row.latest.publishedAt } : null,
    }));
  }

  /** The chat list's "Service accounts" entry: a dot and the newest article; never a count. */
  async summary(actor: Actor): Promise<SummaryView> {
    const principal = subscriber(actor);
    const { dot, latest } = await this.#o.store.summary(principal.accountId);
    return { dot, latest: latest && latest.head ? { serviceAccountId: latest.serviceAccountId, name: latest.name, title: latest.head.title, publishedAt: latest.publishedAt } : null };
  }
}

/** Subscriptions are a person's: not the organisation's token, not a guest's (a visitor's account ends; as IM keeps guests out of friends and groups). */
function subscriber(actor: Actor): Principal {
  if (actor.kind !== 'person') throw new ChannelsError('FORBIDDEN', 'the organisation’s token subscribes to nothing: subscriptions are a person’s');
  if (actor.principal.role === 'guest') throw new ChannelsError('FORBIDDEN', 'guest accounts cannot subscribe');
  return actor.principal;
}
