import type { ImSettings, PresenceView } from '../protocol.ts';
import { isTransient } from './conversations.ts';
import { ImClientError, type ImTransport } from './transport.ts';

export type { ImSettings, PresenceView };

/** Ids asked for in one request (the server's limit). */
const MAX_IDS = 200;

/**
 * Who is online, for a client (`client.presence`, framework-free): a view
 * `watch`es the people it shows; their presence is fetched once (batched:
 * the ids watched in the same tick go in one request), cached, and kept
 * current by the live `im.presence` events; after a reconnection the
 * watched ones are fetched again (what changed meanwhile was missed).
 *
 * Only contacts' presence is known: `get` is `null` for anyone else (the
 * server leaves them out), `undefined` while not yet fetched.
 */
export class PresenceStore {
  readonly #t: ImTransport;
  readonly #known = new Map<string, PresenceView | null>();
  /** Watched ids, with how many views watch each. */
  readonly #watched = new Map<string, number>();
  readonly #listeners = new Set<(changed: ReadonlySet<string>) => void>();
  readonly #offs: (() => void)[] = [];
  #wanted = new Set<string>();
  #batch: Promise<void> | null = null;

  constructor(transport: ImTransport) {
    this.#t = transport;
  }

  start(): void {
    if (this.#offs.length) return;
    this.#offs.push(
      this.#t.on('im.presence', (view) => this.#apply([view], [])),
      // A new contact's presence becomes visible: ask again if a view shows them.
      this.#t.on('im.contacts', ({ change, userId }) => {
        if (change !== 'added' && change !== 'removed') return;
        this.#known.delete(userId);
        if (this.#watched.has(userId)) void this.#ask([userId]).catch(() => undefined);
      }),
      this.#t.onConnected(() => {
        if (this.#watched.size) void this.#ask([...this.#watched.keys()]).catch(() => undefined);
      }),
    );
  }

  stop(): void {
    for (const off of this.#offs.splice(0)) off();
  }

  /** Their presence: a view, null when not visible to me (not a contact), undefined when not known yet. */
  get(userId: string): PresenceView | null | undefined {
    return this.#known.get(userId);
  }

  /** Called with the ids whose presence changed; returns the unsubscribe. */
  subscribe(listener: (changed: ReadonlySet<string>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Follows these people's presence while a view shows them: fetched if not
   * known yet; call what it returns when the view goes (once).
   */
  watch(ids: readonly string[]): () => void {
    const unique = [...new Set(ids.filter((id) => id))];
    for (const id of unique) this.#watched.set(id, (this.#watched.get(id) ?? 0) + 1);
    const unknown = unique.filter((id) => !this.#known.has(id));
    if (unknown.length) void this.#ask(unknown).catch(() => undefined);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const id of unique) {
        const n = (this.#watched.get(id) ?? 1) - 1;
        if (n > 0) this.#watched.set(id, n);
        else this.#watched.delete(id);
      }
    };
  }

  /** Fetches these people's presence now (batched with others asked in the same tick). */
  refresh(ids: readonly string[]): Promise<void> {
    return this.#ask(ids);
  }

  #ask(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#wanted.add(id);
    this.#batch ??= Promise.resolve().then(async () => {
      const wanted = [...this.#wanted];
      this.#wanted = new Set();
      this.#batch = null;
      for (let i = 0; i < wanted.length; i += MAX_IDS) {
        const chunk = wanted.slice(i, i + MAX_IDS);
        this.#apply(await this.#fetch(chunk), chunk);
      }
    });
    return this.#batch;
  }

  async #fetch(ids: string[]): Promise<PresenceView[]> {
    try {
      return await this.#t.emit<PresenceView[]>('im.presence', { ids });
    } catch (error) {
      if (!(error instanceof ImClientError) || !isTransient(error.code)) throw error;
      return this.#t.request<PresenceView[]>('GET', `/presence?ids=${ids.map(encodeURIComponent).join(',')}`);
    }
  }

  /** Stores these views; `asked` ids without one are not visible to me. */
  #apply(views: readonly PresenceView[], asked: readonly string[]): void {
    const changed = new Set<string>();
    for (const view of views) {
      const before = this.#known.get(view.userId);
      if (before && before.online === view.online && before.lastSeenAt === view.lastSeenAt) continue;
      this.#known.set(view.userId, { userId: view.userId, online: view.online, lastSeenAt: view.lastSeenAt });
      changed.add(view.userId);
    }
    const answered = new Set(views.map((v) => v.userId));
    for (const id of asked) {
      if (answered.has(id) || this.#known.get(id) === null) continue;
      this.#known.set(id, null);
      changed.add(id);
    }
    if (changed.size) for (const listener of this.#listeners) listener(changed);
  }
}

/**
 * My IM privacy settings (`client.privacy`): hide my last seen, accept
 * messages from people who are not my contacts (both off by default).
 */
export class PrivacySettingsClient {
  readonly #t: ImTransport;

  constructor(transport: ImTransport) {
    this.#t = transport;
  }

  get(): Promise<ImSettings> {
    return this.#t.request<ImSettings>('GET', '/me/im-settings');
  }

  /** Changes some of them; resolves with all of them as stored. */
  update(change: Partial<ImSettings>): Promise<ImSettings> {
    return this.#t.request<ImSettings>('PATCH', '/me/im-settings', change);
  }
}
