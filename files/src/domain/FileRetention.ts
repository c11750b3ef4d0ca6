/**
 * Retention and cache settings, and the sweeper that applies them.
 *
 * - The console's settings (`files.settings` in the sealed settings table):
 *   the largest upload (at most the server's ceiling, MUSTER_MAX_UPLOAD_BYTES),
 *   how long files live after the last message that references them (null:
 *   for ever, the default), the blocked types.
 * - A person's cache period (1, 7 or 30 days, or for ever; 7 by default):
 *   how long their devices keep downloaded files, kept here so every device
 *   follows the same choice.
 * - The sweeper, every `intervalMs`: unfinished uploads and files no message
 *   ever referenced go after 7 days (forgotten entirely); with a retention
 *   period, files whose newest reference is older than it lose their bytes
 *   and content key and are marked expired (messages show "expired"). Every
 *   decision is read from the database and taken by a conditional write, so
 *   it survives restarts and two processes sweeping at once delete each file
 *   once; a sweep cut short is finished by the next.
 */
import type { Database } from '@muster/db';
import { SettingsRepository } from '@muster/accounts';
import type { Logger } from '@muster/kit/log';
import { FilesError } from '../errors.ts';
import { DEFAULT_CACHE_DAYS, type FilesAdminSettings, type FilesAdminSettingsUpdate } from '../protocol.ts';
import type { FilePrefsRepository } from '../store/FilePrefsRepository.ts';
import type { FileRepository, StoredFile } from '../store/FileRepository.ts';
import type { BlobStorage } from './BlobStorage.ts';

export const DAY_MS = 24 * 60 * 60_000;
/** Unfinished uploads, and finished ones no message references, are deleted after this long (tus expiration). */
export const STALE_UPLOAD_MS = 7 * DAY_MS;
/** How often the sweeper runs (and once shortly after start). */
export const DEFAULT_SWEEP_INTERVAL_MS = 60 * 60_000;
const SETTINGS_KEY = 'files.settings';
const BATCH = 200;

interface StoredSettings {
  maxUploadBytes?: number;
  retentionDays?: number | null;
  blockedTypes?: string[];
}

export interface SweepReport {
  /** Unfinished or never referenced: forgotten. */
  deleted: number;
  /** Referenced, past the retention period: bytes gone, shown expired. */
  expired: number;
}

export interface FileRetentionOptions {
  db: Database;
  files: FileRepository;
  prefs: FilePrefsRepository;
  storage: BlobStorage;
  logger: Logger;
  now: () => number;
  /** The server's ceiling for one upload (bytes). */
  ceiling: number;
  intervalMs?: number;
}

export class FileRetention {
  readonly #o: FileRetentionOptions;
  readonly #settings: SettingsRepository;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SweepReport> | undefined;

  constructor(options: FileRetentionOptions) {
    this.#o = options;
    this.#settings = new SettingsRepository(options.db);
  }

  // ------------------------------------------------------------ settings

