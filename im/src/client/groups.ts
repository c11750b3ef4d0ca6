/**
 * The groups part of the IM SDK: framework-free state for "my groups" and a
 * group's info page, over any `ImTransport`.
 *
 * - My groups, sorted by name in pinyin order, searchable by name, full
 *   pinyin or initials like contacts.
 * - A group's details (members with roles and mutes), fetched when opened and
 *   kept up to date by `im.group` events; admin actions (invite, remove, make
 *   admin, mute, transfer, dissolve), settings (name, notice, join approval,
 *   mute all, export by the owner and admins only), leave; join requests
 *   waiting for approval.
 *
 * Actions are optimistic: the snapshot changes at once and is put back if
 * the server refuses (the promise then rejects with its ImClientError).
 * `permissions` says which actions the signed-in person may take on whom, so
 * views show only those.
 */
import type { GroupView } from '../protocol.ts';
import type { GroupDetailsView, GroupMemberView, JoinRequestView } from '../groupsProtocol.ts';
import { NameMatcher, loadPinyin } from './names.ts';
import { ImClientError, type ImTransport } from './transport.ts';
import { coalesced } from './coalesced.ts';

export type GroupRole = 'owner' | 'admin' | 'member';
export type { GroupDetailsView, GroupMemberView, JoinRequestView };

export interface GroupsSnapshot {
  loaded: boolean;
  /** My groups (dissolved ones left out), by name in pinyin order. */
  groups: readonly GroupView[];
  /** Groups opened with `open`, by id, with their members. */
  details: Readonly<Record<string, GroupDetailsView>>;
}

export interface GroupsStoreOptions {
  me: string | (() => string | null);
}

export interface GroupChange {
  name?: string;
  notice?: string;
  joinApproval?: boolean;
  muteAll?: boolean;
  /** Only the owner and admins may export the chat as minutes. */
  exportAdminsOnly?: boolean;
}

/** What `me` may do in a group, and to a member. */
export interface GroupPermissions {
  /** Rename, notice, join approval, mute all, who may export, approve join requests. */
  manage: boolean;
  /** Invite contacts (anyone; with join approval a plain member's invitation waits). */
  invite: boolean;
  transfer: boolean;
  dissolve: boolean;
  /** Leave (the owner transfers first). */
  leave: boolean;
  /** Export the chat as minutes: any member, unless the group keeps it to its owner and admins (`exportAdminsOnly`). */
  export: boolean;
  remove(target: Pick<GroupMemberView, 'userId' | 'role'>): boolean;
  mute(target: Pick<GroupMemberView, 'userId' | 'role'>): boolean;
  setAdmin(target: Pick<GroupMemberView, 'userId' | 'role'>): boolean;
}

/**
 * The owner does anything to anyone but themselves; an admin manages plain
 * members and the group's settings; a member invites, leaves and exports the
 * chat (unless `exportAdminsOnly`). Nobody acts on a dissolved group (its
 * history may still be exported).
 */
export function permissions(role: GroupRole | undefined, me: string | null, dissolved = false, exportAdminsOnly = false): GroupPermissions {
  const live = !dissolved && role !== undefined;
  const owner = live && role === 'owner';
  const admin = live && role === 'admin';
  const over = (target: Pick<GroupMemberView, 'userId' | 'role'>) => target.userId !== me && (owner ? target.role !== 'owner' : admin ? target.role === 'member' : false);
  return {
    manage: owner || admin,
    invite: live,
    transfer: owner,
    dissolve: owner,
    leave: live && !owner,
    export: role === 'owner' || role === 'admin' || (role === 'member' && !exportAdminsOnly),
    remove: over,
    mute: over,
    setAdmin: (target) => owner && target.userId !== me && target.role !== 'owner',
  };
}

/** The member list in the order the server gives: owner, admins, then members by when they joined. */
export function orderMembers(members: readonly GroupMemberView[]): GroupMemberView[] {
  const rank = { owner: 0, admin: 1, member: 2 } as const;
  return [...members].sort((a, b) => rank[a.role] - rank[b.role] || a.joinedAt - b.joinedAt);
}

const EMPTY: GroupsSnapshot = { loaded: false, groups: [], details: {} };

export class GroupsStore {
  readonly #transport: ImTransport;
  readonly #me: () => string | null;
  readonly #names = new NameMatcher();
  readonly #listeners = new Set<(snapshot: GroupsSnapshot) => void>();
  #snapshot: GroupsSnapshot = EMPTY;
  #stops: (() => void)[] = [];

