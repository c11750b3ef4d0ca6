import crypto from 'node:crypto';
import type { Accounts, Principal, PublicProfile } from '@muster/accounts';
import type { Limit, LimitStore } from '@muster/kit/limits';
import { MemoryLimits } from '@muster/kit/limits';
import { ImError } from '../errors.ts';
import type { ContactRequestView, ContactView } from '../protocol.ts';
import type { ContactRepository, ContactRequest } from '../store/ContactRepository.ts';
import type { ImEventMap, ImHub } from './ImHub.ts';
import { compareNames, matchesName, nameIndex, type NameIndex } from './pinyinNames.ts';

/** A friend request nobody answers lapses after this. */
export const REQUEST_TTL_MS = 30 * 24 * 3600_000;
/** Requests one person may send in an hour. */
export const REQUESTS_PER_HOUR = 30;
/** Requests listed (to and from a person), newest first. */
const REQUESTS_LISTED = 200;

export interface ContactsOptions {
  contacts: ContactRepository;
  accounts: Accounts;
  limits?: LimitStore;
  now?: () => number;
  /** Live events (`im.contactRequest`, `im.contacts`) for the people concerned; none without one. */
  hub?: ImHub;
}

/**
 * Friends, as WeChat users know them: a request with a greeting, accepted or
 * declined (or lapsed after 30 days); a contact list sorted by pinyin with
 * an A–Z rail and searchable by name, full pinyin or initials; remarks and
 * tags seen only by whoever set them; blocks. A blocked person's request is
 * refused with REFUSED_BY_RECIPIENT and nothing is stored. Guests
 * (temporary accounts) cannot add friends; another person's request is
 * NOT_FOUND.
 */
export class Contacts {
  readonly #store: ContactRepository;
  readonly #accounts: Accounts;
  readonly #requests: Limit;
  readonly #now: () => number;
  readonly #hub: ImHub | undefined;
  /** Name indexes by name: pinyin is worked out once per distinct name, not per listing. */
  readonly #indexes = new Map<string, NameIndex>();

  constructor(options: ContactsOptions) {
    this.#store = options.contacts;
    this.#accounts = options.accounts;
    this.#requests = (options.limits ?? new MemoryLimits()).rate({ name: 'contact-requests', points: REQUESTS_PER_HOUR, perSeconds: 3600 });
    this.#now = options.now ?? Date.now;
    this.#hub = options.hub;
  }

