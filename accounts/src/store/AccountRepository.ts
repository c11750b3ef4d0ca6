import { isUniqueViolation, openEach, type AccountsTable, type Database } from '@muster/db';
import { AccountError } from '../errors.ts';
import type { AccountRole, AccountStatus } from '../protocol.ts';

/** What identifies and describes a person: sealed as one value. */
export interface AccountProfile {
  /** E.164; null for guests. */
  phone: string | null;
  phoneVerified: boolean;
  nickname: string;
  gender: 'unspecified' | 'female' | 'male' | 'other';
  region: string;
  signature: string;
  /** The version of the stored avatar, or null for none. */
  avatarVersion: number | null;
  /** When the Muster ID was last set by its owner (ms), or null. */
  musterIdChangedAt: number | null;
}

/** Secrets: sealed as one value, never returned by any route. */
export interface AccountCredentials {
  /** Argon2id PHC string. */
  passwordHash?: string;
  passwordChangedAt?: number;
  /** Admins: the console's second password (Argon2id). */
  consolePasswordHash?: string;
  /** Admins: the TOTP secret (base32). */
  totpSecret?: string;
}

export interface StoredAccount {
  id: string;
  /** Lower case; null until chosen. */
  musterId: string | null;
  role: AccountRole;
  status: AccountStatus;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  lockedUntil: number | null;
  profile: AccountProfile;
  credentials: AccountCredentials;
}

export interface AvatarImages {
  version: number;
  small: Buffer;
  large: Buffer;
}

type Row = AccountsTable;

/** Most accounts `createMany` takes at once: 11 bound values a row keeps one statement well under either engine's limit. */
export const CREATE_MANY_MAX = 500;

const aad = (id: string, column: 'profile' | 'credentials') => ({ table: 'accounts', column, rowId: id });
const avatarAad = (id: string, version: number, column: 'small' | 'large') => ({ table: 'account_avatars', column, rowId: `${id}/${version}` });

/**
 * Accounts in the `accounts` table, either engine. The phone number is
 * sealed with the rest of the profile and found through its blind index
 * (looked up under every key held, so a rotation in progress still finds
 * it); the Muster ID is a public handle and stays plain.
 */
