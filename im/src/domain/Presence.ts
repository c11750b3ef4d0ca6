import type { Principal } from '@muster/accounts';
import type { PresenceView } from '../protocol.ts';
import type { ImSettingsRepository } from '../store/ImSettingsRepository.ts';
import type { Contacts } from './Contacts.ts';
import type { ImHub } from './ImHub.ts';

export interface PresenceOptions {
  settings: ImSettingsRepository;
  contacts: Contacts;
  hub: ImHub;
  now?: () => number;
}

/**
 * Who is online: an account is online while any of its `/account` sockets
 * is connected to this process (across processes is the scale-out issue's:
 * it shares these counts through Redis). Going offline records the time as
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

  constructor(options: PresenceOptions) {
    this.#settings = options.settings;
    this.#contacts = options.contacts;
    this.#hub = options.hub;
    this.#now = options.now ?? Date.now;
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
    return this.#sockets.has(accountId);
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
    const online = this.isOnline(accountId);
    if (online === this.#announced.has(accountId)) return;
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