  async request(principal: Principal, to: string, greeting?: string): Promise<{ id: string; state: 'pending' | 'accepted' }> {
    if (principal.role === 'guest') throw new ImError('FORBIDDEN', 'guest accounts cannot add friends');
    if (to === principal.accountId) throw new ImError('BAD_REQUEST', 'you cannot add yourself');
    if (!(await this.#accounts.profiles.isRegularUser(to))) throw new ImError('NOT_FOUND', 'no such user');
    // As WeChat does: the sender learns only that it was refused, and nothing is stored.
    if (await this.#store.blocked(to, principal.accountId)) throw new ImError('REFUSED_BY_RECIPIENT', 'this person does not accept your requests');
    if (await this.#store.isContact(principal.accountId, to)) throw new ImError('ALREADY_CONTACTS', 'you are already contacts');
    const verdict = await this.#requests.take(principal.accountId);
    if (!verdict.allowed) throw new ImError('RATE_LIMITED', 'too many friend requests; try again later', verdict.retryAfterMs / 1000);
    const now = this.#now();
    // They asked first: asking back is accepting.
    const theirs = (await this.#store.listRequests(principal.accountId, REQUESTS_LISTED)).find((r) => r.fromId === to && r.toId === principal.accountId && r.state === 'pending' && r.expiresAt > now);
    if (theirs && (await this.#store.settle(theirs.id, 'accepted', now))) {
      await this.#announce({ ...theirs, state: 'accepted', updatedAt: now });
      return { id: theirs.id, state: 'accepted' };
    }
    const request: ContactRequest = {
      id: `fr${crypto.randomBytes(12).toString('base64url')}`,
      fromId: principal.accountId,
      toId: to,
      state: 'pending',
      greeting: greeting && greeting.length > 0 ? greeting : null,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + REQUEST_TTL_MS,
    };
    await this.#store.putRequest(request);
    await this.#announce(request);
    return { id: request.id, state: 'pending' };
  }

  /** Requests to and from the person, newest first, with both people's public profiles ("New friends"). */
  async requests(principal: Principal): Promise<ContactRequestView[]> {
    const now = this.#now();
    const requests = await this.#store.listRequests(principal.accountId, REQUESTS_LISTED);
    const people = await this.#accounts.profiles.publicProfiles(requests.flatMap((r) => [r.fromId, r.toId]));
    return requests
      .filter((r) => people.has(r.fromId) && people.has(r.toId))
      .map((r) => ({
        id: r.id,
        from: people.get(r.fromId)!,
        to: people.get(r.toId)!,
        greeting: r.greeting,
        state: r.state === 'pending' && r.expiresAt <= now ? 'expired' : r.state,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
      }));
  }

  /** Only the person asked may answer; another's request is NOT_FOUND. */
  async answer(principal: Principal, id: string, accept: boolean): Promise<void> {
    const request = await this.#store.getRequest(id);
    if (!request || request.toId !== principal.accountId) throw new ImError('NOT_FOUND', 'no such request');
    if (request.state !== 'pending') throw new ImError('REQUEST_EXPIRED', `this request was already ${request.state}`);
    if (request.expiresAt <= this.#now()) throw new ImError('REQUEST_EXPIRED', 'this request has lapsed; ask them to send a new one');
    if (accept && (await this.#store.blocked(request.toId, request.fromId))) await this.#store.unblock(request.toId, request.fromId);
    if (!(await this.#store.settle(id, accept ? 'accepted' : 'declined', this.#now()))) throw new ImError('REQUEST_EXPIRED', 'this request was answered on another device');
    await this.#announce({ ...request, state: accept ? 'accepted' : 'declined', updatedAt: this.#now() });
  }

  /**
   * The contact list, sorted by display name in pinyin order, each with its
   * A–Z letter; `query` matches the remark or nickname itself, its full
   * pinyin, or its initials ("zs", "zhangs" find 张三).
   */
  async list(principal: Principal, query?: string): Promise<ContactView[]> {
    const contacts = await this.#store.list(principal.accountId);
    const people = await this.#accounts.profiles.publicProfiles(contacts.map((c) => c.contactId));
    const q = query?.trim() ?? '';
    const views: { view: ContactView; index: NameIndex; alt: NameIndex }[] = [];
    for (const contact of contacts) {
      const person = people.get(contact.contactId);
      if (!person) continue;
      const displayName = contact.remark ?? person.nickname;
      const index = this.#index(displayName);
      const alt = contact.remark ? this.#index(person.nickname) : index;
      if (q !== '' && !matchesName(q, index) && !matchesName(q, alt)) continue;
      views.push({ view: viewOf(person, contact.remark, contact.tags, contact.createdAt, index.letter, displayName), index, alt });
    }
    return views.sort((a, b) => compareNames(a.index, b.index)).map((v) => v.view);
  }

  async update(principal: Principal, userId: string, change: { remark?: string | null; tags?: string[] }): Promise<ContactView> {
    const contact = await this.#store.get(principal.accountId, userId);
    const person = contact ? (await this.#accounts.profiles.publicProfiles([userId])).get(userId) : undefined;
    if (!contact || !person) throw new ImError('NOT_FOUND', 'no such contact');
    const remark = change.remark === undefined ? contact.remark : change.remark === null || change.remark === '' ? null : change.remark;
    const tags = change.tags === undefined ? contact.tags : [...new Set(change.tags)];
    await this.#store.setDetails(principal.accountId, userId, { remark, tags }, this.#now());
    this.#publish('im.contacts', [principal.accountId], { change: 'updated', userId });
    const displayName = remark ?? person.nickname;
    return viewOf(person, remark, tags, contact.createdAt, this.#index(displayName).letter, displayName);
  }

  /** Ends the friendship on both sides. */
  async remove(principal: Principal, userId: string): Promise<void> {
    if (!(await this.#store.remove(principal.accountId, userId))) throw new ImError('NOT_FOUND', 'no such contact');
    this.#publish('im.contacts', [principal.accountId], { change: 'removed', userId });
    this.#publish('im.contacts', [userId], { change: 'removed', userId: principal.accountId });
  }

  /** The ids of `a`'s contacts. */
  contactIds(a: string): Promise<Set<string>> {
    return this.#store.contactIds(a);
  }

  /** Whether `b` is in `a`'s contact list. */
  isContact(a: string, b: string): Promise<boolean> {
    return this.#store.isContact(a, b);
  }

  /** Whether `a` may reach `b` (requests, and next messages and calls): false when `b` blocked `a`. */
  async mayReach(a: string, b: string): Promise<boolean> {
    return !(await this.#store.blocked(b, a));
  }

  async block(principal: Principal, userId: string): Promise<void> {
    if (userId === principal.accountId) throw new ImError('BAD_REQUEST', 'you cannot block yourself');
    if ((await this.#accounts.profiles.publicProfiles([userId])).size === 0) throw new ImError('NOT_FOUND', 'no such user');
    await this.#store.block(principal.accountId, userId, this.#now());
    this.#publish('im.contacts', [principal.accountId], { change: 'blocked', userId });
  }

  async unblock(principal: Principal, userId: string): Promise<void> {
    if (!(await this.#store.unblock(principal.accountId, userId))) throw new ImError('NOT_FOUND', 'this person is not blocked');
    this.#publish('im.contacts', [principal.accountId], { change: 'unblocked', userId });
  }

  async blocked(principal: Principal): Promise<(PublicProfile & { since: number })[]> {
    const rows = await this.#store.listBlocked(principal.accountId);
    const people = await this.#accounts.profiles.publicProfiles(rows.map((r) => r.userId));
    return rows.flatMap((r) => {
      const person = people.get(r.userId);
      return person ? [{ ...person, since: r.at }] : [];
    });
  }

  #publish<E extends 'im.contactRequest' | 'im.contacts'>(event: E, to: string[], payload: ImEventMap[E]): void {
    this.#hub?.publish(event, to, payload);
  }

  /** A request sent or answered, to both people's devices; an accepted one also changes both contact lists. */
  async #announce(request: ContactRequest): Promise<void> {
    if (!this.#hub) return;
    const people = await this.#accounts.profiles.publicProfiles([request.fromId, request.toId]);
    const from = people.get(request.fromId);
    const to = people.get(request.toId);
    if (!from || !to) return;
    const view: ContactRequestView = { id: request.id, from, to, greeting: request.greeting, state: request.state, createdAt: request.createdAt, expiresAt: request.expiresAt };
    this.#publish('im.contactRequest', [request.fromId, request.toId], view);
    if (request.state === 'accepted') {
      this.#publish('im.contacts', [request.fromId], { change: 'added', userId: request.toId });
      this.#publish('im.contacts', [request.toId], { change: 'added', userId: request.fromId });
    }
  }

  #index(name: string): NameIndex {
    let index = this.#indexes.get(name);
    if (!index) {
      index = nameIndex(name);
      if (this.#indexes.size > 50_000) this.#indexes.clear();
      this.#indexes.set(name, index);
    }
    return index;
  }
}

function viewOf(person: PublicProfile, remark: string | null, tags: string[], since: number, letter: string, displayName: string): ContactView {
  return { userId: person.id, nickname: person.nickname, remark, displayName, avatar: person.avatar, musterId: person.musterId, tags, letter, since };
}
