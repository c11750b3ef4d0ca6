import fs from 'node:fs';
import path from 'node:path';
import { MemoryMeetingRepository, openRetiredFile, SqlMeetingRepository, type Database } from '@muster/db';
import { postgresTestsEnabled, tempDir, testLocation, testSealer, withSqliteFile, type TestLocation, LEGACY_MEETINGS_SCHEMA } from '@muster/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { importLegacyMeetings } from './importLegacyMeetings.ts';
import { MeetingStore } from './MeetingStore.ts';
import { newMeetingConfig } from './RoomManager.ts';

const withPostgres = await postgresTestsEnabled('the PostgreSQL meeting store (signaling/src/rooms/MeetingStore.test.ts)');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqlStore(engine: 'sqlite' | 'postgres'): Promise<{ store: MeetingStore; db: Database; location: TestLocation }> {
  const location = await testLocation(engine);
  const db = await location.open();
  cleanups.push(async () => {
    await db.close();
    await location.remove();
  });
  return { store: new MeetingStore(new SqlMeetingRepository(db)), db, location };
}

const stores: [string, () => Promise<MeetingStore>][] = [
  ['in memory', async () => new MeetingStore(new MemoryMeetingRepository())],
  ['SQLite', async () => (await sqlStore('sqlite')).store],
  ...(withPostgres ? [['PostgreSQL', async () => (await sqlStore('postgres')).store] as [string, () => Promise<MeetingStore>]] : []),
];

describe.each(stores)('meeting store (%s)', (_name, open) => {
  it('keeps, lists, updates and deletes meeting configurations, handing out copies', async () => {
    const store = await open();
    const board = newMeetingConfig('board', { topic: 'Board', startsAt: 1_900_000_000_000, passcode: '4711', lobby: true, persistent: true, settings: { ...newMeetingConfig('x').settings, chat: 'moderators' } });
    await store.put(board);
    await store.put(newMeetingConfig('standup', { persistent: true, createdAt: board.createdAt + 1 }));
    expect(await store.get('board')).toEqual(board);
    expect((await store.list()).map((m) => m.id)).toEqual(['board', 'standup']);
    const copy = (await store.get('board'))!;
    copy.topic = 'changed outside';
    expect((await store.get('board'))!.topic).toBe('Board');
    await store.put({ ...board, topic: 'Board, Q3', locked: true });
    expect(await store.get('board')).toMatchObject({ topic: 'Board, Q3', locked: true, hostKey: board.hostKey });
    expect(await store.delete('board')).toBe(true);
    expect(await store.delete('board')).toBe(false);
    expect(await store.get('board')).toBeUndefined();
  });
});

describe('meeting store in the database', () => {
  it('survives a restart, and seals host keys and passcodes', async () => {
    const { store, db, location } = await sqlStore('sqlite');
    const config = newMeetingConfig('weekly', { topic: 'Weekly', passcode: 'secret-passcode-4711', persistent: true });
    await store.put(config);
    await db.close();
    const raw = fs.readFileSync(db.file!);
    expect(raw.includes(Buffer.from('secret-passcode-4711'))).toBe(false);
    expect(raw.includes(Buffer.from(config.hostKey))).toBe(false);
    const again = await location.open();
    try {
      expect(await new MeetingStore(new SqlMeetingRepository(again)).get('weekly')).toEqual(config);
    } finally {
      await again.close();
    }
  });
});

describe('import of an older install', () => {
  it('reads meetings.sqlite once, imports every meeting, and renames the file', async () => {
    const dir = tempDir('muster-legacy-meetings-');
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'meetings.sqlite');
    withSqliteFile(file, (old) => {
      old.exec(LEGACY_MEETINGS_SCHEMA);
      const insert = old.prepare('INSERT INTO meetings (id, topic, created_at, starts_at, passcode, host_key, settings, lobby, locked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      insert.run('weekly', 'Weekly', 1_700_000_000_000, 1_900_000_000_000, '4711', 'host-key-weekly', JSON.stringify({ chat: 'moderators' }), 1, 0);
      insert.run('retro', 'Retro', 1_700_000_000_001, null, null, 'host-key-retro', '{not json', 0, 1);
    });

    const store = new MeetingStore(new MemoryMeetingRepository());
    const sealer = testSealer();
    expect(await importLegacyMeetings(dir, store, sealer)).toBe(2);
    expect(fs.existsSync(file)).toBe(false);
    // Put aside sealed: the old file's text is not in it, and it opens back to the old database.
    const retired = fs.readFileSync(`${file}.migrated`);
    expect(retired.includes(Buffer.from('host-key-weekly'))).toBe(false);
    expect(openRetiredFile(`${file}.migrated`, sealer).includes(Buffer.from('host-key-weekly'))).toBe(true);
    const defaults = newMeetingConfig('x').settings;
    expect(await store.list()).toEqual([
      { id: 'weekly', topic: 'Weekly', createdAt: 1_700_000_000_000, startsAt: 1_900_000_000_000, passcode: '4711', hostKey: 'host-key-weekly', settings: { ...defaults, chat: 'moderators' }, lobby: true, locked: false, persistent: true },
      { id: 'retro', topic: 'Retro', createdAt: 1_700_000_000_001, startsAt: null, passcode: null, hostKey: 'host-key-retro', settings: defaults, lobby: false, locked: true, persistent: true },
    ]);
    // Once only: the next start finds nothing to import.
    expect(await importLegacyMeetings(dir, store, sealer)).toBe(0);
  });
});
