import type { Database, GroupJoinRequestsTable, GroupsTable, WriteFn } from '@muster/db';
import type { GroupMeta, MemberRole } from './ConversationRepository.ts';

/** A group's settings and lifecycle (the plain `groups` row; defaults for a group that has none yet). */
export interface GroupSettings {
  temporary: boolean;
  expiresAt: number | null;
  joinApproval: boolean;
  muteAll: boolean;
  /** Only the owner and admins may export the chat as minutes. */
  exportAdminsOnly: boolean;
  dissolvedAt: number | null;
  /** When the "expiring" notice of the current idle stretch went out. */
  expiryNoticeAt: number | null;
}

export const DEFAULT_GROUP_SETTINGS: GroupSettings = { temporary: false, expiresAt: null, joinApproval: false, muteAll: false, exportAdminsOnly: false, dissolvedAt: null, expiryNoticeAt: null };

export interface JoinRequest {
  id: string;
  conversationId: string;
  userId: string;
  inviterId: string;
  state: GroupJoinRequestsTable['state'];
  createdAt: number;
  updatedAt: number;
}

/** What the send rule needs of a sender in a group, in one read. */
export interface SendState {
  role: MemberRole;
  settings: GroupSettings;
  /** Muted until then (null: until unmuted); undefined when not muted. */
  mutedUntil: number | null | undefined;
}

/** A temporary group the sweeper and the console look at. */
export interface TemporaryGroupRow {
  conversationId: string;
  expiresAt: number | null;
  expiryNoticeAt: number | null;
  createdAt: number;
  /** The last message people sent (system notices do not count), or null. */
  lastMessageAt: number | null;
}

/** A write transaction of the database's writer. */
type Trx = Parameters<WriteFn<void>>[0];

// The same binding conversations.meta is sealed with (ConversationRepository): one value, either store writes it.
const metaAad = (id: string) => ({ table: 'conversations', column: 'meta', rowId: id });
// As account_avatars: bound to the group and the version (the row id TABLES gives group_avatars).
const avatarAad = (id: string, version: number, column: 'small' | 'large') => ({ table: 'group_avatars', column, rowId: `${id}/${version}` });

/**
 * Group administration over the conversation tables (members and their
 * roles live in conversation_members, name and notice in the sealed
 * conversations.meta) and its own: `groups` (flags and times, plain so
 * the temporary-group sweeper finds its groups without opening any),
 * `group_mutes`, `group_join_requests`. Either engine.
 */
