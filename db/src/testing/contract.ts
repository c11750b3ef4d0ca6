/**
 * The repository contract: one suite every implementation passes (memory,
 * SQLite, PostgreSQL). Tests share one store per suite, so each test works on
 * ids of its own (a PostgreSQL schema is created per run, not per test).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoardLogRepository } from '../repositories/BoardLogRepository.ts';
import type { MeetingRepository } from '../repositories/MeetingRepository.ts';
import type { RecordingRepository } from '../repositories/RecordingRepository.ts';

export interface RepositoryHarness {
  meetings: MeetingRepository;
  boards: BoardLogRepository;
  recordings: RecordingRepository;
  close(): Promise<void>;
}

const concat = (base: Uint8Array | null, updates: Uint8Array[]) => Buffer.concat([...(base ? [base] : []), ...updates]);
const bytes = (value: Uint8Array | undefined) => (value ? [...value] : undefined);

export function repositoryContract(name: string, open: () => Promise<RepositoryHarness>): void {
  describe(`${name}: repository contract`, () => {
    let harness: RepositoryHarness;
    const id = (label: string) => `${label}-${crypto.randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      harness = await open();
    });
    afterAll(async () => {
      await harness?.close();
    });

    describe('MeetingRepository', () => {
      it('returns null for an unknown meeting', async () => {
        expect(await harness.meetings.get(id('none'))).toBeNull();
      });

      it('keeps the owner, and lists an owner’s meetings oldest first', async () => {
        const owner = id('owner');
        const [a, b, c] = [id('m'), id('m'), id('m')];
        await harness.meetings.put({ id: b, createdAt: 2_000, startsAt: null, ownerId: owner, config: { topic: 'b' } });
        await harness.meetings.put({ id: a, createdAt: 1_000, startsAt: 5_000, ownerId: owner, config: { topic: 'a' } });
        await harness.meetings.put({ id: c, createdAt: 1_500, startsAt: null, ownerId: id('someone-else'), config: { topic: 'c' } });
        expect((await harness.meetings.get(a))!.ownerId).toBe(owner);
        expect((await harness.meetings.listByOwner(owner)).map((m) => m.id)).toEqual([a, b]);
        expect(await harness.meetings.listByOwner(id('nobody'))).toEqual([]);
      });

      it('stores and returns the configuration as given', async () => {
        const meetingId = id('m');
        const config = { topic: 'Weekly 周会 ✓', passcode: '0042', hostKey: 'hk', settings: { video: true, max: 50, tags: ['a', null] }, lobby: false };
        await harness.meetings.put({ id: meetingId, createdAt: 1_700_000_000_000, startsAt: 1_700_000_360_000, config });
        const stored = await harness.meetings.get(meetingId);
        expect(stored).toMatchObject({ id: meetingId, createdAt: 1_700_000_000_000, startsAt: 1_700_000_360_000, config });
        expect(typeof stored!.updatedAt).toBe('number');
      });

      it('replaces on put, keeping createdAt', async () => {
        const meetingId = id('m');
        await harness.meetings.put({ id: meetingId, createdAt: 1000, startsAt: null, config: { topic: 'old' }, updatedAt: 1000 });
        await harness.meetings.put({ id: meetingId, createdAt: 5000, startsAt: 7000, config: { topic: 'new' }, updatedAt: 6000 });
        expect(await harness.meetings.get(meetingId)).toEqual({ id: meetingId, createdAt: 1000, updatedAt: 6000, startsAt: 7000, config: { topic: 'new' } });
      });

      it('hands out copies: changing a returned config changes nothing stored', async () => {
        const meetingId = id('m');
        await harness.meetings.put({ id: meetingId, createdAt: 1, startsAt: null, config: { topic: 'kept' } });
        const first = await harness.meetings.get(meetingId);
        (first!.config as { topic: string }).topic = 'changed';
        expect((await harness.meetings.get(meetingId))!.config).toEqual({ topic: 'kept' });
      });

      it('lists oldest first, then by id', async () => {
        const prefix = id('list');
        const ids = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
        await harness.meetings.put({ id: ids[0], createdAt: 10, startsAt: null, config: {} });
        await harness.meetings.put({ id: ids[1], createdAt: 20, startsAt: null, config: {} });
        await harness.meetings.put({ id: ids[2], createdAt: 20, startsAt: null, config: {} });
        const listed = (await harness.meetings.list()).filter((m) => m.id.startsWith(prefix)).map((m) => m.id);
        expect(listed).toEqual([`${prefix}-c`, `${prefix}-a`, `${prefix}-b`]);
      });

      it('deletes, reporting whether there was a meeting', async () => {
        const meetingId = id('m');
        await harness.meetings.put({ id: meetingId, createdAt: 1, startsAt: null, config: { x: 1 } });
        expect(await harness.meetings.delete(meetingId)).toBe(true);
        expect(await harness.meetings.delete(meetingId)).toBe(false);
        expect(await harness.meetings.get(meetingId)).toBeNull();
      });
    });

    describe('BoardLogRepository', () => {
      it('numbers updates 1, 2, 3… per board, also under concurrent appends', async () => {
        const a = id('board');
        const b = id('board');
        const seqs = await Promise.all([1, 2, 3, 4, 5].map((i) => harness.boards.append(a, new Uint8Array([i]))));
        expect([...seqs].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5]);
        expect(await harness.boards.append(b, new Uint8Array([9]))).toBe(1);
        const log = await harness.boards.read(a);
        expect(log!.updates.map((u) => u.seq)).toEqual([1, 2, 3, 4, 5]);
        // Each update is stored under the seq it was given.
        for (const [i, seq] of seqs.entries()) expect(bytes(log!.updates.find((u) => u.seq === seq)!.update)).toEqual([i + 1]);
      });

      it('returns null for an unknown board', async () => {
        expect(await harness.boards.read(id('none'))).toBeNull();
        expect(await harness.boards.compact(id('none'), concat)).toBeNull();
      });

      it('keeps every byte value of an update', async () => {
        const board = id('board');
        const all = Uint8Array.from({ length: 256 }, (_, i) => i);
        await harness.boards.append(board, all, 1234);
        const log = await harness.boards.read(board);
        expect(bytes(log!.updates[0].update)).toEqual([...all]);
        expect(log).toMatchObject({ id: board, createdAt: 1234, updatedAt: 1234, sizeBytes: 256, lastSeq: 1, snapshot: null, meta: null });
      });

      it('compacts: snapshot of everything so far, covered updates gone, numbering goes on', async () => {
        const board = id('board');
        for (const i of [1, 2, 3]) await harness.boards.append(board, new Uint8Array([i, i]));
        const calls: [number[] | null, number[][]][] = [];
        const merge = (base: Uint8Array | null, updates: Uint8Array[]) => {
          calls.push([base ? [...base] : null, updates.map((u) => [...u])]);
          return concat(base, updates);
        };
        expect(await harness.boards.compact(board, merge)).toEqual({ uptoSeq: 3, removed: 3 });
        expect(calls).toEqual([[null, [[1, 1], [2, 2], [3, 3]]]]);
        let log = await harness.boards.read(board);
        expect(log!.snapshot).toMatchObject({ uptoSeq: 3 });
        expect(bytes(log!.snapshot!.state)).toEqual([1, 1, 2, 2, 3, 3]);
        expect(log!.updates).toEqual([]);
        expect(log!.sizeBytes).toBe(6);

        expect(await harness.boards.append(board, new Uint8Array([4]))).toBe(4);
        log = await harness.boards.read(board);
        expect(log!.updates.map((u) => u.seq)).toEqual([4]);
        expect(log!.lastSeq).toBe(4);
        expect(log!.sizeBytes).toBe(7);

        expect(await harness.boards.compact(board, merge)).toEqual({ uptoSeq: 4, removed: 1 });
        expect(calls[1]).toEqual([[1, 1, 2, 2, 3, 3], [[4]]]);
        expect(await harness.boards.compact(board, merge)).toEqual({ uptoSeq: 4, removed: 0 });
        expect(calls).toHaveLength(2);
        log = await harness.boards.read(board);
        expect(bytes(log!.snapshot!.state)).toEqual([1, 1, 2, 2, 3, 3, 4]);
      });

      it('stores metadata, creating the board when needed', async () => {
        const board = id('board');
        await harness.boards.putMeta(board, { access: { mode: 'open' }, owner: 'k' }, 500);
        expect(await harness.boards.read(board)).toMatchObject({ id: board, meta: { access: { mode: 'open' }, owner: 'k' }, lastSeq: 0, createdAt: 500, updates: [] });
        await harness.boards.append(board, new Uint8Array([1]), 600);
        await harness.boards.putMeta(board, { access: { mode: 'closed' } }, 700);
        expect(await harness.boards.read(board)).toMatchObject({ meta: { access: { mode: 'closed' } }, lastSeq: 1, createdAt: 500, updatedAt: 700 });
      });

      it('lists the most recently updated first', async () => {
        const prefix = id('list');
        await harness.boards.append(`${prefix}-old`, new Uint8Array([1]), 100);
        await harness.boards.append(`${prefix}-new`, new Uint8Array([1, 2]), 300);
        await harness.boards.append(`${prefix}-mid`, new Uint8Array([1, 2, 3]), 200);
        const listed = (await harness.boards.list()).filter((b) => b.id.startsWith(prefix));
        expect(listed).toEqual([
          { id: `${prefix}-new`, createdAt: 300, updatedAt: 300, sizeBytes: 2 },
          { id: `${prefix}-mid`, createdAt: 200, updatedAt: 200, sizeBytes: 3 },
          { id: `${prefix}-old`, createdAt: 100, updatedAt: 100, sizeBytes: 1 },
        ]);
      });

      it('deletes a board with its log and snapshot', async () => {
        const board = id('board');
        await harness.boards.append(board, new Uint8Array([1]));
        await harness.boards.compact(board, concat);
        await harness.boards.append(board, new Uint8Array([2]));
        expect(await harness.boards.delete(board)).toBe(true);
        expect(await harness.boards.delete(board)).toBe(false);
        expect(await harness.boards.read(board)).toBeNull();
        expect((await harness.boards.list()).some((b) => b.id === board)).toBe(false);
        // A board of the same id starts afresh.
        expect(await harness.boards.append(board, new Uint8Array([3]))).toBe(1);
        expect((await harness.boards.read(board))!.snapshot).toBeNull();
      });
    });

    describe('RecordingRepository', () => {
      const description = (id: string, name: string) => ({
        id,
        state: 'ready',
        hosts: ['h1'],
        error: null,
        manifest: { version: 1, participants: [{ participantId: 'u1', name, joinedAtMs: 0, leftAtMs: null }], tracks: [], composite: null },
      });

      it('returns null for an unknown recording', async () => {
        expect(await harness.recordings.get(id('none'))).toBeNull();
      });

      it('stores and returns the description as given', async () => {
        const recordingId = id('r');
        const info = description(recordingId, '张三丰 ✓');
        await harness.recordings.put({ id: recordingId, startedAt: 1_700_000_000_000, info });
        expect(await harness.recordings.get(recordingId)).toEqual({ id: recordingId, startedAt: 1_700_000_000_000, info });
      });

      it('replaces on put: the latest description is the one kept', async () => {
        const recordingId = id('r');
        await harness.recordings.put({ id: recordingId, startedAt: 1000, info: { ...description(recordingId, 'a'), state: 'recording' } });
        await harness.recordings.put({ id: recordingId, startedAt: 1000, info: description(recordingId, 'b') });
        expect(await harness.recordings.get(recordingId)).toEqual({ id: recordingId, startedAt: 1000, info: description(recordingId, 'b') });
      });

      it('hands out copies: changing a returned description changes nothing stored', async () => {
        const recordingId = id('r');
        await harness.recordings.put({ id: recordingId, startedAt: 1, info: { state: 'kept' } });
        const first = await harness.recordings.get(recordingId);
        (first!.info as { state: string }).state = 'changed';
        expect((await harness.recordings.get(recordingId))!.info).toEqual({ state: 'kept' });
      });

      it('lists by start time, then by id', async () => {
        const prefix = id('list');
        await harness.recordings.put({ id: `${prefix}-c`, startedAt: 10, info: {} });
        await harness.recordings.put({ id: `${prefix}-b`, startedAt: 20, info: {} });
        await harness.recordings.put({ id: `${prefix}-a`, startedAt: 20, info: {} });
        await harness.recordings.put({ id: `${prefix}-d`, startedAt: 5, info: {} });
        const listed = (await harness.recordings.list()).filter((r) => r.id.startsWith(prefix)).map((r) => r.id);
        expect(listed).toEqual([`${prefix}-d`, `${prefix}-c`, `${prefix}-a`, `${prefix}-b`]);
      });

      it('deletes, reporting whether there was a recording', async () => {
        const recordingId = id('r');
        await harness.recordings.put({ id: recordingId, startedAt: 1, info: { x: 1 } });
        expect(await harness.recordings.delete(recordingId)).toBe(true);
        expect(await harness.recordings.delete(recordingId)).toBe(false);
        expect(await harness.recordings.get(recordingId)).toBeNull();
        expect((await harness.recordings.list()).some((r) => r.id === recordingId)).toBe(false);
      });
    });
  });
}