  async settings(): Promise<FilesAdminSettings> {
    const stored = (await this.#settings.get<StoredSettings>(SETTINGS_KEY)) ?? {};
    return {
      maxUploadBytes: Math.min(stored.maxUploadBytes ?? this.#o.ceiling, this.#o.ceiling),
      retentionDays: stored.retentionDays ?? null,
      blockedTypes: stored.blockedTypes ?? [],
      ceilingBytes: this.#o.ceiling,
    };
  }

  /** The console changes the settings (the caller checked the elevated admin); audited. */
  async updateSettings(actorId: string, change: FilesAdminSettingsUpdate): Promise<FilesAdminSettings> {
    if (change.maxUploadBytes !== undefined && change.maxUploadBytes > this.#o.ceiling) {
      throw new FilesError('BAD_REQUEST', `maxUploadBytes: at most the server's ceiling, ${this.#o.ceiling} bytes (MUSTER_MAX_UPLOAD_BYTES)`);
    }
    const current = (await this.#settings.get<StoredSettings>(SETTINGS_KEY)) ?? {};
    const next: StoredSettings = { ...current, ...change };
    if (change.blockedTypes) next.blockedTypes = [...new Set(change.blockedTypes)];
    await this.#settings.put(SETTINGS_KEY, next);
    await this.#o.db.audit.append({ actor: actorId, action: 'files.settings.update', target: 'files', details: change });
    return this.settings();
  }

  async maxUploadBytes(): Promise<number> {
    return (await this.settings()).maxUploadBytes;
  }

  async cacheDays(accountId: string): Promise<number | null> {
    const days = await this.#o.prefs.cacheDays(accountId);
    return days === undefined ? DEFAULT_CACHE_DAYS : days;
  }

  async setCacheDays(accountId: string, days: number | null): Promise<number | null> {
    await this.#o.prefs.setCacheDays(accountId, days, this.#o.now());
    return days;
  }

  // ------------------------------------------------------------ the sweeper

  start(): void {
    if (this.#timer) return;
    const interval = this.#o.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    const tick = () => {
      this.sweep().catch((error: unknown) => this.#o.logger.error({ err: error }, 'files: the retention sweep failed; it runs again at the next interval'));
    };
    this.#timer = setInterval(tick, interval);
    this.#timer.unref();
    setImmediate(tick).unref?.();
  }

  /** Stops the timer and waits for a sweep under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /**
   * One sweep (one at a time in this process; another process may sweep at
   * the same time). `at`: sweep as if it were that time (ms) instead of the
   * domain's clock (a whole server's tests, whose clock is the real one).
   * Without `at` a sweep under way is joined; with it, it is waited for and
   * this one runs after.
   */
  async sweep(at?: number): Promise<SweepReport> {
    if (at !== undefined) while (this.#running) await this.#running.catch(() => undefined);
    this.#running ??= this.#sweep(at ?? this.#o.now()).finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(now: number): Promise<SweepReport> {
    const report: SweepReport = { deleted: 0, expired: 0 };
    const { retentionDays } = await this.settings();
    const staleBefore = now - STALE_UPLOAD_MS;
    const expireBefore = retentionDays === null ? null : now - retentionDays * DAY_MS;
    for (;;) {
      const found = await this.#o.files.sweepCandidates(staleBefore, expireBefore, BATCH);
      let progressed = 0;
      // Left in `deleting` by a sweep that stopped half-way (here or in another process): finish them.
      for (const file of found.deleting) progressed += this.#count(report, await this.#delete(file.id, now));
      for (const [why, ids, before] of [
        ['stale', found.stale, staleBefore],
        ['unreferenced', found.unreferenced, staleBefore],
        ['expiring', found.expiring, expireBefore ?? 0],
      ] as const) {
        for (const id of ids) {
          // Claimed by a conditional write: a reference or a finish that came meanwhile keeps the file.
          if (await this.#o.files.claim(id, why, before)) progressed += this.#count(report, await this.#delete(id, now));
        }
      }
      const seen = found.deleting.length + found.stale.length + found.unreferenced.length + found.expiring.length;
      if (seen < BATCH || progressed === 0) break;
    }
    if (report.deleted + report.expired > 0) this.#o.logger.info({ ...report }, 'files: retention sweep');
    return report;
  }

  async #delete(id: string, now: number): Promise<'deleted' | 'expired' | 'none'> {
    // The bytes first: a crash here leaves the row in `deleting`, and the next sweep does it again.
    await this.#o.storage.removeAll(id);
    return this.#o.files.completeDeletion(id, now);
  }

  #count(report: SweepReport, outcome: 'deleted' | 'expired' | 'none'): number {
    if (outcome === 'deleted') report.deleted++;
    if (outcome === 'expired') report.expired++;
    return outcome === 'none' ? 0 : 1;
  }
}

export type { StoredFile };
