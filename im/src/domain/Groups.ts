import crypto from 'node:crypto';
import { avatarImages, isAccountError, type Accounts, type Principal, type PublicProfile } from '@muster/accounts';
import { ImError } from '../errors.ts';
import { GROUP_CHANGES, type GroupDetailsView, type GroupMemberView, type JoinRequestView } from '../groupsProtocol.ts';
import { MAX_GROUP_MEMBERS, type GroupView, type SystemNotice } from '../protocol.ts';
import type { ContactRepository } from '../store/ContactRepository.ts';
import type { Conversation, ConversationRepository, Membership, MemberRole } from '../store/ConversationRepository.ts';
import type { GroupRepository, GroupSettings } from '../store/GroupRepository.ts';
import type { Contacts } from './Contacts.ts';
import type { Conversations, SendAttempt } from './Conversations.ts';
import type { ImHub } from './ImHub.ts';
import { matchesName, nameIndex } from './pinyinNames.ts';

/** Groups listed at once, most recently active first. */
const GROUPS_LISTED = 500;
const REQUESTS_LISTED = 500;

export interface GroupsOptions {
  groups: GroupRepository;
  /** The conversation tables' store: members, roles, the group's conversation. */
  store: ConversationRepository;
  /** System notices (appendSystem) go through it. */
  conversations: Conversations;
  contacts: Contacts;
  /** The viewer's remarks, for members' display names. */
  contactStore: ContactRepository;
  accounts: Accounts;
  hub: ImHub;
  now?: () => number;
}

type GroupChange = (typeof GROUP_CHANGES)[number];

/** A member's standing, strongest first: an action on someone needs a stronger role than theirs. */
const RANK: Record<MemberRole, number> = { owner: 3, admin: 2, member: 1 };

/**
 * Group administration, as WeChat has it: an owner, admins and members.
 *
 * - Anyone in the group invites their own contacts; with join approval on, a
 *   plain member's invitation waits as a join request for the owner or an admin.
 * - Owner and admins rename it, set its notice and settings, mute members
 *   (or everyone but themselves), remove members; only the owner removes or
 *   mutes admins, makes and unmakes them, hands the group on and dissolves it.
 * - The owner may leave: the group passes to the longest-standing admin,
 *   else the longest-standing member (a group left empty is dissolved).
 * - A dissolved group keeps its members and history, but nobody sends in it
 *   and nothing about it changes again (GROUP_DISSOLVED).
 * - Someone who left or was removed is no longer a member: the group and
 *   its conversation are NOT_FOUND to them, and its live events stop.
 *
 * Every change is a system notice in the conversation (seq'd, like a
 * message) and an `im.group` live event with the group's new info.
 */
export class Groups {
  readonly #groups: GroupRepository;
  readonly #store: ConversationRepository;
  readonly #conversations: Conversations;
  readonly #contacts: Contacts;
  readonly #contactStore: ContactRepository;
  readonly #accounts: Accounts;
  readonly #hub: ImHub;
  readonly #now: () => number;

  constructor(options: GroupsOptions) {
    this.#groups = options.groups;
    this.#store = options.store;
    this.#conversations = options.conversations;
    this.#contacts = options.contacts;
    this.#contactStore = options.contactStore;
    this.#accounts = options.accounts;
    this.#hub = options.hub;
    this.#now = options.now ?? Date.now;
    // A group's avatar is served at the same signed paths as a person's (ids never collide: a group's starts with cv).
    options.accounts.profiles.useAvatarSource((id) => (id.startsWith('cv') ? this.#groups.getAvatar(id) : Promise.resolve(null)));
  }

  /**
   * A group made from the owner's contacts (at most 1000 people with the
   * owner); guests cannot make groups. Its conversation id is its id. A
   * temporary group is dissolved at `expiresAt` or when idle (TemporaryGroups).
   */
  async create(principal: Principal, input: { name: string; members: string[]; temporary?: { expiresAt?: number } }): Promise<GroupView> {
    if (principal.role === 'guest') throw new ImError('FORBIDDEN', 'guest accounts cannot make groups');
    const members = [...new Set(input.members)].filter((m) => m !== principal.accountId);
    if (members.length === 0) throw new ImError('BAD_REQUEST', 'a group needs someone besides you');
    if (members.length + 1 > MAX_GROUP_MEMBERS) throw new ImError('BAD_REQUEST', `a group holds at most ${MAX_GROUP_MEMBERS} people`);
    const now = this.#now();
    const expiresAt = input.temporary?.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= now) throw new ImError('BAD_REQUEST', 'temporary.expiresAt must be in the future');
    await this.#assertContacts(principal.accountId, members);
    const id = `cv${crypto.randomBytes(12).toString('base64url')}`;
    const temporary = input.temporary !== undefined;
    await this.#store.createGroup(id, principal.accountId, members, { name: input.name, notice: '', temporary }, now, (trx) =>
      this.#groups.insertSettings(trx, id, { temporary, expiresAt }, now),
    );
    // No stored "created" notice: a new group's first message is seq 1 (see the report); the live event tells devices.
    const view = await this.#view(id);
    this.#hub.publish('im.group', [principal.accountId, ...members], { group: view, change: 'created', actorId: principal.accountId, userIds: members });
    return { ...view, role: 'owner' };
  }

