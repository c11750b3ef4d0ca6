import { performance } from 'node:perf_hooks';
import { isDbError } from '@muster/db';
import type { Logger } from '@muster/kit/log';
import type { ConversationRepository, StoredMessage } from '../store/ConversationRepository.ts';
import type { IndexProgress, SearchIndexRepository } from '../store/SearchIndexRepository.ts';
import type { ImHub } from './ImHub.ts';
import { tokenize } from './tokens.ts';

export interface SearchIndexerTuning {
  /** Messages (changes) per batch: one write each (default 100). */
  batchSize?: number;
  /** Conversations indexed at once (default 8: their reads overlap, and the grouped writer commits their batches together). */
  concurrency?: number;
  /**
   * How long a live event waits for company before its conversation is
   * indexed (ms, default 50): a busy conversation is indexed in a few larger
   * batches rather than one write per message, which the send path feels.
   */
  delayMs?: number;
  /**
   * How often to look for conversations behind (ms, default 30 000; 0: never
   * after the first): what another process sent, a batch that failed, a key
   * rotation. The first look, at start, is the backfill.
   */
  sweepMs?: number;
}

export interface SearchIndexerOptions extends SearchIndexerTuning {
  index: SearchIndexRepository;
  conversations: ConversationRepository;
  hub: ImHub;
  logger: Logger;
  now?: () => number;
}

export interface SearchIndexerStats {
  /** Conversations waiting, and being indexed now. */
  pending: number;
  running: number;
  /** Messages (re)indexed, batches written, batches lost to another indexer (they are redone from its progress). */
  messages: number;
  batches: number;
  lostRaces: number;
  errors: number;
  /** Live event to indexed (searchable), ms, over the last 1024 conversations caught up in this process. */
  lagMs: { p50: number; p95: number; max: number; samples: number };
  /** How long the oldest conversation woken by an event has waited (ms), 0 when none. */
  oldestPendingMs: number;
}

/** What a message says that search finds: its text, a merged forward's title and texts, a file's name; nothing for a notice or a recalled message. */
export function searchableText(message: Pick<StoredMessage, 'type' | 'body'>): string {
  const body = message.body;
  if (body.recalled || message.type === 'system' || message.type === 'call') return '';
  const parts: string[] = [];
  if (typeof body.text === 'string') parts.push(body.text);
  // A file is found by its name ("方案.pdf"); a photo or voice message's generated name says nothing.
  if (body.file && message.type === 'file') parts.push(body.file.name);
  if (body.forward) {
    parts.push(body.forward.title);
    for (const item of body.forward.items) if (typeof item.text === 'string') parts.push(item.text);
  }
  return parts.join('\n');
}

const LAG_SAMPLES = 1024;
/** How often the active data key is compared with the one the index was last swept for (in memory only). */
const KEY_WATCH_MS = 1_000;

/**
 * Builds the message search index off the send path. Live events
 * (`im.message`, `im.changed`) name the conversations to do; at start, and
 * every `sweepMs`, it looks in the database for every conversation whose
 * last rev is past its indexed rev (backfill after a restart, messages sent
 * through another process) or whose terms are hashed under a key that is no
 * longer the active one (after a key rotation: re-hashed from rev 0).
 *
 * Per conversation it reads the changes since its indexed rev (new, edited,
 * recalled messages, in rev order) a batch at a time, and writes each batch
 * in one write: the old terms of each changed message deleted, the new ones
 * inserted, the indexed rev moved, compare-and-set, so two indexers (two
 * processes) never interleave. It logs ids and counts only, never text.
 */
export class SearchIndexer {
  readonly #index: SearchIndexRepository;
  readonly #store: ConversationRepository;
  readonly #hub: ImHub;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #sweepMs: number;
  readonly #delayMs: number;
  #pumpTimer: NodeJS.Timeout | undefined;
  readonly #pending = new Set<string>();
  readonly #running = new Map<string, Promise<void>>();
  /** When a live event first asked for each conversation still to do (performance.now(): the domain clock may be a test's). */
  readonly #wokenAt = new Map<string, number>();
  readonly #lagSamples: number[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keyWatch: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;
  #keyId: string | undefined;
  #stopped = false;
  #counts = { messages: 0, batches: 0, lostRaces: 0, errors: 0 };

