/**
 * The shared REST plumbing: a domain's coded error becomes its reply (with
 * Retry-After and WWW-Authenticate where they apply), a body parser's
 * refusal a 413 or a 400 (or the domain's own reading of it), and anything
 * else a 500 that says nothing and is logged.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { codedErrors, parseOr, route, type CodedError } from './codedRoutes.ts';
import { jsonBody } from './jsonBody.ts';
import { createLogger } from './log.ts';

class ToyError extends Error implements CodedError {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
const isToyError = (error: unknown): error is ToyError => error instanceof ToyError;

describe('coded routes', () => {
  it('answer coded errors, parser refusals and failures each as they should', async () => {
    const logged: string[] = [];
    const logger = createLogger({ level: 'error', destination: { write: (line: string) => void logged.push(line) } });
    const app = express();
    app.post('/toy', ...jsonBody({ limit: '1kb' }), route(async (req, res) => {
      const body = parseOr(z.object({ n: z.number() }).strict(), req.body, 'body', (message) => new ToyError('BAD_REQUEST', 400, message));
      if (body.n === 1) throw new ToyError('RATE_LIMITED', 429, 'later', 7);
      if (body.n === 2) throw new ToyError('UNAUTHORIZED', 401, 'sign in');
      if (body.n === 3) throw new Error('secret detail');
      if (body.n === 4) throw Object.assign(new Error('too deep'), { status: 400, type: 'entity.too.deep' });
      res.json({ n: body.n });
    }));
    app.use(codedErrors({ domain: 'toy', logger, isCoded: isToyError, parserError: (e, res) => (e.type === 'entity.too.deep' && res.req.query.doc ? { code: 'BAD_DOCUMENT', message: 'nested too deep' } : undefined) }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/toy`;
    const post = async (body: string, query = '') => {
      const res = await fetch(url + query, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: res.status, headers: res.headers, body: (await res.json()) as { error?: { code: string; message: string }; n?: number } };
    };
    try {
      expect((await post('{"n":0}')).body).toEqual({ n: 0 });
      const limited = await post('{"n":1}');
      expect([limited.status, limited.headers.get('retry-after'), limited.body.error?.code]).toEqual([429, '7', 'RATE_LIMITED']);
      const unsigned = await post('{"n":2}');
      expect([unsigned.status, unsigned.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
      expect((await post('{"n":"x"}')).body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^body: /) });
      expect((await post('{"n":')).body.error?.code).toBe('BAD_REQUEST');
      expect((await post(JSON.stringify({ n: 0, pad: 'x'.repeat(2000) }))).status).toBe(413);
      expect((await post('{"n":4}', '?doc=1')).body.error).toEqual({ code: 'BAD_DOCUMENT', message: 'nested too deep' });
      expect((await post('{"n":4}')).body.error?.code).toBe('BAD_REQUEST');
      const failed = await post('{"n":3}');
      expect(failed).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } });
      expect(logged.join('')).toContain('toy: request failed');
    } finally {
      server.close();
    }
  });
});
