import type { Database, Schema } from '@muster/db';

type Row = Schema['push_subscriptions'];

/** A push subscription as stored, its endpoint and keys opened. */
export interface StoredSubscription {
  id: string;
  accountId: string;
  /** The signed-in device (accounts' session id) that registered it: its notifications stop when that device is signed out. */
  sessionId: string;
  kind: string;
  endpoint: string;
  /** Web Push and encrypted UnifiedPush: p256dh and auth; a gateway's kind: whatever it asked for. */
  keys: Record<string, string> | null;
  createdAt: number;
  lastSuccessAt: number | null;
}

interface Target {
  endpoint: string;
  keys?: Record<string, string>;
}

/** The blind-index kind of endpoint URLs (db/src/tables.ts recomputes it in a key rotation). */
export const ENDPOINT_INDEX_KIND = 'push-endpoint';

const targetAad = (id: string) => ({ table: 'push_subscriptions', column: 'target', rowId: id });

/**
 * Push subscriptions, either engine. The endpoint URL and its keys are
 * sealed (a push endpoint is a capability: whoever holds it can notify that
 * browser); `endpoint_index`, their blind index, finds a row by endpoint
 * without opening any, so one endpoint is one row whoever registers it.
 * `session_id` is the device that registered it (accounts' session id):
 * revoking that session removes the row (`removeForSessions`).
 */
export class SubscriptionRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Stores a subscription, once per endpoint: the same account registering
   * it again keeps its id (with the new keys); another account registering
   * it takes it over under a new id (a browser signed in as someone else
   * must not get the first person's notifications). Either way the row
   * belongs to `sessionId` from now on (re-registered from a new device
   * session, it moves there). Refused (`limited`) when the account already
   * has `max` others.
   */
  async put(input: { newId: string; accountId: string; sessionId: string; kind: string; endpoint: string; keys: Record<string, string> | null; at: number; max: number }): Promise<{ id: string; created: boolean } | { limited: true }> {
    const candidates = this.#db.sealer.blindIndexCandidates(ENDPOINT_INDEX_KIND, input.endpoint);
    const index = this.#db.sealer.blindIndex(ENDPOINT_INDEX_KIND, input.endpoint);
    const target: Target = { endpoint: input.endpoint, ...(input.keys ? { keys: input.keys } : {}) };
    return this.#db.writer.write(async (trx) => {
      const existing = await trx.selectFrom('push_subscriptions').select(['id', 'account_id']).where('endpoint_index', 'in', candidates).execute();
      const mine = existing.find((row) => row.account_id === input.accountId);
      if (mine) {
        await trx
          .updateTable('push_subscriptions')
          .set({ session_id: input.sessionId, kind: input.kind, endpoint_index: index, target: this.#db.sealer.sealJson(target, targetAad(mine.id)) })
          .where('id', '=', mine.id)
          .execute();
        return { id: mine.id, created: false };
      }
      if (existing.length > 0) await trx.deleteFrom('push_subscriptions').where('id', 'in', existing.map((row) => row.id)).execute();
      const { count } = await trx.selectFrom('push_subscriptions').select((eb) => eb.fn.countAll<number>().as('count')).where('account_id', '=', input.accountId).executeTakeFirstOrThrow();
      if (Number(count) >= input.max) return { limited: true as const };
      await trx
        .insertInto('push_subscriptions')
        .values({
          id: input.newId,
          account_id: input.accountId,
          session_id: input.sessionId,
          kind: input.kind,
          endpoint_index: index,
          target: this.#db.sealer.sealJson(target, targetAad(input.newId)),
          created_at: input.at,
          last_success_at: null,
        })
        .execute();
      return { id: input.newId, created: true };
    });
  }

  /** An account's subscriptions, oldest first. */
  async forAccount(accountId: string): Promise<StoredSubscription[]> {
    const rows = await this.#db.kysely.selectFrom('push_subscriptions').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => this.#toSubscription(row));
  }

  /** Which of these accounts have at least one subscription (one query, whatever their number). */
  async accountsWithSubscriptions(accountIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const ids = [...new Set(accountIds)];
    // In chunks: a 1000-member group's message asks for 999 accounts; SQLite binds at most 32766 values, PostgreSQL 65535.
    for (let i = 0; i < ids.length; i += 1000) {
      const rows = await this.#db.kysely.selectFrom('push_subscriptions').select('account_id').distinct().where('account_id', 'in', ids.slice(i, i + 1000)).execute();
      for (const row of rows) found.add(row.account_id);
    }
    return found;
  }

  /** Removes one of the account's subscriptions; false when it has none by that id. */
  async remove(accountId: string, id: string): Promise<boolean> {
    const result = await this.#db.writer.write((trx) => trx.deleteFrom('push_subscriptions').where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst());
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Removes the subscriptions these sessions (of this account) registered:
   * the devices were signed out. Returns how many.
   */
  async removeForSessions(accountId: string, sessionIds: readonly string[]): Promise<number> {
    const ids = [...new Set(sessionIds)];
    if (ids.length === 0) return 0;
    let removed = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const result = await this.#db.writer.write((trx) => trx.deleteFrom('push_subscriptions').where('account_id', '=', accountId).where('session_id', 'in', chunk).executeTakeFirst());
      removed += Number(result.numDeletedRows);
    }
    return removed;
  }

  /** Removes these subscriptions (by id), whoever's: their devices are no longer signed in. */
  async removeMany(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#db.writer.write((trx) => trx.deleteFrom('push_subscriptions').where('id', 'in', [...ids]).execute());
  }

  /** Removes a subscription the push service says is gone (404, 410). */
  async removeDead(id: string): Promise<void> {
    await this.#db.writer.write((trx) => trx.deleteFrom('push_subscriptions').where('id', '=', id).execute());
  }

  async markSuccess(id: string, at: number): Promise<void> {
    await this.#db.writer.write((trx) => trx.updateTable('push_subscriptions').set({ last_success_at: at }).where('id', '=', id).execute());
  }

  #toSubscription(row: Row): StoredSubscription {
    const target = this.#db.sealer.openJson<Target>(row.target, targetAad(row.id));
    return {
      id: row.id,
      accountId: row.account_id,
      sessionId: row.session_id,
      kind: row.kind,
      endpoint: target.endpoint,
      keys: target.keys ?? null,
      createdAt: Number(row.created_at),
      lastSuccessAt: row.last_success_at === null ? null : Number(row.last_success_at),
    };
  }
}
