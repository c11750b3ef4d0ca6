import type { Principal } from '@muster/accounts';
import type { PresenceView } from '../protocol.ts';
import type { ImSettingsRepository } from '../store/ImSettingsRepository.ts';
import type { Contacts } from './Contacts.ts';
import type { ImHub } from './ImHub.ts';

/**
 * Where the other processes' connections are known (the scale-out's Redis
 * directory). This process reports when an account's connections here
 * start or stop, and learns whether that made the account online or
 * offline everywhere: only the process whose change did so announces it,
 * so contacts hear each change once. `elsewhere` answers at once (a
 * mirror), for the notifier's every recipient.
 */
export interface PresenceDirectory {
  /** The account's first connection here arrived (true) or its last one left (false); resolves to whether that took it on- or offline everywhere. */
  changed(accountId: string, here: boolean): Promise<boolean>;
  /** Whether some other process holds a connection of the account now. */
  elsewhere(accountId: string): boolean;
}

export interface PresenceOptions {
  settings: ImSettingsRepository;
  contacts: Contacts;
  hub: ImHub;
  now?: () => number;
}

/**
 * Who is online: an account is online while any of its connections is
 * held by this process or, through the `PresenceDirectory` (Redis, when
 * several processes run), by any other. Going offline records the time as
 * "last seen". Only contacts see it: GET /presence answers for contacts and
 * leaves anyone else out, and each change goes live to the person's
 * contacts as `im.presence`. Someone who hides their last-seen time shows
 * online or offline, with `lastSeenAt` null (as WeChat shows no time at all
 * and Telegram "last seen recently").
 *
 * Changes are announced in order per account and coalesced: a device that
 * reconnects at once announces nothing, and the last announcement always
 * matches the account's state.
 */
export class Presence {
  readonly #settings: ImSettingsRepository;
  readonly #contacts: Contacts;
  readonly #hub: ImHub;
  readonly #now: () => number;
  /** Connected sockets per account, on this process. */
  readonly #sockets = new Map<string, number>();
  /** What was last announced per account (absent: offline). */
  readonly #announced = new Set<string>();
  /** When each account's last socket went away, until it is written. */
  readonly #wentOffline = new Map<string, number>();
  /** Per account, the announcement in progress: the next waits for it. */
  readonly #queues = new Map<string, Promise<void>>();
  #closed = false;
  #directory: PresenceDirectory | undefined;
  /** With a directory: what was last reported to it (accounts with connections here). */
  readonly #reported = new Set<string>();
  /** With a directory: accounts a dead process left online, to announce offline from here. */
  readonly #orphaned = new Set<string>();

  constructor(options: PresenceOptions) {
    this.#settings = options.settings;
    this.#contacts = options.contacts;
    this.#hub = options.hub;
    this.#now = options.now ?? Date.now;
  }

  /** Shares presence with the other processes from now on. */
  useDirectory(directory: PresenceDirectory): void {
    this.#directory = directory;
    for (const accountId of this.#sockets.keys()) this.#schedule(accountId);
  }

  /** The directory found the account offline everywhere after a process died holding it: this process announces it. */
  wentOfflineElsewhere(accountId: string): void {
    if (this.#sockets.has(accountId)) return;
    this.#orphaned.add(accountId);
    this.#schedule(accountId);
  }

  /** A socket of the account connected; call what it returns when it disconnects (once; more calls do nothing). */
  connected(accountId: string): () => void {
    this.#sockets.set(accountId, (this.#sockets.get(accountId) ?? 0) + 1);
    this.#wentOffline.delete(accountId);
    this.#schedule(accountId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#sockets.get(accountId) ?? 1) - 1;
      if (left > 0) return void this.#sockets.set(accountId, left);
      this.#sockets.delete(accountId);
      this.#wentOffline.set(accountId, this.#now());
      this.#schedule(accountId);
    };
  }

  isOnline(accountId: string): boolean {
    return this.#sockets.has(accountId) || (this.#directory?.elsewhere(accountId) ?? false);
  }

  /** The presence of those of `ids` who are the person's contacts, in the order asked (anyone else is simply absent). */
  async of(principal: Principal, ids: readonly string[]): Promise<PresenceView[]> {
    const contacts = await this.#contacts.contactIds(principal.accountId);
    const visible = [...new Set(ids)].filter((id) => contacts.has(id));
    const settings = await this.#settings.many(visible);
    return visible.map((userId) => {
      const s = settings.get(userId)!;
      const online = this.isOnline(userId);
      return { userId, online, lastSeenAt: online || s.hideLastSeen ? null : (this.#wentOffline.get(userId) ?? s.lastSeenAt) };
    });
  }

  /** Records "last seen" for everyone still online (the process is stopping) and stops announcing. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#queues.values());
    const now = this.#now();
    await Promise.allSettled([...this.#sockets.keys(), ...this.#wentOffline.keys()].map((id) => this.#settings.setLastSeen(id, this.#wentOffline.get(id) ?? now)));
    this.#sockets.clear();
    this.#wentOffline.clear();
  }

  #schedule(accountId: string): void {
    if (this.#closed) return;
    const previous = this.#queues.get(accountId) ?? Promise.resolve();
    const next = previous.then(() => this.#announce(accountId)).catch(() => {
      // A failed announcement (the database away) is not retried: the next change announces the state then.
    });
    this.#queues.set(accountId, next);
    void next.then(() => {
      if (this.#queues.get(accountId) === next) this.#queues.delete(accountId);
    });
  }

  /** Announces the account's state as it is now, if it differs from the last announcement. */
  async #announce(accountId: string): Promise<void> {
    if (this.#closed) return;
    let online: boolean;
    if (this.#directory) {
      const here = this.#sockets.has(accountId);
      if (this.#orphaned.delete(accountId) && !here) online = false;
      else {
        if (here === this.#reported.has(accountId)) return;
        if (here) this.#reported.add(accountId);
        else this.#reported.delete(accountId);
        // Redis away: decide from what this process last knew of the others.
        const everywhere = await this.#directory.changed(accountId, here).catch(() => !this.#directory!.elsewhere(accountId));
        if (!everywhere) {
          // Still connected elsewhere: that process records "last seen" when the account goes.
          if (!here) this.#wentOffline.delete(accountId);
          return;
        }
        online = here;
      }
    } else {
      online = this.isOnline(accountId);
      if (online === this.#announced.has(accountId)) return;
    }
    let lastSeenAt: number | null = null;
    if (online) this.#announced.add(accountId);
    else {
      this.#announced.delete(accountId);
      const at = this.#wentOffline.get(accountId) ?? this.#now();
      await this.#settings.setLastSeen(accountId, at);
      if (this.#wentOffline.get(accountId) === at) this.#wentOffline.delete(accountId);
      if (!(await this.#settings.get(accountId)).hideLastSeen) lastSeenAt = at;
    }
    const contacts = await this.#contacts.contactIds(accountId);
    this.#hub.publish('im.presence', [...contacts], { userId: accountId, online, lastSeenAt });
  }
}