  /** My groups, most recently active first; `q` matches the name itself, its pinyin or initials. */
  async list(principal: Principal, query?: string): Promise<GroupView[]> {
    const mine = await this.#groups.groupsOf(principal.accountId, GROUPS_LISTED);
    const views = await this.#views(mine.map((g) => g.conversationId));
    const q = query?.trim() ?? '';
    return mine.flatMap(({ conversationId, role }) => {
      const view = views.get(conversationId);
      if (!view || (q !== '' && !matchesName(q, nameIndex(view.name)))) return [];
      return [{ ...view, role }];
    });
  }

  /** The group with its members (owner, admins, then members by when they joined); `q` filters members by display name. */
  async get(principal: Principal, id: string, query?: string): Promise<GroupDetailsView> {
    const { membership } = await this.#member(principal, id);
    const [view, members, mutes, remarks] = await Promise.all([
      this.#view(id),
      this.#store.members(id),
      this.#groups.mutes(id, this.#now()),
      this.#remarks(principal.accountId),
    ]);
    const profiles = await this.#accounts.profiles.publicProfiles(members.map((m) => m.userId));
    const q = query?.trim() ?? '';
    const memberList: GroupMemberView[] = [];
    for (const m of [...members].sort((a, b) => RANK[b.role] - RANK[a.role] || a.joinedAt - b.joinedAt || (a.userId < b.userId ? -1 : 1))) {
      const person = profiles.get(m.userId);
      const nickname = person?.nickname ?? '';
      const displayName = remarks.get(m.userId) ?? nickname;
      if (q !== '' && !matchesName(q, nameIndex(displayName)) && !(displayName !== nickname && matchesName(q, nameIndex(nickname)))) continue;
      memberList.push({
        userId: m.userId,
        nickname,
        displayName,
        avatar: person?.avatar ?? null,
        role: m.role,
        joinedAt: m.joinedAt,
        ...(mutes.has(m.userId) ? { mutedUntil: mutes.get(m.userId)! } : {}),
      });
    }
    return { ...view, role: membership.role, memberList };
  }

  /** Name, notice, join approval, mute-all, export for admins only: owner and admins. */
  async update(principal: Principal, id: string, change: { name?: string; notice?: string; joinApproval?: boolean; muteAll?: boolean; exportAdminsOnly?: boolean }): Promise<GroupView> {
    const { conversation, membership, settings } = await this.#member(principal, id, { live: true, role: 'admin' });
    const meta = conversation.meta!;
    const actorId = principal.accountId;
    const renamed = change.name !== undefined && change.name !== meta.name;
    const noticed = change.notice !== undefined && change.notice !== meta.notice;
    if (renamed || noticed) await this.#groups.setMeta(id, { ...meta, ...(renamed ? { name: change.name! } : {}), ...(noticed ? { notice: change.notice! } : {}) });
    const flags: Partial<GroupSettings> = {};
    if (change.joinApproval !== undefined && change.joinApproval !== settings.joinApproval) flags.joinApproval = change.joinApproval;
    if (change.muteAll !== undefined && change.muteAll !== settings.muteAll) flags.muteAll = change.muteAll;
    if (change.exportAdminsOnly !== undefined && change.exportAdminsOnly !== settings.exportAdminsOnly) flags.exportAdminsOnly = change.exportAdminsOnly;
    if (Object.keys(flags).length > 0) await this.#groups.updateSettings(id, flags, this.#now());
    if (renamed) await this.#notice(id, { kind: 'renamed', actorId, text: change.name! });
    if (noticed) await this.#notice(id, { kind: 'notice', actorId, text: change.notice! });
    if (flags.muteAll !== undefined) await this.#notice(id, { kind: flags.muteAll ? 'muted' : 'unmuted', actorId, detail: { everyone: true } });
    // One event for the whole change, named by its most visible part; devices take the new info whole.
    const kind: GroupChange | null = renamed ? 'renamed' : noticed ? 'notice' : Object.keys(flags).length > 0 ? 'settings' : null;
    const view = kind ? await this.#announce(id, kind, actorId) : await this.#view(id);
    return { ...view, role: membership.role };
  }

