/**
 * What the Contacts tab shows, worked out without a browser: the search
 * results (contacts and groups), a "New friends" row, the add-friend input,
 * a contact's names.
 */
import type { ContactRequestView, ContactView } from '@muster/im/client';

/** What the add-friend box was given: a phone number (digits, maybe +, spaces, dashes) or a Muster ID. */
export function parseLookup(input: string): { phone: string } | { musterId: string } | null {
  const text = input.trim();
  if (!text) return null;
  const compact = text.replace(/[\s()-]/g, '');
  if (/^\+?\d{5,16}$/.test(compact)) {
    // A bare mainland number (11 digits from 1) is +86; others must carry their country code.
    if (/^1\d{10}$/.test(compact)) return { phone: `+86${compact}` };
    return { phone: compact.startsWith('+') ? compact : `+${compact}` };
  }
  return { musterId: text };
}

export type RequestRow = {
  id: string;
  /** The other person. */
  person: ContactRequestView['from'];
  incoming: boolean;
  greeting: string | null;
  /** Accept and Decline, or a word for where it stands. */
  actions: boolean;
  status: string;
};

/** A "New friends" row from my side: who, their greeting, and what I can do. */
export function requestRow(request: ContactRequestView, me: string | null, now: number): RequestRow {
  const incoming = request.to.id === me;
  const state = request.state === 'pending' && request.expiresAt <= now ? 'expired' : request.state;
  const status =
    state === 'accepted' ? 'Added' : state === 'declined' ? (incoming ? 'Declined' : 'Not accepted') : state === 'expired' ? 'Expired' : incoming ? '' : 'Waiting';
  return { id: request.id, person: incoming ? request.from : request.to, incoming, greeting: request.greeting, actions: incoming && state === 'pending', status };
}

/** The badge text: nothing at 0, "99+" above 99. */
export function badgeText(count: number): string {
  return count <= 0 ? '' : count > 99 ? '99+' : String(count);
}

/** A group as the search and the groups list show it. */
export interface GroupLike {
  id: string;
  name: string;
  members?: number;
}

/** A contact's secondary line: the nickname when a remark hides it, else the Muster ID. */
export function contactSubtitle(contact: Pick<ContactView, 'remark' | 'nickname' | 'musterId'>): string {
  if (contact.remark) return `Nickname: ${contact.nickname}`;
  return contact.musterId ? `Muster ID: ${contact.musterId}` : '';
}

/** The tags typed in a box: split on commas (either width) and 、, trimmed, no blanks or repeats, at most 20 of 20 characters. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[,，、]/)
    .map((t) => t.trim().slice(0, 20))
    .filter((t) => t !== '');
  return [...new Set(tags)].slice(0, 20);
}

/** The first `limit` rows of a sectioned list, sections kept (the first frame of a long list). */
export function firstRows<T>(sections: readonly { letter: string; items: T[] }[], limit: number): { letter: string; items: T[] }[] {
  const out: { letter: string; items: T[] }[] = [];
  let left = limit;
  for (const section of sections) {
    if (left <= 0) break;
    const items = section.items.slice(0, left);
    out.push({ letter: section.letter, items });
    left -= items.length;
  }
  return out;
}
