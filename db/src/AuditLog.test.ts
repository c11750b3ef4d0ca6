import { describe, expect, it } from 'vitest';
import type { Database } from './Database.ts';
import { rawQuery } from './testing/databases.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';

const engines = await testEngines('the PostgreSQL audit-log tests (db/src/AuditLog.test.ts)');

describe.each(engines)('audit log (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  async function withRows(n: number): Promise<{ db: Database; hashes: string[] }> {
    const db = await testDb.open();
    const hashes: string[] = [];
    for (let i = 1; i <= n; i++) hashes.push((await db.audit.append({ actor: `user-${i}`, action: 'meeting.update', target: `m${i}`, details: { field: 'topic', to: `topic ${i}` }, at: 1000 + i })).hash);
    return { db, hashes };
  }

  it('chains rows and verifies them, reporting the head hash', async () => {
    const { db: d, hashes } = await withRows(5);
    expect(await d.audit.verifyChain()).toEqual({ ok: true, rows: 5, head: hashes[4] });
    const rows = await d.audit.read();
    expect(rows.map((r) => [r.seq, r.actor, r.action, r.target, r.details, r.at])).toEqual(
      [1, 2, 3, 4, 5].map((i) => [i, `user-${i}`, 'meeting.update', `m${i}`, { field: 'topic', to: `topic ${i}` }, 1000 + i]),
    );
    const raw = await rawQuery<{ seq: number; prev_hash: Buffer; hash: Buffer }>(testDb.location, 'select seq, prev_hash, hash from audit_log order by seq');
    expect(Buffer.from(raw[0].prev_hash).equals(Buffer.alloc(32))).toBe(true);
    for (let i = 1; i < raw.length; i++) expect(Buffer.from(raw[i].prev_hash).equals(Buffer.from(raw[i - 1].hash))).toBe(true);
  });

  it('finds a row changed with direct SQL', async () => {
    const { db: d } = await withRows(5);
    await rawQuery(testDb.location, "update audit_log set action = 'meeting.delete' where seq = 3");
    expect(await d.audit.verifyChain()).toMatchObject({ ok: false, rows: 2, brokenAt: 3, reason: expect.stringMatching(/row 3: its content does not match its hash/) });
  });

  it('finds a sealed body moved from another row', async () => {
    const { db: d } = await withRows(5);
    const [row2] = await rawQuery<{ body: Buffer }>(testDb.location, 'select body from audit_log where seq = 2');
    await rawQuery(testDb.location, 'update audit_log set body = ? where seq = 4', [Buffer.from(row2.body)]);
    expect(await d.audit.verifyChain()).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/does not open/) });
  });

  it('finds a deleted row', async () => {
    const { db: d } = await withRows(5);
    await rawQuery(testDb.location, 'delete from audit_log where seq = 2');
    expect(await d.audit.verifyChain()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.stringMatching(/row 2 is missing/) });
  });

  it('finds a row whose hash was replaced to match an edit, at the next row', async () => {
    const { db: d } = await withRows(5);
    await rawQuery(testDb.location, 'update audit_log set hash = ? where seq = 3', [Buffer.alloc(32, 7)]);
    const report = await d.audit.verifyChain();
    expect(report).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('commits an audit row with the change it records, or not at all', async () => {
    const { db: d } = await withRows(2);
    await expect(
      d.writer.write(async (trx) => {
        await d.audit.appendIn(trx, { actor: 'x', action: 'meeting.delete', target: 'm1' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const { seq } = await d.audit.append({ actor: 'y', action: 'meeting.create', target: 'm9' });
    expect(seq).toBe(3);
    expect(await d.audit.verifyChain()).toMatchObject({ ok: true, rows: 3 });
  });

  it('stays verifiable across a data key rotation (bodies re-encrypted, hashes unchanged)', async () => {
    const { db: d, hashes } = await withRows(4);
    const before = await rawQuery<{ body: Buffer }>(testDb.location, 'select body from audit_log order by seq');
    await d.rotation.start();
    await d.rotation.run();
    const after = await rawQuery<{ body: Buffer }>(testDb.location, 'select body from audit_log order by seq');
    expect(after.slice(0, 4).every((row, i) => !Buffer.from(row.body).equals(Buffer.from(before[i].body)))).toBe(true);
    // The hashes of the rows from before stay as they were; rotation adds its own two rows.
    expect((await d.audit.read()).map((r) => r.hash).slice(0, 4)).toEqual(hashes);
    expect((await d.audit.read()).map((r) => r.action).slice(4)).toEqual(['keyring.rotation.start', 'keyring.rotation.complete']);
    expect(await d.audit.verifyChain()).toMatchObject({ ok: true, rows: 6 });
  });
});