export class GroupRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Writes a new group's settings row inside the transaction that makes the group. */
  async insertSettings(trx: Trx, conversationId: string, settings: Partial<GroupSettings>, at: number): Promise<void> {
    await trx.insertInto('groups').values({ conversation_id: conversationId, ...fullRow({ ...DEFAULT_GROUP_SETTINGS, ...settings }), updated_at: at }).execute();
  }

  async settings(conversationId: string): Promise<GroupSettings> {
    const row = await this.#db.kysely.selectFrom('groups').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    return row ? toSettings(row) : { ...DEFAULT_GROUP_SETTINGS };
  }

  async settingsOf(conversationIds: readonly string[]): Promise<Map<string, GroupSettings>> {
    const found = new Map<string, GroupSettings>();
    for (const ids of chunks(conversationIds)) {
      const rows = await this.#db.kysely.selectFrom('groups').selectAll().where('conversation_id', 'in', ids).execute();
      for (const row of rows) found.set(row.conversation_id, toSettings(row));
    }
    return new Map(conversationIds.map((id) => [id, found.get(id) ?? { ...DEFAULT_GROUP_SETTINGS }]));
  }

  /** Changes the settings (a group made before the groups table gets its row now). */
  async updateSettings(conversationId: string, change: Partial<Pick<GroupSettings, 'joinApproval' | 'muteAll' | 'exportAdminsOnly'>>, at: number): Promise<void> {
    await this.#db.writer.write((trx) => this.#upsert(trx, conversationId, toRow(change), at));
  }

  /** Replaces the sealed name and notice. */
  async setMeta(conversationId: string, meta: GroupMeta): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.updateTable('conversations').set({ meta: this.#db.sealer.sealJson(meta, metaAad(conversationId)) }).where('id', '=', conversationId).where('kind', '=', 'group').execute();
    });
  }

  /** A person's groups with their role, most recently active first. */
  async groupsOf(userId: string, limit: number): Promise<{ conversationId: string; role: MemberRole }[]> {
    const rows = await this.#db.kysely
      .selectFrom('conversation_members as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select(['m.conversation_id', 'm.role'])
      .where('m.user_id', '=', userId)
      .where('c.kind', '=', 'group')
      .orderBy('c.updated_at', 'desc')
      .orderBy('c.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ conversationId: r.conversation_id, role: r.role }));
  }

  /** Each group's member count, owner and admins. */
  async staffOf(conversationIds: readonly string[]): Promise<Map<string, { members: number; ownerId: string; adminIds: string[] }>> {
    const staff = new Map(conversationIds.map((id) => [id, { members: 0, ownerId: '', adminIds: [] as string[] }]));
    for (const ids of chunks(conversationIds)) {
      const counts = await this.#db.kysely
        .selectFrom('conversation_members')
        .select(['conversation_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('conversation_id', 'in', ids)
        .groupBy('conversation_id')
        .execute();
      for (const c of counts) staff.get(c.conversation_id)!.members = Number(c.n);
      const roles = await this.#db.kysely
        .selectFrom('conversation_members')
        .select(['conversation_id', 'user_id', 'role'])
        .where('conversation_id', 'in', ids)
        .where('role', '<>', 'member')
        .orderBy('joined_at')
        .orderBy('user_id')
        .execute();
      for (const r of roles) {
        const s = staff.get(r.conversation_id)!;
        if (r.role === 'owner') s.ownerId = r.user_id;
        else s.adminIds.push(r.user_id);
      }
    }
    return staff;
  }

  /**
   * Adds members (those already in are skipped) unless the group would then
   * hold more than `max` people: counted in the same write, so two
   * invitations at once cannot overfill it. Returns the ids added, or null when full.
   */
  async addMembers(conversationId: string, userIds: readonly string[], max: number, at: number): Promise<string[] | null> {
    return this.#db.writer.write(async (trx) => {
      const present = new Set(
        (await trx.selectFrom('conversation_members').select('user_id').where('conversation_id', '=', conversationId).execute()).map((r) => r.user_id),
      );
      const added = [...new Set(userIds)].filter((id) => !present.has(id));
      if (present.size + added.length > max) return null;
      const rows = added.map((userId) => ({ conversation_id: conversationId, user_id: userId, role: 'member' as const, read_seq: 0, joined_at: at }));
      for (let i = 0; i < rows.length; i += 200) await trx.insertInto('conversation_members').values(rows.slice(i, i + 200)).execute();
      return added;
    });
  }

  /** Takes someone out of a group (their mute goes with them); false if they were not in it. */
  async removeMember(conversationId: string, userId: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const removed = await trx.deleteFrom('conversation_members').where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
      await trx.deleteFrom('group_mutes').where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
      return Number(removed.numDeletedRows) > 0;
    });
  }

  /** Makes a member an admin or an admin a member (never touches the owner); false if nothing changed. */
  async setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const changed = await trx
        .updateTable('conversation_members')
        .set({ role })
        .where('conversation_id', '=', conversationId)
        .where('user_id', '=', userId)
        .where('role', '=', role === 'admin' ? 'member' : 'admin')
        .executeTakeFirst();
      return Number(changed.numUpdatedRows) > 0;
    });
  }

  /**
   * Hands the group from its owner to `toId` (who is unmuted: an owner speaks).
   * `leave`: the old owner leaves in the same write; otherwise they stay as a
   * member. False if `fromId` is not the owner or `toId` not in the group.
   */
  async transfer(conversationId: string, fromId: string, toId: string, leave: boolean): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const owner = await trx.selectFrom('conversation_members').select('user_id').where('conversation_id', '=', conversationId).where('role', '=', 'owner').executeTakeFirst();
      if (owner?.user_id !== fromId || fromId === toId) return false;
      const promoted = await trx.updateTable('conversation_members').set({ role: 'owner' }).where('conversation_id', '=', conversationId).where('user_id', '=', toId).executeTakeFirst();
      if (Number(promoted.numUpdatedRows) === 0) return false;
      await trx.deleteFrom('group_mutes').where('conversation_id', '=', conversationId).where('user_id', '=', toId).execute();
      if (leave) {
        await trx.deleteFrom('conversation_members').where('conversation_id', '=', conversationId).where('user_id', '=', fromId).execute();
        await trx.deleteFrom('group_mutes').where('conversation_id', '=', conversationId).where('user_id', '=', fromId).execute();
      } else {
        await trx.updateTable('conversation_members').set({ role: 'member' }).where('conversation_id', '=', conversationId).where('user_id', '=', fromId).execute();
      }
      return true;
    });
  }

  /** Whom a leaving owner hands over to: the longest-standing admin, else the longest-standing member; null if nobody is left. */
  async successor(conversationId: string, ownerId: string): Promise<string | null> {
    const row = await this.#db.kysely
      .selectFrom('conversation_members')
      .select('user_id')
      .where('conversation_id', '=', conversationId)
      .where('user_id', '<>', ownerId)
      // 'admin' < 'member': admins first, then by how long they have been in.
      .orderBy('role')
      .orderBy('joined_at')
      .orderBy('user_id')
      .limit(1)
      .executeTakeFirst();
    return row?.user_id ?? null;
  }

  async mute(conversationId: string, userId: string, until: number | null, at: number): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('group_mutes')
        .values({ conversation_id: conversationId, user_id: userId, until, created_at: at })
        .onConflict((oc) => oc.columns(['conversation_id', 'user_id']).doUpdateSet({ until, created_at: at }))
        .execute();
    });
  }

  /** False if they were not muted (or their mute had run out). */
  async unmute(conversationId: string, userId: string, now: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const row = await trx.selectFrom('group_mutes').select('until').where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
      if (!row) return false;
      await trx.deleteFrom('group_mutes').where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute();
      return row.until === null || Number(row.until) > now;
    });
  }

  /** Members muted now: user id → until (null: until unmuted). */
  async mutes(conversationId: string, now: number): Promise<Map<string, number | null>> {
    const rows = await this.#db.kysely
      .selectFrom('group_mutes')
      .select(['user_id', 'until'])
      .where('conversation_id', '=', conversationId)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now)]))
      .execute();
    return new Map(rows.map((r) => [r.user_id, r.until === null ? null : Number(r.until)]));
  }

  /** A sender's role, the group's settings and their mute, in one query; null if they are not a member. */
  async sendState(conversationId: string, userId: string, now: number): Promise<SendState | null> {
    const row = await this.#db.kysely
      .selectFrom('conversation_members as m')
      .leftJoin('groups as g', 'g.conversation_id', 'm.conversation_id')
      .leftJoin('group_mutes as u', (join) => join.onRef('u.conversation_id', '=', 'm.conversation_id').onRef('u.user_id', '=', 'm.user_id'))
      .select(['m.role', 'g.temporary', 'g.expires_at', 'g.join_approval', 'g.mute_all', 'g.dissolved_at', 'g.expiry_notice_at', 'g.updated_at', 'u.until', 'u.created_at as muted_at'])
      .where('m.conversation_id', '=', conversationId)
      .where('m.user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return null;
    const settings = row.updated_at === null ? { ...DEFAULT_GROUP_SETTINGS } : toSettings(row as unknown as GroupsTable);
    const muted = row.muted_at !== null && (row.until === null || Number(row.until) > now);
    return { role: row.role, settings, mutedUntil: muted ? (row.until === null ? null : Number(row.until)) : undefined };
  }

  // ---------------------------------------------------------------- join requests

  /** Records a pending request unless one is pending for that person already; returns the pending one. */
  async addRequest(request: JoinRequest): Promise<JoinRequest> {
    return this.#db.writer.write(async (trx) => {
      const pending = await trx
        .selectFrom('group_join_requests')
        .selectAll()
        .where('conversation_id', '=', request.conversationId)
        .where('user_id', '=', request.userId)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (pending) return toRequest(pending);
      await trx
        .insertInto('group_join_requests')
        .values({ id: request.id, conversation_id: request.conversationId, user_id: request.userId, inviter_id: request.inviterId, state: request.state, created_at: request.createdAt, updated_at: request.updatedAt })
        .execute();
      return request;
    });
  }

  async pendingRequests(conversationId: string, limit: number): Promise<JoinRequest[]> {
    const rows = await this.#db.kysely
      .selectFrom('group_join_requests')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('state', '=', 'pending')
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toRequest);
  }

  async getRequest(id: string): Promise<JoinRequest | null> {
    const row = await this.#db.kysely.selectFrom('group_join_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRequest(row) : null;
  }

  /** Answers a pending request; false if it was answered already (another admin, another device). */
  async settleRequest(id: string, state: 'approved' | 'declined', at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const settled = await trx.updateTable('group_join_requests').set({ state, updated_at: at }).where('id', '=', id).where('state', '=', 'pending').executeTakeFirst();
      return Number(settled.numUpdatedRows) > 0;
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Marks the group dissolved; false if it already was. */
  async dissolve(conversationId: string, at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const current = await trx.selectFrom('groups').select('dissolved_at').where('conversation_id', '=', conversationId).executeTakeFirst();
      if (current && current.dissolved_at !== null) return false;
      await this.#upsert(trx, conversationId, { dissolved_at: at }, at);
      await trx.deleteFrom('group_join_requests').where('conversation_id', '=', conversationId).where('state', '=', 'pending').execute();
      return true;
    });
  }

  /**
   * Clears a temporary group: dissolved, and its messages (and everyone's
   * hidden marks on them) deleted, in one write; false if it was dissolved
   * already. The seq counter stays: a notice after it takes the next seq.
   */
  async clear(conversationId: string, at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const dissolved = await trx.updateTable('groups').set({ dissolved_at: at, updated_at: at }).where('conversation_id', '=', conversationId).where('dissolved_at', 'is', null).executeTakeFirst();
      if (Number(dissolved.numUpdatedRows) === 0) return false;
      await trx.deleteFrom('messages').where('conversation_id', '=', conversationId).execute();
      await trx.deleteFrom('message_hides').where('conversation_id', '=', conversationId).execute();
      // Its files are no longer referenced from here: retention deletes them once nothing else references them.
      await trx.deleteFrom('message_files').where('conversation_id', '=', conversationId).execute();
      // The search index's hashed terms of those messages go with them.
      await trx.deleteFrom('message_terms').where('conversation_id', '=', conversationId).execute();
      await trx.deleteFrom('group_join_requests').where('conversation_id', '=', conversationId).execute();
      await trx.deleteFrom('group_mutes').where('conversation_id', '=', conversationId).execute();
      // Its files go too: the avatar's images (the version stays, so the old path never serves again).
      await trx.updateTable('group_avatars').set({ small: null, large: null, updated_at: at }).where('conversation_id', '=', conversationId).execute();
      return true;
    });
  }

  // ---------------------------------------------------------------- the avatar

  /**
   * Stores a new avatar under the next version (one past the last, kept
   * across removals: a new image always gets a new path); returns the version.
   */
  async putAvatar(conversationId: string, images: { small: Buffer; large: Buffer }, at: number): Promise<number> {
    return this.#db.writer.write(async (trx) => {
      const row = await trx.selectFrom('group_avatars').select('version').where('conversation_id', '=', conversationId).executeTakeFirst();
      const version = (row ? Number(row.version) : 0) + 1;
      const small = this.#db.sealer.seal(images.small, avatarAad(conversationId, version, 'small'));
      const large = this.#db.sealer.seal(images.large, avatarAad(conversationId, version, 'large'));
      const values = { version, small, large, updated_at: at };
      await trx
        .insertInto('group_avatars')
        .values({ conversation_id: conversationId, ...values })
        .onConflict((oc) => oc.column('conversation_id').doUpdateSet(values))
        .execute();
      return version;
    });
  }

  /** Removes the avatar's images (the version stays); false if there was none. */
  async removeAvatar(conversationId: string, at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx
        .updateTable('group_avatars')
        .set({ small: null, large: null, updated_at: at })
        .where('conversation_id', '=', conversationId)
        .where('small', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  /** The avatar's images, or null if the group has none. */
  async getAvatar(conversationId: string): Promise<{ version: number; small: Buffer; large: Buffer } | null> {
    const row = await this.#db.kysely.selectFrom('group_avatars').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    if (!row || row.small === null || row.large === null) return null;
    const version = Number(row.version);
    return {
      version,
      small: this.#db.sealer.open(row.small, avatarAad(conversationId, version, 'small')),
      large: this.#db.sealer.open(row.large, avatarAad(conversationId, version, 'large')),
    };
  }

  /** The current avatar version of each group that has an avatar. */
  async avatarVersionsOf(conversationIds: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const ids of chunks(conversationIds)) {
      const rows = await this.#db.kysely.selectFrom('group_avatars').select(['conversation_id', 'version']).where('conversation_id', 'in', ids).where('small', 'is not', null).execute();
      for (const row of rows) found.set(row.conversation_id, Number(row.version));
    }
    return found;
  }

  /** Every temporary group not yet dissolved, with the time of its last message. */
  async temporaryGroups(): Promise<TemporaryGroupRow[]> {
    const rows = await this.#db.kysely
      .selectFrom('groups as g')
      .innerJoin('conversations as c', 'c.id', 'g.conversation_id')
      .select((eb) => [
        'g.conversation_id',
        'g.expires_at',
        'g.expiry_notice_at',
        'c.created_at',
        // Walks back from the newest seq (the primary key) to the first message a person sent.
        eb
          .selectFrom('messages as m')
          .select('m.sent_at')
          .whereRef('m.conversation_id', '=', 'g.conversation_id')
          .where('m.type', '<>', 'system')
          .orderBy('m.seq', 'desc')
          .limit(1)
          .as('last_message_at'),
      ])
      .where('g.temporary', '=', 1)
      .where('g.dissolved_at', 'is', null)
      .orderBy('g.conversation_id')
      .execute();
    return rows.map((r) => ({
      conversationId: r.conversation_id,
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
      expiryNoticeAt: r.expiry_notice_at === null ? null : Number(r.expiry_notice_at),
      createdAt: Number(r.created_at),
      lastMessageAt: r.last_message_at === null || r.last_message_at === undefined ? null : Number(r.last_message_at),
    }));
  }

  /**
   * Claims the "expiring" notice of a clearing time whose notice period
   * began at `windowStart`: true for exactly one caller (of any process), once
   * per clearing time (a message since moves the clearing time, and the window).
   */
  async claimExpiryNotice(conversationId: string, windowStart: number, at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const claimed = await trx
        .updateTable('groups')
        .set({ expiry_notice_at: at })
        .where('conversation_id', '=', conversationId)
        .where('dissolved_at', 'is', null)
        .where((eb) => eb.or([eb('expiry_notice_at', 'is', null), eb('expiry_notice_at', '<', windowStart)]))
        .executeTakeFirst();
      return Number(claimed.numUpdatedRows) > 0;
    });
  }

  async #upsert(trx: Trx, conversationId: string, values: Partial<Omit<GroupsTable, 'conversation_id' | 'updated_at'>>, at: number): Promise<void> {
    await trx
      .insertInto('groups')
      .values({ conversation_id: conversationId, ...fullRow(DEFAULT_GROUP_SETTINGS), ...values, updated_at: at })
      .onConflict((oc) => oc.column('conversation_id').doUpdateSet({ ...values, updated_at: at }))
      .execute();
  }
}