  /**
   * The group's photo: owner and admins. Any image a person's avatar may be
   * (the same pipeline: upright, centre square, 64 and 256 px WebP, no
   * metadata); IMAGE_INVALID or PAYLOAD_TOO_LARGE otherwise. A new photo has
   * a new path; members see "X changed the group photo" and an `avatar` event.
   */
  async setAvatar(principal: Principal, id: string, image: Buffer): Promise<GroupView> {
    const { membership } = await this.#member(principal, id, { live: true, role: 'admin' });
    let images: { small: Buffer; large: Buffer };
    try {
      images = await avatarImages(image);
    } catch (error) {
      if (isAccountError(error) && (error.code === 'IMAGE_INVALID' || error.code === 'PAYLOAD_TOO_LARGE')) throw new ImError(error.code, error.message);
      throw error;
    }
    await this.#groups.putAvatar(id, images, this.#now());
    await this.#notice(id, { kind: 'avatar', actorId: principal.accountId });
    const view = await this.#announce(id, 'avatar', principal.accountId);
    return { ...view, role: membership.role };
  }

  /** Back to no photo (owner and admins); nothing happens if it had none. */
  async removeAvatar(principal: Principal, id: string): Promise<GroupView> {
    const { membership } = await this.#member(principal, id, { live: true, role: 'admin' });
    if (!(await this.#groups.removeAvatar(id, this.#now()))) return { ...(await this.#view(id)), role: membership.role };
    await this.#notice(id, { kind: 'avatar', actorId: principal.accountId, detail: { removed: true } });
    const view = await this.#announce(id, 'avatar', principal.accountId);
    return { ...view, role: membership.role };
  }

  /**
   * Brings the inviter's contacts in. The owner and admins add them at once;
   * with join approval on, a plain member's invitation becomes a join request.
   * Those already in are left as they are. The group holds at most 1000 people (GROUP_FULL).
   */
  async invite(principal: Principal, id: string, userIds: string[]): Promise<{ added: string[]; requested: string[] }> {
    const { membership, settings } = await this.#member(principal, id, { live: true });
    const present = new Set((await this.#store.members(id)).map((m) => m.userId));
    const invited = [...new Set(userIds)].filter((u) => !present.has(u));
    if (invited.length === 0) return { added: [], requested: [] };
    await this.#assertContacts(principal.accountId, invited);
    const now = this.#now();
    if (settings.joinApproval && membership.role === 'member') {
      const requested: string[] = [];
      for (const userId of invited) {
        const request = await this.#groups.addRequest({ id: `gj${crypto.randomBytes(12).toString('base64url')}`, conversationId: id, userId, inviterId: principal.accountId, state: 'pending', createdAt: now, updatedAt: now });
        requested.push(request.userId);
      }
      const view = await this.#view(id);
      this.#hub.publish('im.group', await this.#staff(id), { group: view, change: 'request', actorId: principal.accountId, userIds: requested });
      return { added: [], requested };
    }
    const added = await this.#add(id, principal.accountId, invited);
    return { added, requested: [] };
  }

  /** Pending join requests: owner and admins. */
  async joinRequests(principal: Principal, id: string): Promise<JoinRequestView[]> {
    await this.#member(principal, id, { role: 'admin' });
    const requests = await this.#groups.pendingRequests(id, REQUESTS_LISTED);
    const people = await this.#accounts.profiles.publicProfiles(requests.map((r) => r.userId));
    return requests.map((r) => {
      const person: PublicProfile | undefined = people.get(r.userId);
      return { id: r.id, groupId: id, user: { id: r.userId, nickname: person?.nickname ?? '', avatar: person?.avatar ?? null }, inviterId: r.inviterId, createdAt: r.createdAt };
    });
  }

  /** Approves (they join, if there is room) or declines a pending join request: owner and admins. */
  async answer(principal: Principal, id: string, requestId: string, approve: boolean): Promise<void> {
    await this.#member(principal, id, { live: true, role: 'admin' });
    const request = await this.#groups.getRequest(requestId);
    if (!request || request.conversationId !== id || request.state !== 'pending') throw new ImError('NOT_FOUND', 'no such pending join request');
    if (approve) {
      // Room is checked before the request is settled, so a full group leaves it pending.
      const present = await this.#store.countMembers(id);
      if (!(await this.#store.membership(id, request.userId)) && present + 1 > MAX_GROUP_MEMBERS) throw new ImError('GROUP_FULL', `a group holds at most ${MAX_GROUP_MEMBERS} people`);
    }
    if (!(await this.#groups.settleRequest(requestId, approve ? 'approved' : 'declined', this.#now()))) throw new ImError('NOT_FOUND', 'no such pending join request');
    if (approve) await this.#add(id, request.inviterId, [request.userId]);
  }

  /** Takes someone out: admins remove members, the owner removes admins too; nobody removes the owner. */
  async remove(principal: Principal, id: string, userId: string): Promise<void> {
    if (userId === principal.accountId) throw new ImError('BAD_REQUEST', 'to go, leave the group');
    const { membership } = await this.#member(principal, id, { live: true, role: 'admin' });
    const target = await this.#target(id, userId);
    if (RANK[target.role] >= RANK[membership.role]) throw new ImError('FORBIDDEN', target.role === 'owner' ? 'nobody removes the owner' : 'only the owner removes admins');
    if (!(await this.#groups.removeMember(id, userId))) throw new ImError('NOT_FOUND', 'no such member');
    await this.#notice(id, { kind: 'removed', actorId: principal.accountId, userIds: [userId] });
    await this.#announce(id, 'removed', principal.accountId, [userId], [userId]);
  }

  /**
   * Leaves the group. The owner's group passes to the longest-standing
   * admin, else the longest-standing member; the last person out dissolves
   * it. Leaving a dissolved group only takes it off your list.
   */
  async leave(principal: Principal, id: string): Promise<void> {
    const { membership, settings } = await this.#member(principal, id);
    const actorId = principal.accountId;
    if (settings.dissolvedAt !== null) {
      await this.#groups.removeMember(id, actorId);
      // No notice in a dissolved group; their other devices drop it too.
      await this.#announce(id, 'left', actorId, [actorId], [actorId]);
      return;
    }
    if (membership.role === 'owner') {
      const heir = await this.#groups.successor(id, actorId);
      if (heir === null) {
        // The last one out: nothing left to hand on.
        await this.#groups.dissolve(id, this.#now());
        await this.#groups.removeMember(id, actorId);
        await this.#announce(id, 'left', actorId, [actorId], [actorId]);
        return;
      }
      if (!(await this.#groups.transfer(id, actorId, heir, true))) throw new ImError('NOT_FOUND', 'no such group');
      await this.#notice(id, { kind: 'left', actorId, userIds: [actorId] });
      await this.#notice(id, { kind: 'owner', actorId, userIds: [heir] });
      // The members hear of the new owner; the one who left (and only they, once more) that they left.
      await this.#announce(id, 'owner', actorId, [heir]);
      await this.#announce(id, 'left', actorId, [actorId], [actorId]);
      return;
    }
    if (!(await this.#groups.removeMember(id, actorId))) throw new ImError('NOT_FOUND', 'no such group');
    await this.#notice(id, { kind: 'left', actorId, userIds: [actorId] });
    await this.#announce(id, 'left', actorId, [actorId], [actorId]);
  }

  /** The owner hands the group to another member, and stays as a member. */
  async transfer(principal: Principal, id: string, userId: string): Promise<GroupView> {
    await this.#member(principal, id, { live: true, role: 'owner' });
    if (userId === principal.accountId) throw new ImError('BAD_REQUEST', 'you own it already');
    await this.#target(id, userId);
    if (!(await this.#groups.transfer(id, principal.accountId, userId, false))) throw new ImError('NOT_FOUND', 'no such member');
    await this.#notice(id, { kind: 'owner', actorId: principal.accountId, userIds: [userId] });
    const view = await this.#announce(id, 'owner', principal.accountId, [userId]);
    return { ...view, role: 'member' };
  }

  /** Makes a member an admin, or an admin a member: the owner only. Setting what is already so changes nothing. */
  async setAdmin(principal: Principal, id: string, userId: string, admin: boolean): Promise<void> {
    await this.#member(principal, id, { live: true, role: 'owner' });
    const target = await this.#target(id, userId);
    if (target.role === 'owner') throw new ImError('BAD_REQUEST', 'the owner is more than an admin');
    if (!(await this.#groups.setRole(id, userId, admin ? 'admin' : 'member'))) return;
    await this.#notice(id, { kind: 'admin', actorId: principal.accountId, userIds: [userId], detail: { granted: admin } });
    await this.#announce(id, 'admin', principal.accountId, [userId]);
  }

  /** Mutes a member until a time (or until unmuted): admins mute members, the owner admins too. */
  async mute(principal: Principal, id: string, userId: string, until: number | null): Promise<void> {
    const { membership } = await this.#member(principal, id, { live: true, role: 'admin' });
    if (until !== null && until <= this.#now()) throw new ImError('BAD_REQUEST', 'until must be in the future');
    const target = await this.#target(id, userId);
    if (RANK[target.role] >= RANK[membership.role]) throw new ImError('FORBIDDEN', target.role === 'owner' ? 'nobody mutes the owner' : 'only the owner mutes admins');
    await this.#groups.mute(id, userId, until, this.#now());
    await this.#notice(id, { kind: 'muted', actorId: principal.accountId, userIds: [userId], ...(until !== null ? { detail: { until } } : {}) });
    await this.#announce(id, 'muted', principal.accountId, [userId]);
  }

  async unmute(principal: Principal, id: string, userId: string): Promise<void> {
    const { membership } = await this.#member(principal, id, { live: true, role: 'admin' });
    const target = await this.#target(id, userId);
    if (RANK[target.role] >= RANK[membership.role]) throw new ImError('FORBIDDEN', 'only the owner unmutes admins');
    if (!(await this.#groups.unmute(id, userId, this.#now()))) throw new ImError('NOT_FOUND', 'this member is not muted');
    await this.#notice(id, { kind: 'unmuted', actorId: principal.accountId, userIds: [userId] });
    await this.#announce(id, 'unmuted', principal.accountId, [userId]);
  }

  /** Dissolves the group: the owner only. Members keep its history; nobody sends in it again. */
  async dissolve(principal: Principal, id: string): Promise<void> {
    await this.#member(principal, id, { live: true, role: 'owner' });
    if (!(await this.#groups.dissolve(id, this.#now()))) throw new ImError('GROUP_DISSOLVED', 'this group was dissolved');
    await this.#notice(id, { kind: 'dissolved', actorId: principal.accountId });
    await this.#announce(id, 'dissolved', principal.accountId);
  }

  /**
   * The send rule of groups (registered with conversations.useSendCheck):
   * nobody sends in a dissolved group; a muted member, or anyone but the
   * owner and admins under mute-all, is MUTED; @everyone is theirs only.
   */
  async checkSend(attempt: SendAttempt): Promise<void> {
    if (attempt.conversation.kind !== 'group') return;
    const state = await this.#groups.sendState(attempt.conversation.id, attempt.principal.accountId, this.#now());
    if (!state) throw new ImError('NOT_FOUND', 'no such conversation');
    if (state.settings.dissolvedAt !== null) throw new ImError('GROUP_DISSOLVED', 'this group was dissolved');
    const staff = state.role !== 'member';
    if (state.mutedUntil !== undefined) throw new ImError('MUTED', state.mutedUntil === null ? 'you are muted in this group' : `you are muted in this group until ${new Date(state.mutedUntil).toISOString()}`);
    if (state.settings.muteAll && !staff) throw new ImError('MUTED', 'only the owner and admins may speak in this group now');
    if (attempt.input.mentionAll && !staff) throw new ImError('FORBIDDEN', '@everyone is for the owner and admins');
  }

  // ---------------------------------------------------------------- for TemporaryGroups and the console

  /** The group's info (no viewer's role), or null if there is no such group. */
  async info(id: string): Promise<GroupView | null> {
    const conversation = await this.#store.get(id);
    if (!conversation || conversation.kind !== 'group') return null;
    return this.#view(id);
  }

  /** Stores a system notice from the system itself (the sweeper's "expiring"). */
  async systemNotice(id: string, notice: SystemNotice): Promise<void> {
    await this.#notice(id, notice);
  }

  /** Tells the members (and `alsoTo`) the group changed. */
  async announce(id: string, change: GroupChange, actorId: string, userIds?: string[], alsoTo: string[] = []): Promise<GroupView> {
    return this.#announce(id, change, actorId, userIds, alsoTo);
  }

  // ---------------------------------------------------------------- inside

  /**
   * The caller's membership of a group, or NOT_FOUND (not a group, or not
   * theirs). `live`: refused once dissolved; `role`: at least that role (FORBIDDEN).
   */
  async #member(principal: Principal, id: string, need: { live?: boolean; role?: 'admin' | 'owner' } = {}): Promise<{ conversation: Conversation; membership: Membership; settings: GroupSettings }> {
    const [conversation, membership] = await Promise.all([this.#store.get(id), this.#store.membership(id, principal.accountId)]);
    if (!conversation || conversation.kind !== 'group' || !membership) throw new ImError('NOT_FOUND', 'no such group');
    const settings = await this.#groups.settings(id);
    if (need.live && settings.dissolvedAt !== null) throw new ImError('GROUP_DISSOLVED', 'this group was dissolved');
    if (need.role && RANK[membership.role] < RANK[need.role]) throw new ImError('FORBIDDEN', need.role === 'owner' ? 'only the owner may do this' : 'only the owner and admins may do this');
    return { conversation, membership, settings };
  }

  async #target(id: string, userId: string): Promise<Membership> {
    const target = await this.#store.membership(id, userId);
    if (!target) throw new ImError('NOT_FOUND', 'no such member');
    return target;
  }

  async #assertContacts(ownerId: string, userIds: readonly string[]): Promise<void> {
    const mine = await this.#contacts.contactIds(ownerId);
    const stranger = userIds.find((m) => !mine.has(m));
    if (stranger) throw new ImError('BAD_REQUEST', `${stranger} is not one of your contacts`);
  }

  /** Adds people (those in already are skipped), then the notice and the event; GROUP_FULL past 1000. */
  async #add(id: string, actorId: string, userIds: string[]): Promise<string[]> {
    const added = await this.#groups.addMembers(id, userIds, MAX_GROUP_MEMBERS, this.#now());
    if (added === null) throw new ImError('GROUP_FULL', `a group holds at most ${MAX_GROUP_MEMBERS} people`);
    if (added.length === 0) return added;
    await this.#notice(id, { kind: 'joined', actorId, userIds: added });
    await this.#announce(id, 'joined', actorId, added);
    return added;
  }

  #notice(id: string, notice: SystemNotice): Promise<unknown> {
    return this.#conversations.appendSystem(id, notice);
  }

  async #announce(id: string, change: GroupChange, actorId: string, userIds?: string[], alsoTo: string[] = []): Promise<GroupView> {
    const view = await this.#view(id);
    const members = (await this.#store.members(id)).map((m) => m.userId);
    this.#hub.publish('im.group', [...new Set([...members, ...alsoTo])], { group: view, change, actorId, ...(userIds ? { userIds } : {}) });
    return view;
  }

  async #staff(id: string): Promise<string[]> {
    return (await this.#store.members(id)).filter((m) => m.role !== 'member').map((m) => m.userId);
  }

  async #remarks(userId: string): Promise<Map<string, string>> {
    const contacts = await this.#contactStore.list(userId);
    return new Map(contacts.flatMap((c) => (c.remark ? [[c.contactId, c.remark] as const] : [])));
  }

  async #view(id: string): Promise<GroupView> {
    const view = (await this.#views([id])).get(id);
    if (!view) throw new ImError('NOT_FOUND', 'no such group');
    return view;
  }

  async #views(ids: readonly string[]): Promise<Map<string, GroupView>> {
    const [conversations, settings, staff, avatars] = await Promise.all([
      Promise.all(ids.map((id) => this.#store.get(id))),
      this.#groups.settingsOf(ids),
      this.#groups.staffOf(ids),
      this.#groups.avatarVersionsOf(ids),
    ]);
    const views = new Map<string, GroupView>();
    for (const c of conversations) {
      if (!c || c.kind !== 'group' || !c.meta) continue;
      const s = settings.get(c.id)!;
      const people = staff.get(c.id)!;
      views.set(c.id, {
        id: c.id,
        conversationId: c.id,
        name: c.meta.name,
        avatar: avatars.has(c.id) ? this.#accounts.profiles.avatarPaths(c.id, avatars.get(c.id)!) : null,
        notice: c.meta.notice,
        members: people.members,
        ownerId: people.ownerId,
        adminIds: people.adminIds,
        joinApproval: s.joinApproval,
        muteAll: s.muteAll,
        exportAdminsOnly: s.exportAdminsOnly,
        temporary: s.temporary || c.meta.temporary,
        expiresAt: s.expiresAt,
        dissolvedAt: s.dissolvedAt,
        createdAt: c.createdAt,
      });
    }
    return views;
  }
}
