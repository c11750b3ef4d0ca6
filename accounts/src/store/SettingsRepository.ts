import type { Database } from '@muster/db';

const aad = (key: string) => ({ table: 'settings', column: 'value', rowId: key });

/** Organisation-wide settings by key, each a sealed JSON value (some hold private keys). */
export class SettingsRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get<T>(key: string): Promise<T | null> {
    const row = await this.#db.kysely.selectFrom('settings').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? this.#db.sealer.openJson<T>(row.value, aad(key)) : null;
  }

  async put(key: string, value: unknown): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      const values = { value: this.#db.sealer.sealJson(value, aad(key)), updated_at: Date.now() };
      await trx
        .insertInto('settings')
        .values({ key, ...values })
        .onConflict((oc) => oc.column('key').doUpdateSet(values))
        .execute();
    });
  }

  /**
   * Stores `value` unless the key has one, and returns the one stored: two
   * processes starting on an empty database agree on one signing key.
   */
  async putIfAbsent<T>(key: string, value: T): Promise<T> {
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('settings')
        .values({ key, value: this.#db.sealer.sealJson(value, aad(key)), updated_at: Date.now() })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    });
    return (await this.get<T>(key))!;
  }
}
