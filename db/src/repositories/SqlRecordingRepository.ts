import type { Database } from '../Database.ts';
import { openEach } from './openEach.ts';
import type { Json } from './MeetingRepository.ts';
import type { RecordingRepository, StoredRecording } from './RecordingRepository.ts';

const aad = (id: string) => ({ table: 'recordings', column: 'info', rowId: id });

/** Recording descriptions in the `recordings` table, sealed; either engine. */
export class SqlRecordingRepository implements RecordingRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(id: string): Promise<StoredRecording | null> {
    const row = await this.#db.kysely.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.#toRecording(row) : null;
  }

  async put(recording: StoredRecording): Promise<void> {
    await this.#db.writer.write(async (trx) => {
      // Sealed inside the write: under the key active when it runs (a rotation may start while it waits).
      const info = this.#db.sealer.sealJson(recording.info, aad(recording.id));
      await trx
        .insertInto('recordings')
        .values({ id: recording.id, started_at: recording.startedAt, info })
        .onConflict((oc) => oc.column('id').doUpdateSet({ started_at: recording.startedAt, info }))
        .execute();
    });
  }

  async list(): Promise<StoredRecording[]> {
    const rows = await this.#db.kysely.selectFrom('recordings').selectAll().orderBy('started_at').orderBy('id').execute();
    return openEach(this.#db, 'recordings', rows, (row) => this.#toRecording(row));
  }

  async delete(id: string): Promise<boolean> {
    return this.#db.writer.write(async (trx) => {
      const result = await trx.deleteFrom('recordings').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  #toRecording(row: { id: string; started_at: number; info: Buffer }): StoredRecording {
    return { id: row.id, startedAt: row.started_at, info: this.#db.sealer.openJson<Json>(row.info, aad(row.id)) };
  }
}
