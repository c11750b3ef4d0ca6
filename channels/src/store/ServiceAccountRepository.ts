import { isUniqueViolation, type Database, type Schema } from '@muster/db';
import type { ServiceAccountKind } from '../protocol.ts';

type Row = Schema['service_accounts'];

/** A service account as stored. */
export interface StoredServiceAccount {
  id: string;
  name: string;
  description: string;
  kind: ServiceAccountKind;
  dailyCap: number;
  avatarFileId: string | null;
  latestArticleId: string | null;
  latestArticleAt: number | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface AccountChange {
  name?: string;
  description?: string;
  kind?: ServiceAccountKind;
  dailyCap?: number;
  avatarFileId?: string | null;
}

/** Names compare as people read them: full-width and half-width alike, case and runs of spaces ignored. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Rows per statement: far below either engine's parameter limit. */
const CHUNK = 500;

/**
 * Service accounts and their editors, either engine. Name and description
 * are plain (the organisation's public directory); `name_key` keeps names
 * unique among live accounts. Deleting an account keeps its row (its
 * articles' ids still resolve to "gone") and frees its name.
 */
export class ServiceAccountRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** A new account with its editors; `taken` when a live account has the name. */
  async create(account: Omit<StoredServiceAccount, 'latestArticleId' | 'latestArticleAt' | 'updatedAt' | 'deletedAt'>, editors: readonly string[]): Promise<'created' | 'taken'> {
    try {
      return await this.#db.writer.write(async (trx) => {
        // A re-run of a committed write (see GroupedWriter) finds its own row.
        const existing = await trx.selectFrom('service_accounts').select('id').where('id', '=', account.id).executeTakeFirst();
        if (existing) return 'created' as const;
        await trx
          .insertInto('service_accounts')
          .values({
            id: account.id,
            name: account.name,
            name_key: nameKey(account.name),
            description: account.description,
            kind: account.kind,
            daily_cap: account.dailyCap,
            avatar_file_id: account.avatarFileId,
            latest_article_id: null,
            latest_article_at: null,
            created_at: account.createdAt,
            updated_at: account.createdAt,
            deleted_at: null,
          })
          .execute();
        const ids = [...new Set(editors)];
        for (let i = 0; i < ids.length; i += CHUNK) {
          await trx
            .insertInto('service_account_editors')
            .values(ids.slice(i, i + CHUNK).map((accountId) => ({ service_account_id: account.id, account_id: accountId, added_at: account.createdAt })))
            .execute();
        }
        return 'created' as const;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return 'taken';
      throw error;
    }
  }

  /** A live account (null when unknown or deleted). */
  async get(id: string): Promise<StoredServiceAccount | null> {
    const row = await this.#db.kysely.selectFrom('service_accounts').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  /** Live accounts by id (unknown and deleted ones left out). */
  async getMany(ids: readonly string[]): Promise<Map<string, StoredServiceAccount>> {
    const found = new Map<string, StoredServiceAccount>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.#db.kysely.selectFrom('service_accounts').selectAll().where('id', 'in', unique.slice(i, i + CHUNK)).where('deleted_at', 'is', null).execute();
      for (const row of rows) found.set(row.id, toAccount(row));
    }
    return found;
  }

  /** Every live account (the directory: a thousand or a few thousand rows of names). */
  async list(): Promise<StoredServiceAccount[]> {
    const rows = await this.#db.kysely.selectFrom('service_accounts').selectAll().where('deleted_at', 'is', null).orderBy('created_at').orderBy('id').execute();
    return rows.map(toAccount);
  }

  /** Applies a change; `taken` when the new name is another live account's, `gone` when the account is not live. */
  async update(id: string, change: AccountChange, at: number): Promise<'updated' | 'taken' | 'gone'> {
    const set: Partial<Row> = { updated_at: at };
    if (change.name !== undefined) {
      set.name = change.name;
      set.name_key = nameKey(change.name);
    }
    if (change.description !== undefined) set.description = change.description;
    if (change.kind !== undefined) set.kind = change.kind;
    if (change.dailyCap !== undefined) set.daily_cap = change.dailyCap;
    if (change.avatarFileId !== undefined) set.avatar_file_id = change.avatarFileId;
    try {
      const result = await this.#db.writer.write((trx) => trx.updateTable('service_accounts').set(set).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst());
      return Number(result.numUpdatedRows) > 0 ? 'updated' : 'gone';
    } catch (error) {
      if (isUniqueViolation(error)) return 'taken';
      throw error;
    }
  }

  /** Deletes a live account (its name is free again); false when it was not live. */
  async delete(id: string, at: number): Promise<boolean> {
    const result = await this.#db.writer.write((trx) =>
      trx.updateTable('service_accounts').set({ deleted_at: at, updated_at: at, name_key: null }).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  // ------------------------------------------------------------ editors

  async editors(id: string): Promise<string[]> {
    const rows = await this.#db.kysely.selectFrom('service_account_editors').select('account_id').where('service_account_id', '=', id).orderBy('added_at').orderBy('account_id').execute();
    return rows.map((r) => r.account_id);
  }

  async isEditor(id: string, accountId: string): Promise<boolean> {
    const row = await this.#db.kysely.selectFrom('service_account_editors').select('account_id').where('service_account_id', '=', id).where('account_id', '=', accountId).executeTakeFirst();
    return row !== undefined;
  }

  /** Which of these accounts the person is an editor of. */
  async editorOf(accountId: string, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.#db.kysely
        .selectFrom('service_account_editors')
        .select('service_account_id')
        .where('account_id', '=', accountId)
        .where('service_account_id', 'in', unique.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) found.add(row.service_account_id);
    }
    return found;
  }

  /** Replaces the editors: those kept keep when they were added. */
  async setEditors(id: string, editors: readonly string[], at: number): Promise<void> {
    const wanted = [...new Set(editors)];
    await this.#db.writer.write(async (trx) => {
      const current = new Set((await trx.selectFrom('service_account_editors').select('account_id').where('service_account_id', '=', id).execute()).map((r) => r.account_id));
      const gone = [...current].filter((a) => !wanted.includes(a));
      const added = wanted.filter((a) => !current.has(a));
      for (let i = 0; i < gone.length; i += CHUNK) {
        await trx.deleteFrom('service_account_editors').where('service_account_id', '=', id).where('account_id', 'in', gone.slice(i, i + CHUNK)).execute();
      }
      for (let i = 0; i < added.length; i += CHUNK) {
        await trx
          .insertInto('service_account_editors')
          .values(added.slice(i, i + CHUNK).map((accountId) => ({ service_account_id: id, account_id: accountId, added_at: at })))
          .onConflict((oc) => oc.columns(['service_account_id', 'account_id']).doNothing())
          .execute();
      }
    }, { lockKey: `${id}~editors` });
  }

  /** Whether a live account shows this file as its avatar (anyone signed in may read it). */
  async isAvatar(fileId: string): Promise<boolean> {
    const row = await this.#db.kysely.selectFrom('service_accounts').select('id').where('avatar_file_id', '=', fileId).where('deleted_at', 'is', null).executeTakeFirst();
    return row !== undefined;
  }
}

function toAccount(row: Row): StoredServiceAccount {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    kind: row.kind as ServiceAccountKind,
    dailyCap: Number(row.daily_cap),
    avatarFileId: row.avatar_file_id,
    latestArticleId: row.latest_article_id,
    latestArticleAt: row.latest_article_at === null ? null : Number(row.latest_article_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
  };
}
