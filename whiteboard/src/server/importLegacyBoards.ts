import path from 'node:path';
import { parseLegacyJson, readLegacySqlite, retireLegacyFile, type Sealer } from '@muster/db';
import { AccessSettingsSchema, DEFAULT_ACCESS } from '../protocol.ts';
import type { BoardStore } from './BoardStore.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'whiteboard' });

/** Where an install from before @muster/db kept its boards (sql.js), under the data directory. */
export const LEGACY_BOARDS_FILE = path.join('whiteboard', 'boards.sqlite');

interface LegacyBoardRow {
  id: string;
  state: Uint8Array;
  access: string;
  owner_key_hash: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * Imports `<dataDir>/whiteboard/boards.sqlite` of an older install, once:
 * each board's settings, and its whole document as the first update of its
 * log; then renames the file `boards.sqlite.migrated`. A board already in the
 * store is left alone, so an import cut short by a crash can run again.
 * Returns how many boards were imported (0 without a file).
 */
export async function importLegacyBoards(dataDir: string, store: BoardStore, sealer: Sealer): Promise<number> {
  const file = path.join(dataDir, LEGACY_BOARDS_FILE);
  const rows = readLegacySqlite<LegacyBoardRow>(file, 'SELECT id, state, access, owner_key_hash, created_at, updated_at FROM boards ORDER BY created_at');
  if (rows === null) return 0;
  let imported = 0;
  for (const row of rows) {
    const id = String(row.id);
    if (await store.exists(id)) continue;
    const access = AccessSettingsSchema.safeParse(parseLegacyJson(String(row.access)));
    await store.putMeta(id, { access: access.success ? access.data : DEFAULT_ACCESS, ...(row.owner_key_hash === null ? {} : { ownerKeyHash: String(row.owner_key_hash) }) }, Number(row.created_at));
    await store.append(id, new Uint8Array(row.state), Number(row.updated_at));
    imported++;
  }
  const retired = retireLegacyFile(file, sealer);
  log.warn({ file, renamedTo: retired, boards: imported }, 'imported the boards of an older install into the database; delete the old file once satisfied');
  return imported;
}
