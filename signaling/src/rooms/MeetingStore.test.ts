import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryMeetingStore, type MeetingStore } from './MeetingStore.ts';
import { newMeetingConfig } from './RoomManager.ts';
import { SqliteMeetingStore } from './SqliteMeetingStore.ts';

const dirs: string[] = [];
const tempFile = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-meetings-'));
  dirs.push(dir);
  return path.join(dir, 'meetings.sqlite');
};

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<MeetingStore>][] = [
  ['in memory', async () => new InMemoryMeetingStore()],
  ['SQLite', async () => SqliteMeetingStore.open(tempFile())],
];

describe.each(stores)('meeting store (%s)', (_name, open) => {
  it('keeps, lists, updates and deletes meeting configurations, handing out copies', async () => {
    const store = await open();
    const board = newMeetingConfig('board', { topic: 'Board', startsAt: 1_900_000_000_000, passcode: '4711', lobby: true, persistent: true, settings: { ...newMeetingConfig('x').settings, chat: 'moderators' } });
    store.put(board);
    store.put(newMeetingConfig('standup', { persistent: true }));
    expect(store.get('board')).toEqual(board);
    expect(store.list().map((m) => m.id)).toEqual(['board', 'standup']);
    const copy = store.get('board')!;
    copy.topic = 'changed outside';
    expect(store.get('board')!.topic).toBe('Board');
    store.put({ ...board, topic: 'Board, Q3', locked: true });
    expect(store.get('board')).toMatchObject({ topic: 'Board, Q3', locked: true, hostKey: board.hostKey });
    expect(store.delete('board')).toBe(true);
    expect(store.delete('board')).toBe(false);
    expect(store.get('board')).toBeUndefined();
  });
});

describe('SQLite meeting store', () => {
  it('survives a restart, and keeps its file private', async () => {
    const file = tempFile();
    const first = await SqliteMeetingStore.open(file);
    const config = newMeetingConfig('weekly', { topic: 'Weekly', passcode: 'secret', persistent: true });
    first.put(config);
    first.close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = await SqliteMeetingStore.open(file);
    expect(again.get('weekly')).toEqual(config);
    again.close();
  });
});
