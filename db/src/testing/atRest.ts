import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { backupDatabase } from '../Backup.ts';
import type { Database } from '../Database.ts';
import type { EngineName } from '../Engine.ts';
import type { TestLocation } from './databases.ts';
import { silentLogger } from './logging.ts';
import { pgDumpSchema } from './postgres.ts';

/**
 * Everything a database leaves at rest, as named byte strings, for the
 * plaintext checks: SQLite's files while open (the WAL and shared memory
 * hold recent writes) and after close (checkpointed into the main file), or
 * PostgreSQL's pg_dump of the schema; and a backup, unpacked. Closes `db`.
 */
export async function bytesAtRest(engine: EngineName, location: TestLocation, db: Database): Promise<[string, Buffer][]> {
  const haystacks: [string, Buffer][] = [];
  if (engine === 'sqlite') {
    for (const file of filesUnder(location.dataDir)) haystacks.push([`${path.basename(file)} (open)`, fs.readFileSync(file)]);
  } else {
    haystacks.push(['pg_dump', await pgDumpSchema(location.schema!.schema)]);
  }
  const backup = path.join(location.dataDir, 'backup.jsonl.gz');
  await backupDatabase({ dataDir: location.dataDir, url: location.url, out: backup, logger: silentLogger });
  haystacks.push(['backup', zlib.gunzipSync(fs.readFileSync(backup))]);
  fs.rmSync(backup);
  await db.close();
  if (engine === 'sqlite') {
    for (const file of filesUnder(location.dataDir)) haystacks.push([`${path.basename(file)} (closed)`, fs.readFileSync(file)]);
  }
  return haystacks;
}

/** Whether `marker` is in `haystack`, in any encoding a database might store text in (UTF-8, UTF-16LE; a phone number also without its +). */
export function foundAtRest(haystack: Buffer, marker: string): boolean {
  return [Buffer.from(marker, 'utf8'), Buffer.from(marker, 'utf16le'), Buffer.from(marker.replace(/^\+/, ''), 'utf8')].some((needle) => haystack.includes(needle));
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