  constructor(transport: ImTransport, options: GroupsStoreOptions) {
    this.#transport = transport;
    const me = options.me;
    this.#me = typeof me === 'function' ? me : () => me;
  }

  get snapshot(): GroupsSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: (snapshot: GroupsSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Loads my groups and follows `im.group` events and reconnections (until `stop`). Idempotent. */
  start(): Promise<void> {
    if (this.#stops.length === 0) {
      this.#stops.push(
        this.#transport.on('im.group', (event) => this.#onEvent(event)),
        this.#transport.onConnected(() => {
          void this.refresh().catch(() => undefined);
          for (const id of Object.keys(this.#snapshot.details)) void this.open(id).catch(() => undefined);
        }),
      );
      void loadPinyin()
        .then(() => this.#set({ groups: this.#sorted(this.#snapshot.groups) }))
        .catch(() => undefined);
    }
    return this.refresh();
  }

  stop(): void {
    for (const stop of this.#stops) stop();
    this.#stops = [];
  }

  refresh(): Promise<void> {
    return this.#reload();
  }

  readonly #reload = coalesced(async () => {
    const groups = await this.#transport.request<GroupView[]>('GET', '/groups');
    this.#set({ loaded: true, groups: this.#sorted(groups.filter((g) => g.dissolvedAt === null)) });
  });

  group(groupId: string): GroupView | undefined {
    return this.#snapshot.details[groupId] ?? this.#snapshot.groups.find((g) => g.id === groupId);
  }

  /** My groups the query finds by name (the name itself, full pinyin, initials); blank finds none. */
  filter(query: string): GroupView[] {
    if (!query.trim()) return [];
    const matches = this.#names.matcher(query);
    return this.#snapshot.groups.filter((g) => matches([g.name]));
  }

  /** A group's details with its members (fetched now; kept up to date by events from then on). */
  async open(groupId: string): Promise<GroupDetailsView> {
    const details = await this.#transport.request<GroupDetailsView>('GET', `/groups/${encodeURIComponent(groupId)}`);
    this.#setDetails(groupId, details);
    return details;
  }

  /** Forgets a group's details (its page closed). */
  close(groupId: string): void {
    if (!(groupId in this.#snapshot.details)) return;
    const { [groupId]: _, ...rest } = this.#snapshot.details;
    this.#set({ details: rest });
  }

  /** What I may do in this group (from its details or my list). */
  permissions(groupId: string): GroupPermissions {
    const group = this.group(groupId);
    return permissions(group?.role, this.#me(), group ? group.dissolvedAt !== null : false, group?.exportAdminsOnly === true);
  }

  /** A new group from my contacts, me its owner: in my list at once. */
  async create(input: { name: string; members: string[]; temporary?: { expiresAt?: number } }): Promise<GroupView> {
    const group = await this.#transport.request<GroupView>('POST', '/groups', { ...input, name: input.name.trim() });
    const mine: GroupView = { ...group, role: group.role ?? 'owner' };
    this.#set({ groups: this.#sorted([mine, ...this.#snapshot.groups.filter((g) => g.id !== group.id)]) });
    return mine;
  }

  /** Name, notice, join approval, mute all, export by the owner and admins only (owner and admins). */
  update(groupId: string, change: GroupChange): Promise<GroupView> {
    const clean: GroupChange = { ...change };
    if (clean.name !== undefined) clean.name = clean.name.trim();
    if (clean.notice !== undefined) clean.notice = clean.notice.trim();
    return this.#optimistic(groupId, (g) => ({ ...g, ...clean }), async () => {
      const group = await this.#transport.request<GroupView>('PATCH', `/groups/${encodeURIComponent(groupId)}`, clean);
      this.#mergeGroup(group);
      return group;
    });
  }

  /** A new group photo (owner and admins): any image, sent as it is; the server crops and shrinks it. */
  async setAvatar(groupId: string, file: Blob): Promise<GroupView> {
    const group = await this.#transport.upload<GroupView>('PUT', `/groups/${encodeURIComponent(groupId)}/avatar`, file, file.type || 'application/octet-stream');
    this.#mergeGroup(group);
    return group;
  }

  /** Back to no group photo (owner and admins). */
  async removeAvatar(groupId: string): Promise<GroupView> {
    const group = await this.#transport.request<GroupView>('DELETE', `/groups/${encodeURIComponent(groupId)}/avatar`);
    this.#mergeGroup(group);
    return group;
  }

  /** Brings contacts in; with join approval a plain member's invitation waits (`requested`). */
  async invite(groupId: string, userIds: string[]): Promise<{ added: string[]; requested: string[] }> {
    const result = await this.#transport.request<{ added: string[]; requested: string[] }>('POST', `/groups/${encodeURIComponent(groupId)}/members`, { userIds });
    if (result.added.length > 0 && this.#snapshot.details[groupId]) await this.open(groupId).catch(() => undefined);
    return result;
  }

  removeMember(groupId: string, userId: string): Promise<void> {
    return this.#optimistic(
      groupId,
      (g) => ({ ...g, members: Math.max(0, g.members - 1), adminIds: g.adminIds.filter((id) => id !== userId), memberList: g.memberList.filter((m) => m.userId !== userId) }),
      () => this.#transport.request<void>('DELETE', `/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(userId)}`),
    );
  }

  /** Makes them an admin (on) or a plain member again (off). Owner only. */
  setAdmin(groupId: string, userId: string, on: boolean): Promise<void> {
    return this.#optimistic(
      groupId,
      (g) => ({
        ...g,
        adminIds: on ? [...new Set([...g.adminIds, userId])] : g.adminIds.filter((id) => id !== userId),
        memberList: orderMembers(g.memberList.map((m) => (m.userId === userId ? { ...m, role: on ? 'admin' : 'member' } : m))),
      }),
      () => this.#transport.request<void>(on ? 'PUT' : 'DELETE', `/groups/${encodeURIComponent(groupId)}/admins/${encodeURIComponent(userId)}`),
    );
  }

