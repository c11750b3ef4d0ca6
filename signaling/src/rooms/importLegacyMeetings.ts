import path from 'node:path';
import { parseLegacyJson, readLegacySqlite, retireLegacyFile, type Sealer } from '@muster/db';
import { DEFAULT_SETTINGS, MeetingSettingsSchema } from '../protocol.ts';
import type { MeetingStore } from './MeetingStore.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'rooms' });

/** The file an install from before @muster/db kept its meetings in (sql.js). */
export const LEGACY_MEETINGS_FILE = 'meetings.sqlite';

interface LegacyMeetingRow {
  id: string;
  topic: string;
  created_at: number;
  starts_at: number | null;
  passcode: string | null;
  host_key: string;
  settings: string;
  lobby: number;
  locked: number;
}

/**
 * Imports `<dataDir>/meetings.sqlite` of an older install into the meeting
 * store, once, then renames it `meetings.sqlite.migrated`. Meetings are
 * upserts, so an import cut short by a crash simply runs again at the next
 * start. Returns how many meetings were imported (0 without a file).
 */
export async function importLegacyMeetings(dataDir: string, meetings: MeetingStore, sealer: Sealer): Promise<number> {
  const file = path.join(dataDir, LEGACY_MEETINGS_FILE);
  const rows = readLegacySqlite<LegacyMeetingRow>(file, 'SELECT id, topic, created_at, starts_at, passcode, host_key, settings, lobby, locked FROM meetings ORDER BY created_at');
  if (rows === null) return 0;
  for (const row of rows) {
    // Settings written by an older version may lack newer keys: defaults fill them.
    const settings = MeetingSettingsSchema.partial().safeParse(parseLegacyJson(String(row.settings)));
    await meetings.put({
      id: String(row.id),
      topic: String(row.topic),
      createdAt: Number(row.created_at),
      startsAt: row.starts_at === null ? null : Number(row.starts_at),
      passcode: row.passcode === null ? null : String(row.passcode),
      hostKey: String(row.host_key),
      settings: { ...DEFAULT_SETTINGS, ...(settings.success ? settings.data : {}) },
      lobby: Number(row.lobby) === 1,
      locked: Number(row.locked) === 1,
      persistent: true,
    });
  }
  const retired = retireLegacyFile(file, sealer);
  log.warn({ file, renamedTo: retired, meetings: rows.length }, 'imported the meetings of an older install into the database; delete the old file once satisfied');
  return rows.length;
}
