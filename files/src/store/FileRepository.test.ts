/** The files store's contract on SQLite and PostgreSQL, and the retention sweeper on it with an injected clock. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawQuery, silentLogger, testEngines, useTestDatabase } from '@muster/db/testing';
import { FileRetention, DAY_MS, STALE_UPLOAD_MS } from '../domain/FileRetention.ts';
import { LocalStorage } from '../domain/LocalStorage.ts';
import { FilePrefsRepository } from './FilePrefsRepository.ts';
import { FileRepository, type NewFile } from './FileRepository.ts';

const engines = await testEngines('the PostgreSQL files store contract (files/src/store/FileRepository.test.ts)');
const fid = () => `fl${crypto.randomBytes(18).toString('base64url')}`;

describe.each(engines)('files store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);
  const newFile = (over: Partial<NewFile> = {}): NewFile => ({ id: fid(), ownerId: 'ann', conversationId: null, size: 10, meta: { name: 'plan-marker.txt' }, contentKey: crypto.randomBytes(48), createdAt: 1_000, ...over });

  it('creates sealed rows, finishes them once, and keeps last_ref_at at the newest reference', async () => {
    const db = await testDb.open();
    const files = new FileRepository(db);
    const a = newFile({ conversationId: 'cvabcdefgh1' });
    await files.create(a);
    expect(await files.get(a.id)).toMatchObject({ id: a.id, ownerId: 'ann', conversationId: 'cvabcdefgh1', status: 'uploading', kind: null, size: 10, meta: { name: 'plan-marker.txt' } });
    expect((await files.contentKey(a.id))!.equals(a.contentKey)).toBe(true);
    expect(await files.finish(a.id, { kind: 'image', size: 9, meta: { name: 'plan-marker.txt', mime: 'image/png' }, completedAt: 2_000 })).toBe(true);
    // A second finisher (another request, another process) does nothing.
    expect(await files.finish(a.id, { kind: 'other', size: 1, meta: { name: 'x' }, completedAt: 3_000 })).toBe(false);
    expect(await files.get(a.id)).toMatchObject({ status: 'ready', kind: 'image', size: 9, completedAt: 2_000, meta: { mime: 'image/png' } });
    await files.referenced([a.id, 'flunknown000000000000'], 5_000);
    await files.referenced([a.id], 4_000);
    expect((await files.get(a.id))!.lastRefAt).toBe(5_000);
    expect((await files.getMany([a.id, a.id, 'flnone0000000000000000'])).map((f) => f.id)).toEqual([a.id]);
    const raw = JSON.stringify(await rawQuery(testDb.location, 'select * from files'), (_k, v) => (v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : Buffer.isBuffer(v) ? v.toString('latin1') : v));
    expect(raw).not.toContain('plan-marker');
    expect(raw).not.toContain('image/png');
    // A sealed value copied to another row does not open.
    const b = newFile();
    await files.create(b);
    const [row] = await rawQuery<{ meta: Buffer }>(testDb.location, 'select meta from files where id = ?', [a.id]);
    await rawQuery(testDb.location, 'update files set meta = ? where id = ?', [row!.meta, b.id]);
    await expect(files.get(b.id)).rejects.toThrow(/does not open/);
  });

  it('keeps a person\'s cache period', async () => {
    const db = await testDb.open();
    const prefs = new FilePrefsRepository(db);
    expect(await prefs.cacheDays('ann')).toBeUndefined();
    await prefs.setCacheDays('ann', 30, 1);
    await prefs.setCacheDays('ann', null, 2);
    expect(await prefs.cacheDays('ann')).toBeNull();
  });

  it('sweeps: unfinished and never-referenced uploads after 7 days, referenced ones after the retention period (marked expired), never a file referenced within it', async () => {
    const db = await testDb.open();
    const files = new FileRepository(db);
    const root = path.join(testDb.location.dataDir, 'files');
    const storage = new LocalStorage(root);
    let now = 100 * DAY_MS;
    const retention = new FileRetention({ db, files, prefs: new FilePrefsRepository(db), storage, logger: silentLogger, now: () => now, ceiling: 1 << 30 });
    const blob = (id: string) => fs.writeFileSync(path.join(root, 'uploads', id), 'ciphertext');
    const made = async (over: Partial<NewFile>, finish?: { at: number; ref?: number }) => {
      const file = newFile(over);
      await files.create(file);
      blob(file.id);
      if (finish) {
        await files.finish(file.id, { kind: 'other', size: 10, meta: file.meta, completedAt: finish.at });
        if (finish.ref !== undefined) await files.referenced([file.id], finish.ref);
      }
      return file.id;
    };
    const staleUpload = await made({ createdAt: now - STALE_UPLOAD_MS - 1 });
    const freshUpload = await made({ createdAt: now - DAY_MS });
    const neverReferenced = await made({ createdAt: now - 9 * DAY_MS }, { at: now - 8 * DAY_MS });
    const oldReference = await made({ createdAt: now - 90 * DAY_MS }, { at: now - 90 * DAY_MS, ref: now - 40 * DAY_MS });
    const recentReference = await made({ createdAt: now - 90 * DAY_MS }, { at: now - 90 * DAY_MS, ref: now - 10 * DAY_MS });

    // Keep for ever (the default): only the 7-day rule.
    expect(await retention.sweep()).toEqual({ deleted: 2, expired: 0 });
    expect(await files.get(staleUpload)).toBeNull();
    expect(await files.get(neverReferenced)).toBeNull();
    expect(fs.existsSync(path.join(root, 'uploads', staleUpload))).toBe(false);
    expect(await files.get(freshUpload)).toMatchObject({ status: 'uploading' });

    await retention.updateSettings('boss', { retentionDays: 30 });
    expect(await retention.sweep()).toEqual({ deleted: 0, expired: 1 });
    expect(await files.get(oldReference)).toMatchObject({ status: 'expired', expiredAt: now, meta: { name: 'plan-marker.txt' } });
    expect(await files.contentKey(oldReference)).toBeNull();
    expect(fs.existsSync(path.join(root, 'uploads', oldReference))).toBe(false);
    expect(await files.get(recentReference)).toMatchObject({ status: 'ready' });

    // A message references it again just in time: the claim's condition keeps it.
    now += 25 * DAY_MS;
    await files.referenced([recentReference], now - DAY_MS);
    expect(await retention.sweep()).toEqual({ deleted: 1, expired: 0 }); // freshUpload, now stale
    expect(await files.get(recentReference)).toMatchObject({ status: 'ready' });

    // A sweep cut short (row left in `deleting`) is finished by the next, in any process.
    await rawQuery(testDb.location, "update files set status = 'deleting' where id = ?", [recentReference]);
    const other = new FileRetention({ db, files, prefs: new FilePrefsRepository(db), storage, logger: silentLogger, now: () => now, ceiling: 1 << 30 });
    const [first, second] = await Promise.all([retention.sweep(), other.sweep()]);
    expect(first.expired + second.expired).toBeGreaterThanOrEqual(1);
    expect(await files.get(recentReference)).toMatchObject({ status: 'expired' });
  });

  it('sweeps as of a time it is given (a whole server, on the real clock), deciding and recording by that time', async () => {
    const db = await testDb.open();
    const files = new FileRepository(db);
    const root = path.join(testDb.location.dataDir, 'files');
    const storage = new LocalStorage(root);
    const now = 10 * DAY_MS;
    const retention = new FileRetention({ db, files, prefs: new FilePrefsRepository(db), storage, logger: silentLogger, now: () => now, ceiling: 1 << 30 });
    const file = newFile({ createdAt: now - 2 * DAY_MS });
    await files.create(file);
    fs.writeFileSync(path.join(root, 'uploads', file.id), 'ciphertext');
    await files.finish(file.id, { kind: 'other', size: 10, meta: file.meta, completedAt: now - 2 * DAY_MS });
    await files.referenced([file.id], now - DAY_MS);
    await retention.updateSettings('boss', { retentionDays: 30 });
    expect(await retention.sweep()).toEqual({ deleted: 0, expired: 0 });
    const later = now + 40 * DAY_MS;
    expect(await retention.sweep(later)).toEqual({ deleted: 0, expired: 1 });
    expect(await files.get(file.id)).toMatchObject({ status: 'expired', expiredAt: later });
    expect(fs.existsSync(path.join(root, 'uploads', file.id))).toBe(false);
  });
});