  /** Mutes a member until then (absent: until unmuted). */
  mute(groupId: string, userId: string, until?: number): Promise<void> {
    return this.#optimistic(
      groupId,
      (g) => ({ ...g, memberList: g.memberList.map((m) => (m.userId === userId ? { ...m, mutedUntil: until ?? null } : m)) }),
      () => this.#transport.request<void>('PUT', `/groups/${encodeURIComponent(groupId)}/mutes/${encodeURIComponent(userId)}`, until === undefined ? {} : { until }),
    );
  }

  unmute(groupId: string, userId: string): Promise<void> {
    return this.#optimistic(
      groupId,
      (g) => ({
        ...g,
        memberList: g.memberList.map((m) => {
          if (m.userId !== userId) return m;
          const { mutedUntil: _, ...rest } = m;
          return rest;
        }),
      }),
      () => this.#transport.request<void>('DELETE', `/groups/${encodeURIComponent(groupId)}/mutes/${encodeURIComponent(userId)}`),
    );
  }

  /** Hands the group to another member; I become an admin. Owner only. */
  transfer(groupId: string, userId: string): Promise<void> {
    const me = this.#me();
    return this.#optimistic(
      groupId,
      (g) => ({
        ...g,
        ownerId: userId,
        role: 'admin',
        adminIds: [...new Set([...g.adminIds.filter((id) => id !== userId), ...(me ? [me] : [])])],
        memberList: orderMembers(g.memberList.map((m) => (m.userId === userId ? { ...m, role: 'owner' } : m.userId === me ? { ...m, role: 'admin' } : m))),
      }),
      () => this.#transport.request<void>('POST', `/groups/${encodeURIComponent(groupId)}/transfer`, { userId }),
    );
  }

  /** Leaves the group: gone from my list at once. */
  leave(groupId: string): Promise<void> {
    return this.#dropping(groupId, () => this.#transport.request<void>('POST', `/groups/${encodeURIComponent(groupId)}/leave`));
  }

  /** Ends the group for everyone (owner only). */
  dissolve(groupId: string): Promise<void> {
    return this.#dropping(groupId, () => this.#transport.request<void>('DELETE', `/groups/${encodeURIComponent(groupId)}`));
  }

  /** Invitations waiting for approval (owner and admins). */
  joinRequests(groupId: string): Promise<JoinRequestView[]> {
    return this.#transport.request<JoinRequestView[]>('GET', `/groups/${encodeURIComponent(groupId)}/join-requests`);
  }

  async answerJoinRequest(groupId: string, requestId: string, accept: boolean): Promise<void> {
    await this.#transport.request<void>('POST', `/groups/${encodeURIComponent(groupId)}/join-requests/${encodeURIComponent(requestId)}/${accept ? 'approve' : 'decline'}`);
    if (accept && this.#snapshot.details[groupId]) await this.open(groupId).catch(() => undefined);
  }

  // ------------------------------------------------------------------ internals

  #set(change: Partial<GroupsSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of [...this.#listeners]) {
      try {
        listener(this.#snapshot);
      } catch {
        // A view's failure is its own.
      }
    }
  }

  #setDetails(groupId: string, details: GroupDetailsView): void {
    this.#set({ details: { ...this.#snapshot.details, [groupId]: details } });
    this.#mergeGroup(details);
  }

  /** A group's new info into my list (keeping my role when an event carries none). */
  #mergeGroup(group: GroupView): void {
    const { memberList: _, ...info } = group as GroupDetailsView;
    const known = this.#snapshot.groups.find((g) => g.id === group.id);
    const merged: GroupView = { ...known, ...info, role: info.role ?? known?.role };
    if (merged.role === undefined) delete merged.role;
    const groups = known ? this.#snapshot.groups.map((g) => (g.id === group.id ? merged : g)) : [merged, ...this.#snapshot.groups];
    const details = this.#snapshot.details[group.id];
    this.#set({
      groups: this.#sorted(groups.filter((g) => g.dissolvedAt === null)),
      ...(details ? { details: { ...this.#snapshot.details, [group.id]: { ...details, ...info, role: info.role ?? details.role } } } : {}),
    });
  }

  async #optimistic<T>(groupId: string, apply: (g: GroupDetailsView) => GroupDetailsView, send: () => Promise<T>): Promise<T> {
    const beforeDetails = this.#snapshot.details[groupId];
    const beforeGroups = this.#snapshot.groups;
    if (beforeDetails) {
      const after = apply(beforeDetails);
      this.#set({ details: { ...this.#snapshot.details, [groupId]: after } });
      const { memberList: _, ...info } = after;
      this.#set({ groups: this.#sorted(this.#snapshot.groups.map((g) => (g.id === groupId ? { ...g, ...info } : g))) });
    } else {
      const known = beforeGroups.find((g) => g.id === groupId);
      if (known) this.#set({ groups: this.#sorted(beforeGroups.map((g) => (g.id === groupId ? (({ memberList: _, ...info }) => info)(apply({ ...known, memberList: [] })) : g))) });
    }
    try {
      return await send();
    } catch (error) {
      this.#set({ groups: beforeGroups, details: beforeDetails ? { ...this.#snapshot.details, [groupId]: beforeDetails } : this.#snapshot.details });
      throw error;
    }
  }

  async #dropping(groupId: string, send: () => Promise<void>): Promise<void> {
    const before = this.#snapshot;
    const { [groupId]: _, ...details } = before.details;
    this.#set({ groups: before.groups.filter((g) => g.id !== groupId), details });
    try {
      await send();
    } catch (error) {
      if (error instanceof ImClientError && error.code === 'NOT_FOUND') return; // already gone
      this.#set({ groups: before.groups, details: before.details });
      throw error;
    }
  }

  #onEvent(event: { group: GroupView; change: string; userIds?: string[] }): void {
    const me = this.#me();
    const gone = event.change === 'dissolved' || event.change === 'cleared' || ((event.change === 'left' || event.change === 'removed') && me !== null && (event.userIds ?? []).includes(me));
    if (gone) {
      const { [event.group.id]: _, ...details } = this.#snapshot.details;
      this.#set({ groups: this.#snapshot.groups.filter((g) => g.id !== event.group.id), details });
      return;
    }
    // My role may have changed (owner, admin): the event carries none, so ask.
    const roleMayChange = event.change === 'owner' || event.change === 'admin' || event.change === 'created' || event.change === 'joined';
    this.#mergeGroup(event.group);
    if (this.#snapshot.details[event.group.id] && event.change !== 'renamed' && event.change !== 'notice' && event.change !== 'settings' && event.change !== 'avatar') void this.open(event.group.id).catch(() => undefined);
    else if (roleMayChange) void this.refresh().catch(() => undefined);
  }

  #sorted(groups: readonly GroupView[]): readonly GroupView[] {
    return this.#names.sort(groups, (g) => g.name) ?? groups;
  }
}
