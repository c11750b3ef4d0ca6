import fs from 'node:fs';
import path from 'node:path';
import { LEGACY_BOARDS_SCHEMA, LEGACY_MEETINGS_SCHEMA, tempDir, withSqliteFile } from '@muster/db/testing';
import { Board, DEFAULT_ACCESS } from '@muster/whiteboard';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../testing/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('start-up on the data directory of an older install', () => {
  it('imports meetings.sqlite and whiteboard/boards.sqlite into the database once, and renames them', async () => {
    const dataDir = tempDir('muster-legacy-');
    dirs.push(dataDir);
    const meetingsFile = path.join(dataDir, 'meetings.sqlite');
    const boardsFile = path.join(dataDir, 'whiteboard', 'boards.sqlite');
    withSqliteFile(meetingsFile, (db) => {
      db.exec(LEGACY_MEETINGS_SCHEMA);
      db.prepare('INSERT INTO meetings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run('weekly', 'Weekly', 1_700_000_000_000, null, '4711', 'old-host-key', '{"chat":"moderators"}', 1, 0);
    });
    fs.mkdirSync(path.dirname(boardsFile));
    const old = new Board({ id: 'plan', access: DEFAULT_ACCESS });
    old.doc.addObject({ id: 'n1', type: 'note', page: 'p1', x: 0, y: 0, w: 10, h: 10, text: 'from the old install' });
    withSqliteFile(boardsFile, (db) => {
      db.exec(LEGACY_BOARDS_SCHEMA);
      db.prepare('INSERT INTO boards VALUES (?, ?, ?, ?, ?, ?)').run('plan', Buffer.from(old.encodeState()), '{"mode":"presenter","allowed":[]}', null, 1_700_000_000_000, 1_700_000_000_000);
    });

    const server = await startTestServer({ dataDir });
    try {
      expect(fs.existsSync(meetingsFile)).toBe(false);
      expect(fs.existsSync(`${meetingsFile}.migrated`)).toBe(true);
      expect(fs.existsSync(boardsFile)).toBe(false);
      expect(fs.existsSync(`${boardsFile}.migrated`)).toBe(true);
      const res = await fetch(`${server.url}/api/v1/rooms/weekly`, { headers: { authorization: `Bearer ${server.apiToken}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 'weekly', topic: 'Weekly', hasPasscode: true, lobby: true, settings: { chat: 'moderators' } });
      expect(await server.rooms.meetings.get('weekly')).toMatchObject({ hostKey: 'old-host-key', passcode: '4711' });
      const board = await fetch(`${server.url}/api/v1/boards/plan`, { headers: { authorization: `Bearer ${server.apiToken}` } });
      expect(board.status).toBe(200);
      expect(await board.json()).toEqual(old.exportJson());
    } finally {
      await server.close();
    }
  });
});
