import { tokenize } from '@muster/im';
import type { Logger } from '@muster/kit/log';
import type { MomentRepository } from '../store/MomentRepository.ts';

/** How often the active data key is compared with the one posts were last re-hashed for (in memory only). */
const KEY_WATCH_MS = 1_000;
/** Posts re-hashed per read. */
const BATCH = 100;

/**
 * Keeps the search index usable across key rotations. A post's terms are
 * written with the post (so it is searchable at once), hashed under the
 * key active then; after a rotation the old key is deleted and terms
 * under it match nothing, so at start, and whenever this process's active
 * key changes, every post whose terms are under another key is re-hashed
 * from its opened text (compare-and-set per post: two processes never
 * both rewrite one). Logs counts only, never text.
 */
export class MomentIndexer {
  readonly #moments: MomentRepository;
  readonly #logger: Logger;
  #keyId: string | undefined;
  #watch: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  #stopped = false;

  constructor(options: { moments: MomentRepository; logger: Logger }) {
    this.#moments = options.moments;
    this.#logger = options.logger;
  }

  start(): void {
    if (this.#watch || this.#stopped) return;
    this.#keyId = this.#moments.activeKeyId;
    void this.sweep();
    this.#watch = setInterval(() => {
      if (this.#moments.activeKeyId !== this.#keyId) void this.sweep();
    }, KEY_WATCH_MS);
    this.#watch.unref();
  }

  /** Re-hashes every post whose terms are under another key than the active one; how many. One sweep at a time. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#run().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#watch) clearInterval(this.#watch);
    this.#watch = undefined;
    await this.#sweeping?.catch(() => undefined);
  }

  async #run(): Promise<number> {
    let done = 0;
    try {
      for (;;) {
        if (this.#stopped) break;
        const active = this.#moments.activeKeyId;
        this.#keyId = active;
        const stale = await this.#moments.staleTerms(active, BATCH);
        const before = done;
        for (const post of stale) {
          if (this.#stopped) break;
          if (await this.#moments.rehash(post.id, post.termsKey!, tokenize(post.text ?? ''))) done++;
        }
        // A short batch is the last; one that changed nothing (another process on it) is left to the next sweep.
        if (stale.length < BATCH || done === before) break;
      }
      if (done > 0) this.#logger.info({ posts: done }, 'moments: search terms re-hashed under the active key');
    } catch (error) {
      // The next key change, or the next start, tries again.
      this.#logger.warn({ err: error, posts: done }, 'moments: re-hashing search terms failed');
    }
    return done;
  }
}
