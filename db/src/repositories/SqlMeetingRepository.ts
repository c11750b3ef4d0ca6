import type { Database } from '../Database.ts';
import { openEach } from './openEach.ts';
import type { Json, MeetingInput, MeetingRepository, StoredMeeting } from './MeetingRepository.ts';

const aad = (id: string) => ({ table: 'meetings', column: 'config', rowId: id });

/** Meetings in the `meetings` table, configuration sealed; either engine. */
export class SqlMeetingRepository implements MeetingRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(id: string): Promise<StoredMeeting | null> {
    const row = await this.#db.kysely.selectFrom('meetings').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toMeeting(row) : null;
  }

  async put(meeting: MeetingInput): Promise<void> {
    const updatedAt = meeting.updatedAt ?? Date.now();
    await this.#db.writer.write(async (trx) => {
      // Sealed inside the write: under the key active when it runs (a rotation may start while it waits).
      const config = this.#db.sealer.sealJson(meeting.config, aad(meeting.id));
      await trx
        .insertInto('meetings')
        .values({ id: meeting.id, created_at: meeting.createdAt, updated_at: updatedAt, starts_at: meeting.startsAt, owner_id: meeting.ownerId ?? null, config })
        .onConflict((oc) => oc.column('id').doUpdateSet({ updated_at: updatedAt, starts_at: meeting.startsAt, owner_id: meeting.ownerId ?? null, config }))
        .execute();
    });
  }

  async list(): Promise<StoredMeeting[]> {
    const rows = await this.#db.kysely.selectFrom('meetings').selectAll().orderBy('created_at').orderBy('id').execute();
    return openEach(this.#db, 'meetings', rows, (row) => this.#toMeeting(row));
  }

  async listByOwner(ownerId: string): Promise<StoredMeeting[]> {
    const rows = await this.#db.kysely.selectFrom('meetings').selectAll().where('owner_id', '=', ownerId).orderBy('created_at').orderBy('id').execute();
    return openEach(this.#db, 'meetings', rows, (row) => this.#toMeeting(row));
  }

  async delete(id: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx.deleteFrom('meetings').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  #toMeeting(row: { id: string; created_at: number; updated_at: number; starts_at: number | null; owner_id: string | null; config: Buffer }): StoredMeeting {
    const meeting: StoredMeeting = { id: row.id, createdAt: row.created_at, updatedAt: row.updated_at, startsAt: row.starts_at, config: this.#db.sealer.openJson<Json>(row.config, aad(row.id)) };
    if (row.owner_id !== null) meeting.ownerId = row.owner_id;
    return meeting;
  }
}
