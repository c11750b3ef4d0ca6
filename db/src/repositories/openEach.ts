import type { Database } from '../Database.ts';
import { isDbError } from '../errors.ts';

/**
 * Opens every row of a listing. A row whose sealed value does not open
 * (altered, or copied from another row: tamper evidence) is left out and
 * logged as an error with its id, so one bad row does not take the whole
 * listing down; reading that row by itself still fails.
 */
export function openEach<R extends { id: string }, T>(db: Database, table: string, rows: R[], open: (row: R) => T): T[] {
  const opened: T[] = [];
  for (const row of rows) {
    try {
      opened.push(open(row));
    } catch (error) {
      if (!isDbError(error) || error.code !== 'SEALED_VALUE_INVALID') throw error;
      db.logger.error({ table, rowId: row.id, err: error }, 'db: a sealed row does not open (altered, or copied from another row); left out of the listing');
    }
  }
  return opened;
}
