import type { Database } from '@muster/db';
import { DEFAULT_NOTIFICATION_SETTINGS, type Dnd, type NotificationSettings } from '../protocol.ts';

const dndAad = (accountId: string) => ({ table: 'push_settings', column: 'dnd', rowId: accountId });

/**
 * Each person's notification settings, either engine: previews (plain, a
 * switch) and do-not-disturb hours (sealed: the hours and the time zone say
 * where and how someone lives). No row: the defaults.
 */
export class NotificationSettingsRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(accountId: string): Promise<NotificationSettings> {
    const row = await this.#db.kysely.selectFrom('push_settings').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    if (!row) return { ...DEFAULT_NOTIFICATION_SETTINGS };
    return { previews: Number(row.previews) === 1, dnd: row.dnd === null ? null : this.#db.sealer.openJson<Dnd>(row.dnd, dndAad(accountId)) };
  }

  async put(accountId: string, settings: NotificationSettings, at: number): Promise<NotificationSettings> {
    const values = { previews: settings.previews ? 1 : 0, dnd: settings.dnd === null ? null : this.#db.sealer.sealJson(settings.dnd, dndAad(accountId)), updated_at: at };
    await this.#db.writer.write((trx) =>
      trx
        .insertInto('push_settings')
        .values({ account_id: accountId, ...values })
        .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
        .execute(),
    );
    return settings;
  }
}