  constructor(options: SearchIndexerOptions) {
    this.#index = options.index;
    this.#store = options.conversations;
    this.#hub = options.hub;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#batchSize = options.batchSize ?? 100;
    this.#concurrency = options.concurrency ?? 8;
    this.#delayMs = options.delayMs ?? 50;
    this.#sweepMs = options.sweepMs ?? 30_000;
  }

  /** Listens to the hub and backfills. Idempotent. */
  start(): void {
    if (this.#unsubscribe || this.#stopped) return;
    this.#unsubscribe = this.#hub.subscribe((delivery) => {
      if (delivery.event === 'im.message' || delivery.event === 'im.changed') this.wake(delivery.payload.conversationId);
    });
    this.#keyId = this.#index.activeKeyId;
    void this.sweep();
    if (this.#sweepMs > 0) {
      this.#timer = setInterval(() => void this.sweep(), this.#sweepMs);
      this.#timer.unref();
    }
    // A key rotation in this process (its sealer's active key changed): re-hash at once, not at the next sweep.
    this.#keyWatch = setInterval(() => {
      if (this.#index.activeKeyId !== this.#keyId) void this.sweep();
    }, KEY_WATCH_MS);
    this.#keyWatch.unref();
  }

  /** Stops listening and sweeping, and waits for the batches under way. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#keyWatch) clearInterval(this.#keyWatch);
    this.#keyWatch = undefined;
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
    this.#pending.clear();
    // A sweep waiting for its page to be worked off wakes now (or when the last batch under way ends).
    this.#notifyIdle();
    await Promise.allSettled([...this.#running.values()]);
    await this.#sweeping;
  }

  /** Asks for a conversation to be brought up to date (a live event does this). */
  wake(conversationId: string): void {
    if (this.#stopped) return;
    if (!this.#wokenAt.has(conversationId)) this.#wokenAt.set(conversationId, performance.now());
    this.#pending.add(conversationId);
    // A rotation made another key active: every conversation is re-hashed.
    if (this.#keyId !== undefined && this.#index.activeKeyId !== this.#keyId) void this.sweep();
    this.#schedule();
  }

  /** Queues every conversation behind (all of them, in pages of 1000). */
  sweep(): Promise<void> {
    this.#sweeping ??= (async () => {
      try {
        this.#keyId = this.#index.activeKeyId;
        const seen = new Set<string>();
        for (;;) {
          if (this.#stopped) return;
          const behind = (await this.#index.behind(1000)).filter((b) => !seen.has(b.conversationId));
          if (this.#stopped) return;
          for (const b of behind) {
            seen.add(b.conversationId);
            this.#pending.add(b.conversationId);
          }
          this.#pump();
          if (behind.length === 0) return;
          // Let this page be worked off before the next query finds it again.
          await this.idle();
        }
      } catch (error) {
        this.#failed(error, null);
      } finally {
        this.#sweeping = undefined;
      }
    })();
    return this.#sweeping;
  }

  /** Resolves when nothing is queued or being indexed (tests, the benchmark). */
  idle(): Promise<void> {
    if (this.#stopped || (this.#pending.size === 0 && this.#running.size === 0)) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stats(): SearchIndexerStats {
    const sorted = [...this.#lagSamples].sort((a, b) => a - b);
    const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    const now = performance.now();
    let oldest = 0;
    for (const t of this.#wokenAt.values()) oldest = Math.max(oldest, now - t);
    return {
      pending: this.#pending.size,
      running: this.#running.size,
      ...this.#counts,
      lagMs: { p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0, samples: sorted.length },
      oldestPendingMs: oldest,
    };
  }

  /** This process's figures, and the whole index's backlog from the database. */
  async lag(): Promise<SearchIndexerStats & { backlog: Awaited<ReturnType<SearchIndexRepository['lag']>> }> {
    return { ...this.stats(), backlog: await this.#index.lag() };
  }

  /** Indexes one conversation up to its last rev now (the worker's loop; tests call it to race two indexers). */
  async catchUp(conversationId: string): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const conversation = await this.#store.get(conversationId);
      if (!conversation) {
        // Dissolved and cleared: its index goes too.
        await this.#index.forget(conversationId);
        return;
      }
      const progress = await this.#index.progress(conversationId);
      // Read before hashing: terms are hashed under this key or a newer one (then the next sweep re-hashes).
      const keyId = this.#index.activeKeyId;
      const from = progress && progress.keyId === keyId ? progress.indexedRev : 0;
      const upToDate = progress === null ? conversation.lastRev === 0 : progress.keyId === keyId && conversation.lastRev <= progress.indexedRev;
      if (upToDate) return;
      const changed = await this.#store.changedSince(conversationId, from, this.#batchSize);
      const full = changed.length >= this.#batchSize;
      const lastChanged = changed.at(-1)?.rev ?? from;
      // A short batch saw every change up to the last rev read before it (revs commit in order).
      const next: IndexProgress = { indexedRev: full ? lastChanged : Math.max(conversation.lastRev, lastChanged), keyId };
      const messages = changed.map((m) => ({ seq: m.seq, tokens: tokenize(searchableText(m)) }));
      if (await this.#index.apply(conversationId, progress, next, messages, this.#now())) {
        this.#counts.batches++;
        this.#counts.messages += messages.length;
      } else {
        // Another indexer moved it first: carry on from where it got to.
        this.#counts.lostRaces++;
      }
    }
  }

  /** Pumps after the delay (live events), once per delay whatever the number of events. */
  #schedule(): void {
    if (this.#pumpTimer || this.#stopped) return;
    if (this.#delayMs <= 0) return this.#pump();
    this.#pumpTimer = setTimeout(() => {
      this.#pumpTimer = undefined;
      this.#pump();
    }, this.#delayMs);
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#concurrency && this.#pending.size > 0) {
      const conversationId = this.#pending.values().next().value!;
      if (this.#running.has(conversationId)) {
        // Being indexed: it is queued again once that run ends (it may have read before the new rev).
        const other = [...this.#pending].find((id) => !this.#running.has(id));
        if (!other) return;
        this.#start(other);
        continue;
      }
      this.#start(conversationId);
    }
    this.#notifyIdle();
  }

  #start(conversationId: string): void {
    this.#pending.delete(conversationId);
    const wokenAt = this.#wokenAt.get(conversationId);
    this.#wokenAt.delete(conversationId);
    const run = this.catchUp(conversationId)
      .then(
        () => {
          if (wokenAt !== undefined) this.#sample(performance.now() - wokenAt);
        },
        (error: unknown) => this.#failed(error, conversationId),
      )
      .finally(() => {
        this.#running.delete(conversationId);
        // What events asked for meanwhile waits its delay too; a sweep's queue goes on at once.
        if (this.#sweeping) this.#pump();
        else this.#schedule();
        this.#notifyIdle();
      });
    this.#running.set(conversationId, run);
  }

  #sample(ms: number): void {
    this.#lagSamples.push(ms);
    if (this.#lagSamples.length > LAG_SAMPLES) this.#lagSamples.shift();
  }

  #failed(error: unknown, conversationId: string | null): void {
    // Closing: the database went first; what is left is found by the next start's backfill.
    if (this.#stopped || isDbError(error, 'DB_CLOSED')) return;
    this.#counts.errors++;
    this.#logger.warn({ err: error, conversationId }, 'im: search indexing failed; the next sweep retries');
  }

  #notifyIdle(): void {
    // Stopped: whoever waits is let go (a sweep then sees it is stopped).
    if (!this.#stopped && (this.#pending.size > 0 || this.#running.size > 0)) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
