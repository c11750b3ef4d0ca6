import crypto from 'node:crypto';
import { openEach, type Database, type SecurityEventsTable } from '@muster/db';

export type SecurityEventKind =
  | 'signup'
  | 'login'
  | 'login.failed'
  | 'login.locked'
  | 'token.reused'
  | 'password.changed'
  | 'password.reset'
  | 'device.signed-out'
  | 'guest.login'
  | 'admin.elevated'
  | 'admin.elevation-failed';

export interface SecurityEvent {
  id: string;
  at: number;
  accountId: string | null;
  kind: SecurityEventKind;
  /** Address, device, reason: never a password, a code or a token. */
  details: Record<string, unknown>;
}

type Row = SecurityEventsTable;

const aad = (id: string) => ({ table: 'security_events', column: 'details', rowId: id });

/** Log-ins, failures, lock-outs and password changes, newest first for the console. */
export class SecurityEventRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async add(event: Omit<SecurityEvent, 'id'>): Promise<SecurityEvent> {
    // Time first, so ids sort as events happened.
    const id = `${event.at.toString(36).padStart(9, '0')}${crypto.randomBytes(6).toString('hex')}`;
    await this.#db.writer.write(async (trx) => {
      await trx
        .insertInto('security_events')
        .values({ id, at: event.at, account_id: event.accountId, kind: event.kind, details: this.#db.sealer.sealJson(event.details, aad(id)) })
        .execute();
    });
    return { id, ...event };
  }

  async list(options: { limit: number; accountId?: string; kinds?: SecurityEventKind[] }): Promise<SecurityEvent[]> {
    let query = this.#db.kysely.selectFrom('security_events').selectAll();
    if (options.accountId !== undefined) query = query.where('account_id', '=', options.accountId);
    if (options.kinds !== undefined && options.kinds.length > 0) query = query.where('kind', 'in', options.kinds);
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
    return openEach(this.#db, 'security_events', rows, (row: Row) => ({
      id: row.id,
      at: Number(row.at),
      accountId: row.account_id,
      kind: row.kind as SecurityEventKind,
      details: this.#db.sealer.openJson<Record<string, unknown>>(row.details, aad(row.id)),
    }));
  }
}
