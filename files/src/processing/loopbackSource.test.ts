import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { runTool, scrub, ToolError } from './ffmpeg.ts';
import { Gate } from './gate.ts';
import { parseRange, serveOnLoopback } from './loopbackSource.ts';
import { chunkedSource } from './testFixtures.ts';

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('serveOnLoopback', () => {
  const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));

  it('serves the source on 127.0.0.1 under an unguessable path, with Range', async () => {
    const source = chunkedSource(bytes);
    const served = await serveOnLoopback(source);
    try {
      const url = new URL(served.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.pathname.length).toBeGreaterThanOrEqual(40);
      const whole = await get(served.url);
      expect(whole.status).toBe(200);
      expect(whole.headers['accept-ranges']).toBe('bytes');
      expect(whole.body.equals(bytes)).toBe(true);
      const middle = await get(served.url, { range: 'bytes=1000-1999' });
      expect(middle.status).toBe(206);
      expect(middle.headers['content-range']).toBe('bytes 1000-1999/100000');
      expect(middle.body.equals(bytes.subarray(1000, 2000))).toBe(true);
      const tail = await get(served.url, { range: 'bytes=-10' });
      expect(tail.body.equals(bytes.subarray(-10))).toBe(true);
      const open = await get(served.url, { range: 'bytes=99990-' });
      expect(open.body.equals(bytes.subarray(99_990))).toBe(true);
      expect((await get(served.url, { range: 'bytes=100000-' })).status).toBe(416);
      const head = await get(served.url, {}, 'HEAD');
      expect(head.headers['content-length']).toBe('100000');
      expect(head.body.length).toBe(0);
      // The source was asked for exactly the ranges served (HEAD reads nothing).
      expect(source.reads).toEqual([
        [0, 99_999],
        [1000, 1999],
        [99_990, 99_999],
        [99_990, 99_999],
      ]);
    } finally {
      await served.close();
    }
  });

  it('any other path is a 404 and reads nothing', async () => {
    const source = chunkedSource(bytes);
    const served = await serveOnLoopback(source);
    try {
      const other = new URL(served.url);
      for (const pathname of ['/', '/x', `${other.pathname}x`, other.pathname.slice(0, -1)]) {
        other.pathname = pathname;
        expect((await get(other.href)).status).toBe(404);
      }
      expect((await get(served.url, {}, 'DELETE')).status).toBe(405);
      expect(source.reads).toEqual([]);
    } finally {
      await served.close();
    }
  });

  it('is closed for good after close()', async () => {
    const served = await serveOnLoopback(chunkedSource(bytes));
    await served.close();
    await served.close();
    await expect(get(served.url)).rejects.toThrow();
  });

  it('a failing source ends the response early instead of crashing', async () => {
    const served = await serveOnLoopback({ size: 10, read: async () => Promise.reject(new Error('disk gone')) });
    try {
      await get(served.url).then(
        (reply) => expect(reply.body.length).toBeLessThan(10),
        (error: Error) => expect(error).toBeInstanceOf(Error),
      );
    } finally {
      await served.close();
    }
  });

  it('parseRange', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual([0, 0]);
    expect(parseRange('bytes=5-100', 10)).toEqual([5, 9]);
    expect(parseRange('bytes=-100', 10)).toEqual([0, 9]);
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(parseRange('items=0-1', 10)).toBeUndefined();
    expect(parseRange('bytes=5-2', 10)).toBeUndefined();
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
  });
});

describe('ffmpeg plumbing', () => {
  it('error text never carries the loopback URL', () => {
    const url = 'http://127.0.0.1:40123/abcDEF_secret';
    expect(scrub(`${url}: Invalid data found when processing input`, [url])).toBe('<input>: Invalid data found when processing input');
    expect(scrub('Opening http://127.0.0.1:40123/abcDEF_sec for reading')).toBe('Opening <input> for reading');
  });

  it('a process that runs past its deadline is killed, and one that writes too much is stopped', async () => {
    // An endless tone: only the deadline ends it.
    const endless = runTool('ffmpeg', ['-f', 'lavfi', '-i', 'sine', '-f', 'null', '-'], { timeoutMs: 300 });
    await expect(endless).rejects.toThrow(ToolError);
    await expect(endless).rejects.toThrow(/longer than/);
    const flood = runTool('ffmpeg', ['-f', 'lavfi', '-i', 'sine', '-f', 's16le', 'pipe:1'], { timeoutMs: 30_000, maxStdoutBytes: 64 * 1024 });
    await expect(flood).rejects.toThrow(/more output/);
  });

  it('a gate runs at most its limit at once, the rest in order', async () => {
    const gate = new Gate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const tasks = Array.from({ length: 6 }, (_, i) =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      }),
    );
    // Release whoever is running, one at a time, until all six have run.
    for (let released = 0; released < 6; released++) {
      while (releases.length === 0) await new Promise((r) => setImmediate(r));
      expect(gate.active).toBeLessThanOrEqual(2);
      releases.shift()!();
    }
    await Promise.all(tasks);
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gate.active).toBe(0);
  });

  it('a failing task frees its slot', async () => {
    const gate = new Gate(1);
    await expect(gate.run(async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });
});
