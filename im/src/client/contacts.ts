/**
 * The contacts part of the IM SDK: framework-free state for a Contacts tab
 * (WeChat's), over any `ImTransport`.
 *
 * - The contact list in pinyin order with each contact's A–Z letter (the
 *   server's order and letters), in sections for the rail.
 * - Search by the remark or nickname, its full pinyin or its initials ("zs"
 *   finds 张三), locally on every keystroke (`filter`) or on the server (`search`).
 * - "New friends": requests to and from me, newest first, with the badge
 *   count (requests to me still waiting for an answer); send, accept, decline.
 * - Remark and tags, delete, block and unblock, lookup by phone or Muster ID.
 *
 * Changes are optimistic: the snapshot changes at once and is put back if
 * the server refuses (the promise then rejects with its ImClientError). Live
 * events (`im.contactRequest`, `im.contacts`) and every reconnection bring
 * the state up to date, so other devices' changes show too.
 *
 * The snapshot is immutable: each change makes a new one, so a view can
 * compare by reference.
 */
import type { PublicProfile } from '@muster/accounts/protocol';
import type { ContactRequestView, ContactView } from '../protocol.ts';
import { NameMatcher, loadPinyin, pinyinIfLoaded, sectionsOf } from './names.ts';
import { ImClientError, type ImTransport } from './transport.ts';
import { coalesced } from './coalesced.ts';

export type BlockedPerson = PublicProfile & { since: number };
export type ContactSection = { letter: string; items: ContactView[] };
export type LookupQuery = { phone: string } | { musterId: string };

export interface ContactsSnapshot {
  /** Whether the list has loaded once. */
  loaded: boolean;
  /** My contacts, in pinyin order (remark, else nickname). */
  contacts: readonly ContactView[];
  /** Requests to and from me, newest first. */
  requests: readonly ContactRequestView[];
  /** The "New friends" badge: requests to me still waiting for my answer. */
  pending: number;
  /** People I blocked, once `loadBlocked` has run (null before). */
  blocked: readonly BlockedPerson[] | null;
}

export interface ContactsStoreOptions {
  /** My account id (who "me" is in a request), read when needed. */
  me: string | (() => string | null);
  /** Clock for expiry (tests). */
  now?: () => number;
}

const EMPTY: ContactsSnapshot = { loaded: false, contacts: [], requests: [], pending: 0, blocked: null };

/** The badge: requests to `me`, pending and not lapsed. */
export function pendingCount(requests: readonly ContactRequestView[], me: string | null, now: number): number {
  if (!me) return 0;
  return requests.filter((r) => r.to.id === me && r.state === 'pending' && r.expiresAt > now).length;
}

export class ContactsStore {
  readonly #transport: ImTransport;
  readonly #me: () => string | null;
  readonly #now: () => number;
  readonly #names = new NameMatcher();
  readonly #listeners = new Set<(snapshot: ContactsSnapshot) => void>();
  #snapshot: ContactsSnapshot = EMPTY;
  #stops: (() => void)[] = [];

  constructor(transport: ImTransport, options: ContactsStoreOptions) {
    this.#transport = transport;
    const me = options.me;
    this.#me = typeof me === 'function' ? me : () => me;
    this.#now = options.now ?? Date.now;
  }

  get snapshot(): ContactsSnapshot {
    return this.#snapshot;
  }

  /** Called with every new snapshot; returns the unsubscribe. */
  subscribe(listener: (snapshot: ContactsSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Loads the list and the requests, and follows live changes and
   * reconnections from now on (until `stop`). Idempotent. Pinyin starts
   * loading too, so local search is ready by the time anyone types.
   */
  start(): Promise<void> {
    if (this.#stops.length === 0) {
      const refreshList = () => void this.refresh().catch(() => undefined);
      this.#stops.push(
        this.#transport.on('im.contactRequest', (request) => this.#upsertRequest(request)),
        this.#transport.on('im.contacts', refreshList),
        this.#transport.onConnected(refreshList),
      );
      void loadPinyin().catch(() => undefined);
    }
    return this.refresh();
  }

  stop(): void {
    for (const stop of this.#stops) stop();
    this.#stops = [];
  }

  /** Fetches the list and the requests again (coalesced: one at a time, one more queued). */
  refresh(): Promise<void> {
    return this.#reload();
  }

  readonly #reload = coalesced(async () => {
    const [contacts, requests] = await Promise.all([
      this.#transport.request<ContactView[]>('GET', '/contacts'),
      this.#transport.request<ContactRequestView[]>('GET', '/contacts/requests'),
    ]);
    this.#set({ loaded: true, contacts, requests: sortRequests(requests) });
    // The first search then finds every name indexed.
    this.#names.warm(contacts.flatMap((c) => (c.remark ? [c.remark, c.nickname] : [c.nickname])));
  });

