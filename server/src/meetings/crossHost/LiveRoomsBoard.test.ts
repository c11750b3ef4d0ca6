import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '@muster/db/testing';
import { redisTestsEnabled, TEST_REDIS_URL } from '@muster/kit/testing';
import { DEFAULT_SETTINGS, type LiveRoomEntry } from '@muster/signaling';
import { LiveRoomsBoard } from './LiveRoomsBoard.ts';

const enabled = await redisTestsEnabled('the live meetings board test');

const entry = (id: string, participants: number): LiveRoomEntry => ({
  id,
  topic: `Topic ${id}`,
  locked: false,
  lobby: false,
  recording: false,
  settings: { ...DEFAULT_SETTINGS },
  startsAt: null,
  hasPasscode: false,
  createdAt: 1_700_000_000_000,
  participants,
});

describe.skipIf(!enabled)('LiveRoomsBoard (Redis)', () => {
  const prefix = `muster-test-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  const boards: LiveRoomsBoard[] = [];
  const board = (app: string, here: () => LiveRoomEntry[]) => {
    const b = new LiveRoomsBoard({ redisUrl: TEST_REDIS_URL, prefix, app, here, logger: recordingLogger().logger });
    boards.push(b);
    return b;
  };

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    for (const b of boards) await b.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it("shows each app the others' live meetings, never its own, as they report them", async () => {
    let aRooms = [entry('alpha', 2)];
    const a = board('app-a', () => aRooms);
    const b = board('app-b', () => [entry('beta', 5)]);
    expect(await a.ready(5_000)).toBe(true);
    expect(await b.ready(5_000)).toBe(true);
    await a.report();
    await b.report();
    expect(await a.list()).toEqual([entry('beta', 5)]);
    expect(await b.list()).toEqual([entry('alpha', 2)]);
    // A change shows at the next report.
    aRooms = [entry('alpha', 3), entry('gamma', 1)];
    await a.report();
    expect((await b.list()).map((r) => [r.id, r.participants])).toEqual([
      ['alpha', 3],
      ['gamma', 1],
    ]);
    aRooms = [];
    await a.report();
    expect(await b.list()).toEqual([]);
    // Closing takes the app's report away at once.
    await b.close();
    await b.close();
    expect(await a.list()).toEqual([]);
  });

  it('drops what Redis holds that is not a valid entry, and apps whose report expired', async () => {
    const c = board('app-c', () => []);
    expect(await c.ready(5_000)).toBe(true);
    const now = Date.now();
    await redis.set(`${prefix}:live-rooms:bad-json`, '{not json', 'PX', 10_000);
    await redis.set(`${prefix}:live-rooms:bad-shape`, JSON.stringify([{ id: '../etc', participants: -1 }, entry('ok-one', 1), 'text']), 'PX', 10_000);
    await redis.set(`${prefix}:live-rooms:not-a-list`, JSON.stringify({ id: 'x' }), 'PX', 10_000);
    await redis.set(`${prefix}:live-rooms:gone`, JSON.stringify([entry('stale', 4)]), 'PX', 10_000);
    await redis.zadd(`${prefix}:live-room-apps`, now + 10_000, 'bad-json', now + 10_000, 'bad-shape', now + 10_000, 'not-a-list', now - 1, 'gone');
    expect((await c.list()).map((r) => r.id)).toEqual(['ok-one']);
    // The expired member leaves the set at the next report.
    await c.report();
    expect(await redis.zscore(`${prefix}:live-room-apps`, 'gone')).toBeNull();
  });

  it('fails a listing fast when Redis is away (the caller shows its own meetings), and says so once when it cannot report', async () => {
    const logger = recordingLogger();
    const away = new LiveRoomsBoard({ redisUrl: 'redis://127.0.0.1:1', prefix, app: 'app-away', here: () => [entry('lost', 1)], logger: logger.logger });
    boards.push(away);
    await expect(away.list()).rejects.toThrow();
    await away.report();
    await away.report();
    expect(logger.messages('warn').filter((m) => m.startsWith('live meetings: could not report'))).toHaveLength(1);
  });
});