export class AccountRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** PHONE_TAKEN or MUSTER_ID_TAKEN when another account has them. */
  async create(account: StoredAccount): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      const phone = account.profile.phone;
      if (phone !== null) {
        // During a rotation another account's index may be under the old key: the unique index alone would miss it.
        const existing = await trx.selectFrom('accounts').select('id').where('phone_index', 'in', this.#db.sealer.blindIndexCandidates('phone', phone)).executeTakeFirst();
        if (existing) throw new AccountError('PHONE_TAKEN', 'an account with this phone number exists');
      }
      try {
        await trx.insertInto('accounts').values(this.#toRow(account)).execute();
      } catch (error) {
        throw this.#conflict(error);
      }
    });
  }

  /**
   * New accounts in one transaction (an imported staff list, at most
   * CREATE_MANY_MAX): those whose phone number an existing account has are
   * left out and their numbers returned; the rest are stored. The numbers
   * must differ from each other. MUSTER_ID_TAKEN (a default ID drawn twice)
   * fails the whole batch, so the caller can draw again.
   */
  async createMany(accounts: readonly StoredAccount[]): Promise<{ taken: string[] }> {
    if (accounts.length > CREATE_MANY_MAX) throw new RangeError(`createMany takes at most ${CREATE_MANY_MAX} accounts, not ${accounts.length}`);
    if (accounts.length === 0) return { taken: [] };
    return this.#db.writer.write(async (trx) => {
      // Each number under every key held (a rotation in progress leaves some under the old one), mapped back to it.
      const phoneOfIndex = new Map<string, string>();
      for (const account of accounts) {
        const phone = account.profile.phone;
        if (phone !== null) for (const index of this.#db.sealer.blindIndexCandidates('phone', phone)) phoneOfIndex.set(index, phone);
      }
      const taken = new Set<string>();
      const indexes = [...phoneOfIndex.keys()];
      for (let i = 0; i < indexes.length; i += 1000) {
        const rows = await trx.selectFrom('accounts').select('phone_index').where('phone_index', 'in', indexes.slice(i, i + 1000)).execute();
        for (const row of rows) taken.add(phoneOfIndex.get(row.phone_index!)!);
      }
      const fresh = accounts.filter((a) => a.profile.phone === null || !taken.has(a.profile.phone));
      if (fresh.length > 0) {
        try {
          await trx.insertInto('accounts').values(fresh.map((a) => this.#toRow(a))).execute();
        } catch (error) {
          throw this.#conflict(error);
        }
      }
      return { taken: [...taken] };
    });
  }

  async get(id: string): Promise<StoredAccount | null> {
    const row = await this.#db.kysely.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toAccount(row) : null;
  }

  /** Several accounts at once (a contact list), in no particular order; unknown ids are left out. */
  async getMany(ids: readonly string[]): Promise<StoredAccount[]> {
    const found: StoredAccount[] = [];
    // Bounded IN lists: PostgreSQL and SQLite both take 500 parameters comfortably.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.#db.kysely.selectFrom('accounts').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute();
      found.push(...openEach(this.#db, 'accounts', rows, (row) => this.#toAccount(row)));
    }
    return found;
  }

  async findByPhone(phone: string): Promise<StoredAccount | null> {
    const row = await this.#db.kysely.selectFrom('accounts').selectAll().where('phone_index', 'in', this.#db.sealer.blindIndexCandidates('phone', phone)).executeTakeFirst();
    return row ? this.#toAccount(row) : null;
  }

  async findByMusterId(musterId: string): Promise<StoredAccount | null> {
    const row = await this.#db.kysely.selectFrom('accounts').selectAll().where('muster_id', '=', musterId.toLowerCase()).executeTakeFirst();
    return row ? this.#toAccount(row) : null;
  }

  /**
   * Reads, changes and writes one account in one write: concurrent updates
   * of the same account on this process run one after the other (the
   * writer's queue). `change` returns the new account, or null to leave it.
   * Returns the account as stored afterwards, or null if there is none.
   */
  async update(id: string, change: (account: StoredAccount) => StoredAccount | null): Promise<StoredAccount | null> {
    return this.#db.writer.write(async (trx) => {
      let query = trx.selectFrom('accounts').selectAll().where('id', '=', id);
      if (this.#db.engine === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      if (!row) return null;
      const current = this.#toAccount(row);
      const next = change(structuredClone(current));
      if (next === null) return current;
      if (next.profile.phone !== null && next.profile.phone !== current.profile.phone) {
        const other = await trx
          .selectFrom('accounts')
          .select('id')
          .where('phone_index', 'in', this.#db.sealer.blindIndexCandidates('phone', next.profile.phone))
          .where('id', '!=', id)
          .executeTakeFirst();
        if (other) throw new AccountError('PHONE_TAKEN', 'an account with this phone number exists');
      }
      const { id: _id, created_at: _created, ...values } = this.#toRow({ ...next, id });
      try {
        await trx.updateTable('accounts').set(values).where('id', '=', id).execute();
      } catch (error) {
        throw this.#conflict(error);
      }
      return { ...next, id };
    });
  }

  /** Every account, oldest first, in pages (admin search filters these: names are sealed, so they are searched opened). */
  async list(options: { limit: number; after?: { createdAt: number; id: string } }): Promise<StoredAccount[]> {
    let query = this.#db.kysely.selectFrom('accounts').selectAll();
    const after = options.after;
    if (after) query = query.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
    const rows = await query.orderBy('created_at').orderBy('id').limit(options.limit).execute();
    return openEach(this.#db, 'accounts', rows, (row) => this.#toAccount(row));
  }

  async count(): Promise<number> {
    const row = await this.#db.kysely.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Deletes the account with its avatar, devices and links (cascade). */
  async delete(id: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      // SQLite enforces the cascade only with foreign keys on; delete the children explicitly on both engines.
      await trx.deleteFrom('account_avatars').where('account_id', '=', id).execute();
      await trx.deleteFrom('account_sessions').where('account_id', '=', id).execute();
      await trx.deleteFrom('one_time_links').where('account_id', '=', id).execute();
      const result = await trx.deleteFrom('accounts').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async putAvatar(id: string, images: AvatarImages): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      const small = this.#db.sealer.seal(images.small, avatarAad(id, images.version, 'small'));
      const large = this.#db.sealer.seal(images.large, avatarAad(id, images.version, 'large'));
      const values = { version: images.version, small, large, updated_at: Date.now() };
      await trx
        .insertInto('account_avatars')
        .values({ account_id: id, ...values })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
        .execute();
    });
  }

  async getAvatar(id: string): Promise<AvatarImages | null> {
    const row = await this.#db.kysely.selectFrom('account_avatars').selectAll().where('account_id', '=', id).executeTakeFirst();
    if (!row) return null;
    const version = Number(row.version);
    return {
      version,
      small: this.#db.sealer.open(row.small, avatarAad(id, version, 'small')),
      large: this.#db.sealer.open(row.large, avatarAad(id, version, 'large')),
    };
  }

  #conflict(error: unknown): unknown {
    if (!isUniqueViolation(error)) return error;
    const text = String((error as Error).message ?? '') + String((error as { constraint?: string }).constraint ?? '');
    if (/muster_id/.test(text)) return new AccountError('MUSTER_ID_TAKEN', 'this Muster ID is taken');
    if (/phone_index/.test(text)) return new AccountError('PHONE_TAKEN', 'an account with this phone number exists');
    return error;
  }

  #toRow(account: StoredAccount): Row {
    const phone = account.profile.phone;
    return {
      id: account.id,
      phone_index: phone === null ? null : this.#db.sealer.blindIndex('phone', phone),
      muster_id: account.musterId?.toLowerCase() ?? null,
      role: account.role,
      status: account.status,
      created_at: account.createdAt,
      updated_at: account.updatedAt,
      expires_at: account.expiresAt,
      locked_until: account.lockedUntil,
      profile: this.#db.sealer.sealJson(account.profile, aad(account.id, 'profile')),
      credentials: this.#db.sealer.sealJson(account.credentials, aad(account.id, 'credentials')),
    };
  }

  #toAccount(row: Row): StoredAccount {
    return {
      id: row.id,
      musterId: row.muster_id,
      role: row.role,
      status: row.status,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
      lockedUntil: row.locked_until === null ? null : Number(row.locked_until),
      profile: this.#db.sealer.openJson<AccountProfile>(row.profile, aad(row.id, 'profile')),
      credentials: row.credentials === null ? {} : this.#db.sealer.openJson<AccountCredentials>(row.credentials, aad(row.id, 'credentials')),
    };
  }
}