  // ------------------------------------------------------------------ reading

  contact(userId: string): ContactView | undefined {
    return this.#snapshot.contacts.find((c) => c.userId === userId);
  }

  isContact(userId: string): boolean {
    return this.contact(userId) !== undefined;
  }

  /** The list (or a part of it) in rail sections, by the contacts' letters. */
  sections(contacts: readonly ContactView[] = this.#snapshot.contacts): ContactSection[] {
    return sectionsOf(contacts, (c) => c.letter);
  }

  /**
   * Contacts the query finds, in list order, without a round trip: the
   * remark, the nickname, their full pinyin or initials, the Muster ID, a tag.
   * A blank query finds nothing (show the whole list then).
   */
  filter(query: string): ContactView[] {
    const q = query.trim();
    if (!q) return [];
    const lower = q.toLowerCase();
    const matches = this.#names.matcher(q);
    return this.#snapshot.contacts.filter(
      (c) =>
        matches([c.remark, c.nickname]) ||
        (c.musterId !== null && c.musterId.toLowerCase() === lower) ||
        c.tags.some((t) => t.toLowerCase().includes(lower)),
    );
  }

  /** The server's search (`GET /contacts?q=`): the same matching on the remark or nickname. */
  search(query: string): Promise<ContactView[]> {
    return this.#transport.request<ContactView[]>('GET', `/contacts?q=${encodeURIComponent(query)}`);
  }

  /** The person with exactly this phone number or Muster ID, or null when there is none. */
  async lookup(query: LookupQuery): Promise<PublicProfile | null> {
    const params = 'phone' in query ? `phone=${encodeURIComponent(query.phone.trim())}` : `musterId=${encodeURIComponent(query.musterId.trim())}`;
    try {
      return await this.#transport.request<PublicProfile>('GET', `/users/lookup?${params}`);
    } catch (error) {
      if (error instanceof ImClientError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  /** A person's public profile (for a contact's page reached by a link). */
  profile(userId: string): Promise<PublicProfile> {
    return this.#transport.request<PublicProfile>('GET', `/users/${encodeURIComponent(userId)}`);
  }

  // ------------------------------------------------------------------ requests

  /**
   * Asks to be friends. `accepted` when they had asked me first (asking back
   * accepts theirs): the list then has them.
   */
  async sendRequest(to: string, greeting?: string): Promise<{ id: string; state: 'pending' | 'accepted' }> {
    const body = greeting && greeting.trim() ? { to, greeting: greeting.trim() } : { to };
    const reply = await this.#transport.request<{ id: string; state: 'pending' | 'accepted' }>('POST', '/contacts/requests', body);
    await this.refresh().catch(() => undefined);
    return reply;
  }

  accept(requestId: string): Promise<void> {
    return this.#answer(requestId, true);
  }

  decline(requestId: string): Promise<void> {
    return this.#answer(requestId, false);
  }

  async #answer(requestId: string, accept: boolean): Promise<void> {
    const before = this.#snapshot.requests.find((r) => r.id === requestId);
    if (before) this.#upsertRequest({ ...before, state: accept ? 'accepted' : 'declined' });
    try {
      await this.#transport.request<void>('POST', `/contacts/requests/${encodeURIComponent(requestId)}/${accept ? 'accept' : 'decline'}`);
    } catch (error) {
      if (before) this.#upsertRequest(before, true);
      // Answered elsewhere or lapsed: what the server holds is the truth.
      void this.refresh().catch(() => undefined);
      throw error;
    }
    if (accept) await this.refresh().catch(() => undefined);
  }

  // ------------------------------------------------------------------ contacts

  /** Sets (or, with null or '', clears) my name for them; the list re-sorts at once. */
  setRemark(userId: string, remark: string | null): Promise<ContactView> {
    const value = remark === null || remark.trim() === '' ? null : remark.trim();
    return this.#update(userId, { remark: value }, (c) => ({ ...c, remark: value, displayName: value ?? c.nickname }));
  }

  setTags(userId: string, tags: string[]): Promise<ContactView> {
    const clean = [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
    return this.#update(userId, { tags: clean }, (c) => ({ ...c, tags: clean }));
  }

  async #update(userId: string, change: { remark?: string | null; tags?: string[] }, apply: (c: ContactView) => ContactView): Promise<ContactView> {
    const before = this.contact(userId);
    if (!before) throw new ImClientError('NOT_FOUND', 'no such contact');
    this.#replaceContact(userId, (c) => this.#relettered(apply(c)));
    try {
      const view = await this.#transport.request<ContactView>('PATCH', `/contacts/${encodeURIComponent(userId)}`, change);
      this.#replaceContact(userId, () => view);
      if (!pinyinIfLoaded()) await loadPinyin().then(() => this.#set({ contacts: this.#sortedContacts(this.#snapshot.contacts) }), () => undefined);
      return view;
    } catch (error) {
      this.#replaceContact(userId, () => before);
      throw error;
    }
  }

  /** Deletes the contact (on both sides, as WeChat does). */
  async remove(userId: string): Promise<void> {
    const before = this.#snapshot.contacts;
    this.#set({ contacts: before.filter((c) => c.userId !== userId) });
    try {
      await this.#transport.request<void>('DELETE', `/contacts/${encodeURIComponent(userId)}`);
    } catch (error) {
      if (!(error instanceof ImClientError && error.code === 'NOT_FOUND')) {
        this.#set({ contacts: before });
        throw error;
      }
    }
  }

  /** People I blocked (the server's list), kept in the snapshot. */
  async loadBlocked(): Promise<readonly BlockedPerson[]> {
    const blocked = await this.#transport.request<BlockedPerson[]>('GET', '/contacts/blocked');
    this.#set({ blocked });
    return blocked;
  }

  isBlocked(userId: string): boolean {
    return this.#snapshot.blocked?.some((b) => b.id === userId) ?? false;
  }

  /** Blocks them: they can no longer message, call or ask me. They stay in the list, as in WeChat. */
  async block(userId: string, profile?: PublicProfile): Promise<void> {
    const before = this.#snapshot.blocked;
    const contact = this.contact(userId);
    const person: PublicProfile | undefined = profile ?? (contact ? { id: userId, nickname: contact.nickname, avatar: contact.avatar, musterId: contact.musterId } : undefined);
    if (person && !this.isBlocked(userId)) this.#set({ blocked: [{ ...person, since: this.#now() }, ...(before ?? [])] });
    try {
      await this.#transport.request<void>('PUT', `/contacts/blocked/${encodeURIComponent(userId)}`);
    } catch (error) {
      this.#set({ blocked: before });
      throw error;
    }
  }

  async unblock(userId: string): Promise<void> {
    const before = this.#snapshot.blocked;
    if (before) this.#set({ blocked: before.filter((b) => b.id !== userId) });
    try {
      await this.#transport.request<void>('DELETE', `/contacts/blocked/${encodeURIComponent(userId)}`);
    } catch (error) {
      if (error instanceof ImClientError && error.code === 'NOT_FOUND') return;
      this.#set({ blocked: before });
      throw error;
    }
  }

  // ------------------------------------------------------------------ internals

  #set(change: Partial<ContactsSnapshot>): void {
    const next = { ...this.#snapshot, ...change };
    next.pending = pendingCount(next.requests, this.#me(), this.#now());
    this.#snapshot = next;
    for (const listener of [...this.#listeners]) {
      try {
        listener(next);
      } catch {
        // A view's failure is its own.
      }
    }
  }

  /** A request new or changed (live, or optimistic); `restore` puts back an older state. */
  #upsertRequest(request: ContactRequestView, restore = false): void {
    const requests = this.#snapshot.requests;
    const at = requests.findIndex((r) => r.id === request.id);
    if (at >= 0 && !restore && requests[at]!.state !== 'pending' && request.state === 'pending') return; // a late echo of an answered request
    const next = at >= 0 ? requests.map((r, i) => (i === at ? request : r)) : [request, ...requests];
    this.#set({ requests: sortRequests(next) });
  }

  #replaceContact(userId: string, change: (c: ContactView) => ContactView): void {
    const contacts = this.#snapshot.contacts.map((c) => (c.userId === userId ? change(c) : c));
    this.#set({ contacts: this.#sortedContacts(contacts) });
  }

  /** The letter for a new display name, when pinyin is in (else the old one until the server answers). */
  #relettered(contact: ContactView): ContactView {
    const letter = this.#names.letter(contact.displayName);
    return letter ? { ...contact, letter } : contact;
  }

  #sortedContacts(contacts: readonly ContactView[]): readonly ContactView[] {
    return this.#names.sort(contacts, (c) => c.displayName) ?? contacts;
  }
}

function sortRequests(requests: readonly ContactRequestView[]): ContactRequestView[] {
  return [...requests].sort((a, b) => b.createdAt - a.createdAt);
}
