/**
 * Per-account limits through the limits store Files is given: starting
 * uploads (tus POST) and asking for signed links answer 429 RATE_LIMITED
 * with Retry-After past them, per account; an upload refused for another
 * reason gives its point back.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { MemoryLimits } from '@muster/kit/limits';
import { FILES_RATES } from '../Files.ts';
import { as, TusClient, useFilesApp } from '../testing/index.ts';

describe('per-account limits on uploads and links', () => {
  const testDb = useTestDatabase('sqlite');
  const open = useFilesApp(testDb);

  async function setUp(rates: { uploadsPerHour: number; linkRequestsPerMinute: number }) {
    return (await open({ limits: new MemoryLimits(), rates })).url;
  }

  it('has the documented defaults: 120 uploads an hour, 600 link requests a minute', () => {
    expect(FILES_RATES).toEqual({ uploadsPerHour: 120, linkRequestsPerMinute: 600 });
  });

  it('refuses the upload past the limit with 429 RATE_LIMITED and Retry-After, for that account only; refused creations do not count', async () => {
    const url = await setUp({ uploadsPerHour: 2, linkRequestsPerMinute: 100 });
    const ann = new TusClient(url, as('ann'));
    // Refused for their metadata: no points taken.
    for (let i = 0; i < 3; i++) expect((await ann.create({ length: 3, metadata: { filetype: 'text/plain' } })).status).toBe(400);
    expect((await ann.create({ length: 3, metadata: { filename: 'a.txt' } })).status).toBe(201);
    expect((await ann.create({ length: 3, metadata: { filename: 'b.txt' } })).status).toBe(201);
    const refused = await ann.create({ length: 3, metadata: { filename: 'c.txt' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(refused.text).error.code).toBe('RATE_LIMITED');
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(3600);
    // Another account is not held back, and ann's uploads under way go on.
    expect((await new TusClient(url, as('bob')).create({ length: 3, metadata: { filename: 'b.txt' } })).status).toBe(201);
    expect((await ann.create({ length: 3, metadata: { filename: 'd.txt' } })).status).toBe(429);
  });

  it('refuses the link request past the limit with 429 RATE_LIMITED and Retry-After, for that account only', async () => {
    const url = await setUp({ uploadsPerHour: 100, linkRequestsPerMinute: 3 });
    const ann = new TusClient(url, as('ann'));
    const id = await ann.upload(Buffer.from('hello'), { filename: 'hello.txt' });
    const links = (who: string) =>
      fetch(`${url}/api/v1/files/links`, { method: 'POST', headers: { ...as(who), 'content-type': 'application/json' }, body: JSON.stringify({ fileIds: [id] }) });
    for (let i = 0; i < 3; i++) expect((await links('ann')).status).toBe(200);
    const refused = await links('ann');
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe('RATE_LIMITED');
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    // Bob (who may read nothing here) still gets his answer; downloads are not limited.
    expect(await (await links('bob')).json()).toEqual({ links: [] });
    expect((await fetch(`${url}/api/v1/files/${id}`, { headers: as('ann') })).status).toBe(200);
  });
});