function fullRow(s: GroupSettings): Omit<GroupsTable, 'conversation_id' | 'updated_at'> {
  return {
    temporary: s.temporary ? 1 : 0,
    expires_at: s.expiresAt,
    join_approval: s.joinApproval ? 1 : 0,
    mute_all: s.muteAll ? 1 : 0,
    export_admins_only: s.exportAdminsOnly ? 1 : 0,
    dissolved_at: s.dissolvedAt,
    expiry_notice_at: s.expiryNoticeAt,
  };
}

function toRow(s: Partial<GroupSettings>): Partial<Omit<GroupsTable, 'conversation_id' | 'updated_at'>> {
  const row: Partial<Omit<GroupsTable, 'conversation_id' | 'updated_at'>> = {};
  if (s.temporary !== undefined) row.temporary = s.temporary ? 1 : 0;
  if (s.expiresAt !== undefined) row.expires_at = s.expiresAt;
  if (s.joinApproval !== undefined) row.join_approval = s.joinApproval ? 1 : 0;
  if (s.muteAll !== undefined) row.mute_all = s.muteAll ? 1 : 0;
  if (s.exportAdminsOnly !== undefined) row.export_admins_only = s.exportAdminsOnly ? 1 : 0;
  if (s.dissolvedAt !== undefined) row.dissolved_at = s.dissolvedAt;
  if (s.expiryNoticeAt !== undefined) row.expiry_notice_at = s.expiryNoticeAt;
  return row;
}

function toSettings(row: GroupsTable): GroupSettings {
  const time = (v: number | null) => (v === null ? null : Number(v));
  return {
    temporary: Number(row.temporary) === 1,
    expiresAt: time(row.expires_at),
    joinApproval: Number(row.join_approval) === 1,
    muteAll: Number(row.mute_all) === 1,
    exportAdminsOnly: Number(row.export_admins_only) === 1,
    dissolvedAt: time(row.dissolved_at),
    expiryNoticeAt: time(row.expiry_notice_at),
  };
}

function toRequest(row: GroupJoinRequestsTable): JoinRequest {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    userId: row.user_id,
    inviterId: row.inviter_id,
    state: row.state,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** `IN (…)` lists of at most 500 (SQLite's bound-parameter limit is far above; PostgreSQL's too). */
function* chunks<T>(items: readonly T[], size = 500): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
