import { isAccountError, type Accounts, type Principal, type SettingsRepository } from '@muster/accounts';
import { ImError } from '../errors.ts';
import type { AuditLog } from '@muster/db';
import { DEFAULT_TEMPORARY_GROUP_IDLE_DAYS, EXPIRY_NOTICE_MS, type ImAdminSettings, type TemporaryGroupView } from '../groupsProtocol.ts';
import type { GroupRepository, TemporaryGroupRow } from '../store/GroupRepository.ts';
import type { Groups } from './Groups.ts';

const DAY_MS = 24 * 3600_000;
/** The console's IM settings, one sealed value in the organisation's settings table (as accounts keeps its own). */
export const IM_SETTINGS_KEY = 'im.settings';
export const DEFAULT_IM_SETTINGS: ImAdminSettings = { temporaryGroupIdleDays: DEFAULT_TEMPORARY_GROUP_IDLE_DAYS };
/** How often the sweeper looks, unless told otherwise. */
export const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60_000;

export interface TemporaryGroupsOptions {
  groups: Groups;
  store: GroupRepository;
  settings: SettingsRepository;
  /** Whose console it is: the accounts console's check (an admin, elevated). */
  accounts: Accounts;
  /** The console's changes are audited, as accounts audits its settings. */
  audit: AuditLog;
  now?: () => number;
  /** Where a failed sweep is reported (it tries again at the next interval). */
  onError?: (error: unknown) => void;
}

/**
 * Temporary groups are cleared when idle: no message people sent for N days
 * (the console's setting, 30 by default), or at the expiresAt they were made
 * with, whichever comes first. Members get an "expiring" notice 3 days before
 * (once per clearing time: a message moves it, and a later notice may follow).
 * Clearing dissolves the group and deletes its messages; members keep the
 * group, now holding only the "dissolved" notice, until they leave it.
 *
 * `sweep()` does one pass; `start()` runs it every interval (unref'd, so it
 * never holds a process open) until `stop()`. Every step is a conditional
 * write, so two processes sweeping at once notify and clear each group once.
 */
export class TemporaryGroups {
  readonly #groups: Groups;
  readonly #store: GroupRepository;
  readonly #settings: SettingsRepository;
  readonly #accounts: Accounts;
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(options: TemporaryGroupsOptions) {
    this.#groups = options.groups;
    this.#store = options.store;
    this.#settings = options.settings;
    this.#accounts = options.accounts;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => undefined);
  }

  /**
   * The console's routes want what the accounts console wants (an admin
   * whose elevation is current): its own check, its refusals as IM codes.
   */
  assertConsole(principal: Principal | null): asserts principal is Principal {
    try {
      this.#accounts.admin.assertConsole(principal);
    } catch (error) {
      if (isAccountError(error, 'SECOND_FACTOR_REQUIRED')) throw new ImError('SECOND_FACTOR_REQUIRED', error.message);
      if (isAccountError(error)) throw new ImError('NOT_FOUND', 'no such API route');
      throw error;
    }
  }

  async settings(): Promise<ImAdminSettings> {
    return { ...DEFAULT_IM_SETTINGS, ...((await this.#settings.get<Partial<ImAdminSettings>>(IM_SETTINGS_KEY)) ?? {}) };
  }

  /** The console changes the IM settings (the caller has checked the elevated admin). */
  async updateSettings(admin: Principal, change: Partial<ImAdminSettings>): Promise<ImAdminSettings> {
    const next = { ...(await this.settings()), ...change };
    await this.#settings.put(IM_SETTINGS_KEY, next);
    await this.#audit.append({ actor: admin.accountId, action: 'im.settings.update', target: 'im', details: change });
    return next;
  }

  /** Every temporary group not yet cleared, the soonest to be cleared first: the console's list. */
  async list(): Promise<TemporaryGroupView[]> {
    const { temporaryGroupIdleDays } = await this.settings();
    const rows = await this.#store.temporaryGroups();
    const views: TemporaryGroupView[] = [];
    for (const row of rows) {
      const info = await this.#groups.info(row.conversationId);
      if (!info) continue;
      const clearsAt = clearingTime(row, temporaryGroupIdleDays);
      views.push({
        id: row.conversationId,
        name: info.name,
        members: info.members,
        createdAt: row.createdAt,
        lastMessageAt: row.lastMessageAt,
        expiresAt: row.expiresAt,
        clearsAt,
        noticeSent: row.expiryNoticeAt !== null && row.expiryNoticeAt >= clearsAt - EXPIRY_NOTICE_MS,
      });
    }
    return views.sort((a, b) => a.clearsAt - b.clearsAt || (a.id < b.id ? -1 : 1));
  }

  /** One pass: the "expiring" notices that are due, then the clearings. */
  async sweep(): Promise<{ noticed: string[]; cleared: string[] }> {
    const now = this.#now();
    const { temporaryGroupIdleDays } = await this.settings();
    const noticed: string[] = [];
    const cleared: string[] = [];
    for (const row of await this.#store.temporaryGroups()) {
      const clearsAt = clearingTime(row, temporaryGroupIdleDays);
      if (now >= clearsAt) {
        if (!(await this.#store.clear(row.conversationId, now))) continue;
        const reason = row.expiresAt !== null && row.expiresAt <= now ? 'expired' : 'idle';
        await this.#groups.systemNotice(row.conversationId, { kind: 'dissolved', actorId: 'system', detail: { reason } });
        await this.#groups.announce(row.conversationId, 'cleared', 'system');
        cleared.push(row.conversationId);
      } else if (now >= clearsAt - EXPIRY_NOTICE_MS) {
        if (!(await this.#store.claimExpiryNotice(row.conversationId, clearsAt - EXPIRY_NOTICE_MS, now))) continue;
        await this.#groups.systemNotice(row.conversationId, { kind: 'expiring', actorId: 'system', detail: { clearsAt } });
        noticed.push(row.conversationId);
      }
    }
    return { noticed, cleared };
  }

  /** Sweeps every `intervalMs` until stop(); a pass still running is not started again. */
  start(intervalMs = DEFAULT_SWEEP_INTERVAL_MS): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.sweep()
        .catch((error: unknown) => this.#onError(error))
        .finally(() => {
          this.#running = undefined;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

/** When a temporary group is cleared: at expiresAt, or idleDays after its last message (or its creation), whichever is first. */
function clearingTime(row: TemporaryGroupRow, idleDays: number): number {
  const idle = (row.lastMessageAt ?? row.createdAt) + idleDays * DAY_MS;
  return row.expiresAt === null ? idle : Math.min(idle, row.expiresAt);
}
