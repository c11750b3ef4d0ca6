import { openEach, type Database, type AccountSessionsTable } from '@muster/db';

export interface DeviceInfo {
  name: string;
  platform: string;
  /** The address it last signed in or refreshed from. */
  address: string;
}

/** One signed-in device. */
export interface StoredSession {
  id: string;
  accountId: string;
  createdAt: number;
  lastSeenAt: number;
  /** The refresh token of this generation is the one valid now. */
  generation: number;
  /** When the refresh token was last rotated (absent or null: never). */
  rotatedAt?: number | null;
  revokedAt: number | null;
  /** What refresh tokens are derived from (see RefreshTokens). */
  secret: Buffer;
  device: DeviceInfo;
}

type Row = AccountSessionsTable;

/** Most sessions `createMany` takes at once (8 bound values a row). */
export const CREATE_MANY_SESSIONS_MAX = 500;

const aad = (id: string, column: 'secret' | 'device') => ({ table: 'account_sessions', column, rowId: id });

/** Devices and their refresh-token state in `account_sessions`, either engine. */
export class SessionRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async create(session: StoredSession): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.insertInto('account_sessions').values(this.#toRow(session)).execute();
    });
  }

  /** Many new sessions in one transaction (at most CREATE_MANY_SESSIONS_MAX): devices an operator signs in at once. */
  async createMany(sessions: readonly StoredSession[]): Promise<void> {
    if (sessions.length > CREATE_MANY_SESSIONS_MAX) throw new RangeError(`createMany takes at most ${CREATE_MANY_SESSIONS_MAX} sessions, not ${sessions.length}`);
    if (sessions.length === 0) return;
    await this.#db.writer.write(async (trx) => {
      await trx.insertInto('account_sessions').values(sessions.map((s) => this.#toRow(s))).execute();
    });
  }

  async get(id: string): Promise<StoredSession | null> {
    const row = await this.#db.kysely.selectFrom('account_sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toSession(row) : null;
  }

  /**
   * Moves the session from `generation` to the next one, only if it is still
   * at `generation` and not revoked: of two refreshes racing with the same
   * token, one wins and the other sees a reuse.
   */
  async advance(id: string, generation: number, at: number, address: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const row = await trx.selectFrom('account_sessions').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row || row.revoked_at !== null || Number(row.generation) !== generation) return false;
      const device = { ...this.#db.sealer.openJson<DeviceInfo>(row.device, aad(id, 'device')), address };
      const result = await trx
        .updateTable('account_sessions')
        .set({ generation: generation + 1, last_seen_at: at, rotated_at: at, device: this.#db.sealer.sealJson(device, aad(id, 'device')) })
        .where('id', '=', id)
        .where('generation', '=', generation)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /** Records activity (at most a write a minute per device: callers throttle). */
  async touch(id: string, at: number): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      await trx.updateTable('account_sessions').set({ last_seen_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    });
  }

  /**
   * Which of these sessions are signed in at `now`: not revoked, their
   * account active and (a guest's) not expired. One query per thousand ids
   * (the engines' bound-value limits), straight from the database, so a
   * revocation by another process counts at once.
   */
  async signedIn(sessionIds: readonly string[], now: number): Promise<Set<string>> {
    const found = new Set<string>();
    const ids = [...new Set(sessionIds)];
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.#db.kysely
        .selectFrom('account_sessions')
        .innerJoin('accounts', 'accounts.id', 'account_sessions.account_id')
        .select('account_sessions.id as id')
        .where('account_sessions.id', 'in', ids.slice(i, i + 1000))
        .where('account_sessions.revoked_at', 'is', null)
        .where('accounts.status', '=', 'active')
        .where((eb) => eb.or([eb('accounts.expires_at', 'is', null), eb('accounts.expires_at', '>', now)]))
        .execute();
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  /** Revokes one session; false if it was not active. */
  async revoke(id: string, at: number): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx.updateTable('account_sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    });
  }

  /** Revokes every active session of an account but `exceptId`; returns the ids revoked. */
  async revokeAll(accountId: string, at: number, exceptId?: string): Promise<string[]> {
    return this.#db.writer.write(async (trx) => {
      let query = trx.selectFrom('account_sessions').select('id').where('account_id', '=', accountId).where('revoked_at', 'is', null);
      if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
      const ids = (await query.execute()).map((r) => r.id);
      if (ids.length > 0) await trx.updateTable('account_sessions').set({ revoked_at: at }).where('id', 'in', ids).execute();
      return ids;
    });
  }

  /** The account's signed-in devices, most recently seen first. */
  async listActive(accountId: string): Promise<StoredSession[]> {
    const rows = await this.#db.kysely
      .selectFrom('account_sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .orderBy('last_seen_at', 'desc')
      .orderBy('id')
      .execute();
    return openEach(this.#db, 'account_sessions', rows, (row) => this.#toSession(row));
  }

  async countActive(accountId: string): Promise<number> {
    const row = await this.#db.kysely
      .selectFrom('account_sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Forgets sessions revoked before `before` (they only served reuse detection). */
  async purgeRevoked(before: number): Promise<number> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx.deleteFrom('account_sessions').where('revoked_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  #toRow(session: StoredSession): Row {
    return {
      id: session.id,
      account_id: session.accountId,
      created_at: session.createdAt,
      last_seen_at: session.lastSeenAt,
      generation: session.generation,
      rotated_at: session.rotatedAt ?? null,
      revoked_at: session.revokedAt,
      secret: this.#db.sealer.seal(session.secret, aad(session.id, 'secret')),
      device: this.#db.sealer.sealJson(session.device, aad(session.id, 'device')),
    };
  }

  #toSession(row: Row): StoredSession {
    return {
      id: row.id,
      accountId: row.account_id,
      createdAt: Number(row.created_at),
      lastSeenAt: Number(row.last_seen_at),
      generation: Number(row.generation),
      ...(row.rotated_at === null || row.rotated_at === undefined ? {} : { rotatedAt: Number(row.rotated_at) }),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      secret: this.#db.sealer.open(row.secret, aad(row.id, 'secret')),
      device: this.#db.sealer.openJson<DeviceInfo>(row.device, aad(row.id, 'device')),
    };
  }
}
