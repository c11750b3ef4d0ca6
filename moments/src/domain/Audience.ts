import type { Accounts, AccountRepository, Principal, PublicProfile } from '@muster/accounts';
import type { ContactRepository } from '@muster/im';
import type { Visibility } from '../protocol.ts';

/** What deciding who sees a post needs of it. */
export interface PostFacts {
  authorId: string;
  visibility: Visibility;
  deletedAt: number | null;
}

/** Who is looking. Guests (temporary accounts) see nothing of Moments but their own, and have none. */
export interface Viewer {
  accountId: string;
  guest: boolean;
}

/**
 * The viewer's relations to the people a decision involves: worked out
 * once per request (Audience.relations), then asked synchronously.
 */
export interface Relations {
  /** Whether the viewer and this person are contacts (friends). */
  friends(personId: string): boolean;
  /** Whether either has blocked the other. */
  blocked(personId: string): boolean;
  /** Whether this person's account is active (a disabled or deleted person's posts and reactions are shown to nobody else). */
  active(personId: string): boolean;
  /** Their public profile, when active. */
  profile(personId: string): PublicProfile | undefined;
}

/**
 * Who sees a post: the one rule every read path asks (feeds, profiles, a
 * post by id, comments, search, notices, the file route). The author
 * always; nobody once it is deleted; "private" (Only me): nobody else;
 * "friends": the author's contacts; "all": everyone signed in in the
 * organisation; never a guest, never across a block either way, never
 * after the author's account is disabled. Admins are viewers like anyone.
 */
export function maySeePost(post: PostFacts, viewer: Viewer, relations: Relations): boolean {
  if (post.deletedAt !== null) return false;
  if (post.authorId === viewer.accountId) return true;
  if (viewer.guest) return false;
  if (!relations.active(post.authorId) || relations.blocked(post.authorId)) return false;
  switch (post.visibility) {
    case 'all':
      return true;
    case 'friends':
      return relations.friends(post.authorId);
    case 'private':
      return false;
  }
}

/**
 * Who sees a like or comment by `actorId` on a post (as WeChat users
 * expect): nobody who cannot see the post; else the actor, the post's
 * author, and any viewer who is a contact of both the actor and the
 * author. A reply names the person it answers (`answeredId`), so others
 * see it only when they would see that person's reactions as well. Never
 * across a block between the viewer and the actor (or the person
 * answered), the post's author included.
 */
export function maySeeReaction(post: PostFacts, actorId: string, viewer: Viewer, relations: Relations, answeredId: string | null = null): boolean {
  if (!maySeePost(post, viewer, relations)) return false;
  // One's own like or comment, a reply to anyone included, is always one's own to see.
  if (actorId === viewer.accountId) return true;
  const seen = (personId: string) => {
    if (personId === viewer.accountId) return true;
    // Friends first: for anyone but the post's author, blocks matter only among their contacts (and are looked up only there).
    if (viewer.accountId !== post.authorId && !(relations.friends(personId) && relations.friends(post.authorId))) return false;
    return relations.active(personId) && !relations.blocked(personId);
  };
  return seen(actorId) && (answeredId === null || seen(answeredId));
}

/** A signed-in person as a viewer. */
export function viewerOf(principal: Principal): Viewer {
  return { accountId: principal.accountId, guest: principal.role === 'guest' };
}

/**
 * Gathers the facts the rules above need, for one viewer and the people a
 * request involves: the viewer's contacts (IM's contact list: one indexed
 * read; a friendship is two rows, one per side, written and removed
 * together, so the viewer's list answers "is the viewer in the author's
 * contacts" as isContact(author, viewer) does), the blocks between them
 * (IM's), and who of them is active (accounts' public profiles, also what
 * the views show).
 */
export class Audience {
  readonly #contacts: ContactRepository;
  readonly #accounts: Accounts;
  readonly #accountStore: AccountRepository;

  constructor(options: { contacts: ContactRepository; accounts: Accounts; accountStore: AccountRepository }) {
    this.#contacts = options.contacts;
    this.#accounts = options.accounts;
    this.#accountStore = options.accountStore;
  }

  /**
   * The viewer's relations to `people`. Whether someone blocked the viewer
   * is one read per person, so it is read for the viewer's contacts among
   * them and for `blocksOf` (all of them unless given: the authors whose
   * posts are decided, and whoever reacted to the viewer's own posts);
   * asking it of anyone else is a mistake in the caller, and throws.
   */
  async relations(viewer: Viewer, people: Iterable<string>, options: { blocksOf?: Iterable<string> } = {}): Promise<Relations> {
    const others = [...new Set(people)].filter((id) => id !== viewer.accountId);
    const profiles = await this.#accounts.profiles.publicProfiles([viewer.accountId, ...others]);
    if (viewer.guest) return relationsOf(new Set(), new Set(), new Set(others), profiles);
    const [contacts, blockedByViewer] = await Promise.all([this.#contacts.contactIds(viewer.accountId), this.#contacts.listBlocked(viewer.accountId)]);
    const blocked = new Set(blockedByViewer.map((b) => b.userId));
    const asked = new Set(options.blocksOf ?? others);
    const checked = new Set(others.filter((id) => contacts.has(id) || asked.has(id)));
    const blockers = await Promise.all([...checked].filter((id) => !blocked.has(id) && profiles.has(id)).map(async (id) => ((await this.#contacts.blocked(id, viewer.accountId)) ? id : null)));
    for (const id of blockers) if (id !== null) blocked.add(id);
    return relationsOf(contacts, blocked, checked, profiles);
  }

  /** Whether this account may read like a signed-in person: active, not a guest, not expired (the file route knows only an id). */
  isRegularUser(accountId: string): Promise<boolean> {
    return this.#accounts.profiles.isRegularUser(accountId);
  }

  /** Whether this account is an active admin (the file route knows only an id: reviewing a reported post's files). */
  async isAdmin(accountId: string): Promise<boolean> {
    const account = await this.#accountStore.get(accountId);
    return account !== null && account.role === 'admin' && account.status === 'active';
  }

  /**
   * The relations of each of `viewerIds` to one person (`authorId`), where
   * each of them is known to be that person's contact: for telling a new
   * post's author's contacts, one read for the author's blocks and one per
   * contact for theirs.
   */
  async contactsRelations(authorId: string, viewerIds: readonly string[]): Promise<Map<string, Relations>> {
    const profiles = await this.#accounts.profiles.publicProfiles([authorId]);
    const blockedByAuthor = new Set((await this.#contacts.listBlocked(authorId)).map((b) => b.userId));
    const found = new Map<string, Relations>();
    await Promise.all(
      viewerIds.map(async (id) => {
        const blocked = blockedByAuthor.has(id) || (await this.#contacts.blocked(id, authorId));
        found.set(id, relationsOf(new Set([authorId]), blocked ? new Set([authorId]) : new Set(), new Set([authorId]), profiles));
      }),
    );
    return found;
  }
}

function relationsOf(friends: ReadonlySet<string>, blocked: ReadonlySet<string>, checked: ReadonlySet<string>, profiles: ReadonlyMap<string, PublicProfile>): Relations {
  return {
    friends: (id) => friends.has(id),
    blocked: (id) => {
      if (blocked.has(id)) return true;
      // Never a silent "not blocked" for someone whose blocks were not read.
      if (!checked.has(id) && profiles.has(id)) throw new Error('moments: asked whether someone blocked the viewer without reading it');
      return false;
    },
    active: (id) => profiles.has(id),
    profile: (id) => profiles.get(id),
  };
}
