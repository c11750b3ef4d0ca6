import type { SearchHit, SearchResults } from '../protocol.ts';
import { isTransient } from './conversations.ts';
import { ImClientError, type ImTransport } from './transport.ts';

export type { SearchHit, SearchResults };

/** What to search: words (Chinese or not), across my conversations or in one. */
export interface SearchQuery {
  q: string;
  /** This conversation only. */
  conversationId?: string;
  /** With `conversationId`: only messages before this seq. */
  beforeSeq?: number;
  /** Results per page (the server's default 20, at most 50). */
  limit?: number;
}

/** A search as a view shows it: the results so far (newest first) and whether more can be loaded. */
export interface SearchSnapshot {
  /** The words searched (trimmed); '' when there is no search. */
  q: string;
  conversationId: string | null;
  results: readonly SearchHit[];
  /** A page is on its way. */
  loading: boolean;
  /** More results are on the server (`more()` loads them). */
  hasMore: boolean;
  /** The last page was refused (with the server's code) or did not arrive. */
  error: ImClientError | null;
}

const EMPTY: SearchSnapshot = { q: '', conversationId: null, results: [], loading: false, hasMore: false, error: null };

/**
 * Search in messages for a client (`client.search`, framework-free):
 * `page(query)` is one page of `GET /search/messages` (the socket's
 * `im.search` when it is there, REST when not); `session()` is a search
 * that follows what someone types: each `set(q)` replaces the query, a
 * late reply to an older query is dropped, and `more()` pages on.
 */
export class SearchClient {
  readonly #t: ImTransport;

  constructor(transport: ImTransport) {
    this.#t = transport;
  }

  /** One page of results, newest first; `before` is the previous page's `next`. */
  async page(query: SearchQuery & { before?: string }): Promise<SearchResults> {
    const q = query.q.trim();
    const payload: Record<string, string | number> = { q };
    if (query.conversationId) payload.conversationId = query.conversationId;
    if (query.beforeSeq !== undefined) payload.beforeSeq = query.beforeSeq;
    if (query.before) payload.before = query.before;
    if (query.limit !== undefined) payload.limit = query.limit;
    try {
      return await this.#t.emit<SearchResults>('im.search', payload);
    } catch (error) {
      if (!(error instanceof ImClientError) || !isTransient(error.code)) throw error;
      const params = new URLSearchParams(Object.entries(payload).map(([k, v]) => [k, String(v)]));
      return this.#t.request<SearchResults>('GET', `/search/messages?${params}`);
    }
  }

  /** A search that follows typing, in one conversation when `conversationId` is given. */
  session(options: { conversationId?: string; limit?: number } = {}): SearchSession {
    return new SearchSession(this, options);
  }
}

/** One search box's search: see `SearchClient.session`. */
export class SearchSession {
  readonly #search: SearchClient;
  readonly #limit: number | undefined;
  readonly #listeners = new Set<(snapshot: SearchSnapshot) => void>();
  #conversationId: string | null;
  #snapshot: SearchSnapshot;
  #next: string | null = null;
  /** Bumped by every new query: a reply for an older one is dropped. */
  #generation = 0;
  #paging = false;

  constructor(search: SearchClient, options: { conversationId?: string; limit?: number }) {
    this.#search = search;
    this.#limit = options.limit;
    this.#conversationId = options.conversationId ?? null;
    this.#snapshot = { ...EMPTY, conversationId: this.#conversationId };
  }

  get snapshot(): SearchSnapshot {
    return this.#snapshot;
  }

  /** Called with every change; returns the unsubscribe. */
  subscribe(listener: (snapshot: SearchSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Searches these words (the first page), in `conversationId` when given
   * (null: everywhere; absent: as before). A blank query clears the results.
   * Resolves when the page is in (or was overtaken by a newer query).
   */
  async set(q: string, conversationId?: string | null): Promise<void> {
    const words = q.trim();
    if (conversationId !== undefined) this.#conversationId = conversationId;
    if (words === this.#snapshot.q && this.#conversationId === this.#snapshot.conversationId && (this.#snapshot.loading || !this.#snapshot.error)) return;
    const generation = ++this.#generation;
    this.#next = null;
    this.#paging = false;
    if (!words) return this.#set({ ...EMPTY, conversationId: this.#conversationId });
    this.#set({ q: words, conversationId: this.#conversationId, results: [], loading: true, hasMore: false, error: null });
    await this.#load(generation, undefined);
  }

  /** Loads the next page, if there is one and none is on its way. */
  async more(): Promise<void> {
    if (this.#paging || !this.#next || this.#snapshot.loading) return;
    this.#paging = true;
    this.#set({ loading: true, error: null });
    await this.#load(this.#generation, this.#next);
  }

  /** Forgets the search (listeners stay). */
  clear(): void {
    void this.set('');
  }

  async #load(generation: number, before: string | undefined): Promise<void> {
    const { q } = this.#snapshot;
    try {
      const page = await this.#search.page({
        q,
        ...(this.#conversationId ? { conversationId: this.#conversationId } : {}),
        ...(this.#limit !== undefined ? { limit: this.#limit } : {}),
        ...(before ? { before } : {}),
      });
      if (generation !== this.#generation) return;
      this.#next = page.next;
      const seen = new Set(this.#snapshot.results.map((r) => r.id));
      const results = before ? [...this.#snapshot.results, ...page.results.filter((r) => !seen.has(r.id))] : page.results;
      this.#set({ results, loading: false, hasMore: page.next !== null, error: null });
    } catch (error) {
      if (generation !== this.#generation) return;
      const coded = error instanceof ImClientError ? error : new ImClientError('NETWORK', (error as Error)?.message ?? 'search failed');
      this.#set({ loading: false, error: coded, hasMore: this.#next !== null });
    } finally {
      if (generation === this.#generation) this.#paging = false;
    }
  }

  #set(change: Partial<SearchSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of this.#listeners) listener(this.#snapshot);
  }
}
