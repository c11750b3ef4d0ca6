import { openEach, type AuditEntry, type Database, type Schema } from '@muster/db';
import type { ReportState } from '../protocol.ts';

type Row = Schema['moment_reports'];

export interface StoredReport {
  id: string;
  momentId: string;
  reporterId: string;
  reason: string;
  state: ReportState;
  createdAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolution: 'dismiss' | 'remove' | null;
}

export interface ReportCursor {
  createdAt: number;
  id: string;
}

const reasonAad = (id: string) => ({ table: 'moment_reports', column: 'reason', rowId: id });

/**
 * Reports of posts, either engine, for the admin console: the reason is
 * sealed, bound to the report's id. One open report per person and post
 * (reporting again answers the open one). Removing the post resolves its
 * open reports (MomentRepository.remove); dismissing resolves one.
 */
export class ReportRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a report, or answers the reporter's open one of this post; `created` tells which. */
  async add(report: { id: string; momentId: string; reporterId: string; reason: string; createdAt: number }): Promise<{ id: string; created: boolean }> {
    const reason = this.#db.sealer.seal(report.reason, reasonAad(report.id));
    return this.#db.writer.write(async (trx) => {
      const open = await trx.selectFrom('moment_reports').select('id').where('moment_id', '=', report.momentId).where('state', '=', 'open').where('reporter_id', '=', report.reporterId).executeTakeFirst();
      if (open) return { id: open.id, created: false };
      await trx
        .insertInto('moment_reports')
        .values({ id: report.id, moment_id: report.momentId, reporter_id: report.reporterId, reason, state: 'open', created_at: report.createdAt, resolved_at: null, resolved_by: null, resolution: null })
        .execute();
      return { id: report.id, created: true };
    });
  }

  async get(id: string): Promise<StoredReport | null> {
    const row = await this.#db.kysely.selectFrom('moment_reports').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toReport(row) : null;
  }

  /** Reports in one state, newest first. */
  async page(state: ReportState, options: { before?: ReportCursor; limit: number }): Promise<StoredReport[]> {
    let select = this.#db.kysely.selectFrom('moment_reports').selectAll().where('state', '=', state);
    const before = options.before;
    // A row-value comparison: the (…, created_at, id) index is walked from the cursor, without a sort.
    if (before) select = select.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before.createdAt, before.id)));
    const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
    return openEach(this.#db, 'moment_reports', rows, (row) => this.#toReport(row));
  }

  /** Whether the post has a report still open (an admin may then read its files, to review it). */
  async hasOpen(momentId: string): Promise<boolean> {
    return (await this.#db.kysely.selectFrom('moment_reports').select('id').where('moment_id', '=', momentId).where('state', '=', 'open').limit(1).executeTakeFirst()) !== undefined;
  }

  /** Resolves one open report as dismissed, with its audit entry, in one write; false when it was not open. */
  async dismiss(id: string, by: string, at: number, audit: AuditEntry): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx.updateTable('moment_reports').set({ state: 'resolved', resolution: 'dismiss', resolved_at: at, resolved_by: by }).where('id', '=', id).where('state', '=', 'open').executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await this.#db.audit.appendIn(trx, audit);
      return true;
    });
  }

  #toReport(row: Row): StoredReport {
    return {
      id: row.id,
      momentId: row.moment_id,
      reporterId: row.reporter_id,
      reason: this.#db.sealer.openText(row.reason, reasonAad(row.id)),
      state: row.state as ReportState,
      createdAt: Number(row.created_at),
      resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
      resolvedBy: row.resolved_by,
      resolution: row.resolution as StoredReport['resolution'],
    };
  }
}
