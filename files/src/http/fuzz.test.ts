/** Fuzzing the upload and download routes: random headers, metadata, offsets, ranges and ids. Never a 5xx, never a crash, never another person's bytes. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { mulberry32 } from '@muster/kit/testing';
import { as, TusClient, useFilesApp } from '../testing/index.ts';

describe('fuzzing uploads and downloads', () => {
  const testDb = useTestDatabase('sqlite');
  const open = useFilesApp(testDb);

  it('answers every random request with a 2xx–4xx, and never serves ann\'s bytes to bob', async () => {
    const { db, files, app } = await open({ maxUploadBytes: 100_000 });
    const secret = Buffer.from(`ann-private-${crypto.randomBytes(8).toString('hex')}`);
    const ann = new TusClient(app.url, as('ann'));
    const annFile = await ann.upload(secret, { filename: 'secret.txt' });
    const annOpen = await ann.start(1000, { filename: 'open.bin' });
    const random = mulberry32(4242);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const junk = () => pick(['', ' ', '-1', '0', '1', '999999999999999999999', 'NaN', 'abc', '1.5', '\u00e9', 'bytes=0-', '*', String(Math.floor(random() * 2000))]);
    const ids = [annFile, annOpen, `fl${'A'.repeat(24)}`, 'fl', '..', '%2e%2e', 'fl' + 'x'.repeat(60), encodeURIComponent('fl/../../etc'), 'links'];
    const who = [as('bob'), as('ann'), {}, { authorization: 'Bearer junk' }];
    for (let i = 0; i < 400; i++) {
      const method = pick(['POST', 'HEAD', 'PATCH', 'DELETE', 'GET', 'OPTIONS']);
      const target = pick(['uploads', 'files']);
      const id = pick(ids);
      const url = target === 'uploads' ? `${app.url}/api/v1/uploads${random() < 0.2 ? '' : `/${id}`}` : `${app.url}/api/v1/files/${id}${random() < 0.3 ? '/thumbnail' : ''}${random() < 0.3 ? `?sig=${junk()}&download=${junk()}` : ''}`;
      const headers: Record<string, string> = { ...pick(who) };
      if (random() < 0.8) headers['tus-resumable'] = pick(['1.0.0', '0.2', junk()]);
      if (random() < 0.5) headers['upload-length'] = junk();
      if (random() < 0.3) headers['upload-defer-length'] = junk();
      if (random() < 0.5) headers['upload-offset'] = junk();
      if (random() < 0.5) headers['upload-metadata'] = pick(['filename', 'filename ' + Buffer.from(junk()).toString('base64'), 'a b c', 'filename Zm9v,conversationId Y3Y=', junk(), 'filename Zm9v,keepLocation MQ==,filetype aW1hZ2UvcG5n']);
      if (random() < 0.5) headers['content-type'] = pick(['application/offset+octet-stream', 'application/json', junk()]);
      if (random() < 0.5) headers.range = pick(['bytes=' + junk(), `bytes=${junk()}-${junk()}`, 'bytes=0-1,5-9', junk()]);
      if (random() < 0.2) headers['if-range'] = junk();
      const body = method === 'POST' || method === 'PATCH' ? (random() < 0.7 ? new Uint8Array(crypto.randomBytes(Math.floor(random() * 3000))) : undefined) : undefined;
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body });
      } catch (error) {
        // A header fetch itself refuses to send (not the server's doing).
        if ((error as Error).name === 'TypeError' && !(error as { cause?: { code?: string } }).cause?.code?.startsWith('ECONN')) continue;
        throw error;
      }
      const text = method === 'HEAD' ? '' : Buffer.from(await res.arrayBuffer()).toString('latin1');
      expect(res.status, `${method} ${url} ${JSON.stringify(headers)} → ${text.slice(0, 200)}`).toBeLessThan(500);
      if (headers.authorization !== as('ann').authorization) expect(text.includes(secret.toString('latin1')), `${method} ${url}`).toBe(false);
    }
    // Still whole afterwards.
    const res = await fetch(`${app.url}/api/v1/files/${annFile}`, { headers: as('ann') });
    expect(Buffer.from(await res.arrayBuffer()).equals(secret)).toBe(true);
  }, 120_000);
});
