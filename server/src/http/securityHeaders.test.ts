import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../testing/index.ts';
import { securityHeaders, securityHeadersOptionsFromEnv } from './securityHeaders.ts';

/** The CSP as directive → sources. */
function parseCsp(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name, sources);
  }
  return directives;
}

/** A raw GET, so the Host header can be anything (fetch() would not let us set it). */
function getWithHost(url: string, host: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
  });
}

const PATHS = [
  ['the app shell at /', '/', 200, false],
  ['a meeting link', '/m/x', 200, false],
  ['a board link', '/b/some-board', 200, false],
  ['the API description', '/api/v1/openapi.json', 200, false],
  ['an API call', '/api/v1/rooms', 200, true],
  ['an unknown API route', '/api/v1/no-such-thing', 404, true],
  ['an API route outside v1', '/api/nothing', 404, false],
  ['an API route without a token', '/api/v1/rooms', 401, false],
  ['a static asset', '/assets/app-1234.js', 200, false],
  ['the health check', '/healthz', 200, false],
] as const;

describe('browser hardening headers', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let webDist: string;

  beforeAll(async () => {
    // A stand-in for web-demo/dist, so this test does not need the client built.
    webDist = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-web-'));
    fs.mkdirSync(path.join(webDist, 'assets'));
    fs.writeFileSync(path.join(webDist, 'index.html'), '<!doctype html><script type="module" src="/assets/app-1234.js"></script>');
    fs.writeFileSync(path.join(webDist, 'assets', 'app-1234.js'), 'export {};');
    server = await startTestServer({ webDistDir: webDist });
  });
  afterAll(async () => {
    await server?.close();
    if (webDist) fs.rmSync(webDist, { recursive: true, force: true });
  });

  it.each(PATHS)('sends the same headers on %s (%s)', async (what, urlPath, status, withToken) => {
    const res = await fetch(`${server.url}${urlPath}`, { headers: withToken ? { authorization: `Bearer ${server.apiToken}` } : {} });
    expect(res.status, what).toBe(status);
    const h = res.headers;
    expect(h.get('x-frame-options'), what).toBe('DENY');
    expect(h.get('x-content-type-options'), what).toBe('nosniff');
    expect(h.get('referrer-policy'), what).toBe('no-referrer');
    expect(h.get('cross-origin-opener-policy'), what).toBe('same-origin');
    expect(h.get('cross-origin-resource-policy'), what).toBe('same-origin');
    expect(h.get('cross-origin-embedder-policy'), what).toBeNull();
    expect(h.get('permissions-policy'), what).toMatch(/(^|, )camera=\(self\)(,|$)/);
    expect(h.get('permissions-policy'), what).toMatch(/(^|, )microphone=\(self\)(,|$)/);
    expect(h.get('permissions-policy'), what).toMatch(/(^|, )display-capture=\(self\)(,|$)/);
    // Off by default: a LAN deployment on plain http must not be pinned to https.
    expect(h.get('strict-transport-security'), what).toBeNull();
    expect(h.get('x-powered-by'), what).toBeNull();

    const csp = parseCsp(h.get('content-security-policy'));
    expect(csp.get('default-src'), what).toEqual(["'self'"]);
    expect(csp.get('script-src'), what).toEqual(["'self'", "'report-sample'"]);
    expect(csp.get('style-src'), what).toEqual(["'self'", "'report-sample'"]);
    expect(csp.get('img-src'), what).toEqual(["'self'", 'data:', 'blob:']);
    expect(csp.get('media-src'), what).toEqual(["'self'", 'blob:']);
    expect(csp.get('font-src'), what).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
    expect(csp.get('object-src'), what).toEqual(["'none'"]);
    expect(csp.get('base-uri'), what).toEqual(["'none'"]);
    expect(csp.get('form-action'), what).toEqual(["'self'"]);
    // socket.io's WebSocket, named explicitly for browsers where 'self' does not cover ws:/wss:.
    const host = new URL(server.url).host;
    expect(csp.get('connect-src'), what).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
    // No inline code and no eval anywhere, and no upgrade-insecure-requests (plain-http LANs).
    const raw = h.get('content-security-policy')!;
    expect(raw, what).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|upgrade-insecure-requests/);
  });

  it('names only a plain host name in connect-src: an odd or IPv6 Host header gets just \'self\'', async () => {
    const url = `${server.url}/m/x`;
    const named = parseCsp((await getWithHost(url, 'meet.example.lan:8443')).headers['content-security-policy'] as string);
    expect(named.get('connect-src')).toEqual(["'self'", 'ws://meet.example.lan:8443', 'wss://meet.example.lan:8443']);
    for (const host of ['[::1]:8080', 'evil.example;script-src *', 'a b', 'under_score.lan']) {
      const res = await getWithHost(url, host);
      // Node may refuse a malformed Host itself (400); whatever it answers must not carry the Host into the policy.
      const csp = res.headers['content-security-policy'] as string | undefined;
      if (res.statusCode === 400 && !csp) continue;
      expect(parseCsp(csp ?? null).get('connect-src'), host).toEqual(["'self'"]);
      expect(csp, host).not.toContain('evil');
      expect(parseCsp(csp ?? null).get('script-src'), host).toEqual(["'self'", "'report-sample'"]);
    }
  });

  it('sends HSTS only when configured', async () => {
    expect(securityHeadersOptionsFromEnv({})).toEqual({ hstsMaxAgeSeconds: 0, hstsIncludeSubDomains: false });
    expect(securityHeadersOptionsFromEnv({ MUSTER_HSTS_MAX_AGE: '31536000', MUSTER_HSTS_INCLUDE_SUBDOMAINS: '1' })).toEqual({
      hstsMaxAgeSeconds: 31536000,
      hstsIncludeSubDomains: true,
    });
    expect(() => securityHeadersOptionsFromEnv({ MUSTER_HSTS_MAX_AGE: 'a year' })).toThrow(/MUSTER_HSTS_MAX_AGE/);

    const app = express();
    app.use(securityHeaders({ hstsMaxAgeSeconds: 15552000 }));
    app.get('/', (_req, res) => res.send('ok'));
    const listener = app.listen(0, '127.0.0.1');
    await new Promise((r) => listener.once('listening', r));
    try {
      const { port } = listener.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.headers.get('strict-transport-security')).toBe('max-age=15552000');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await new Promise((r) => listener.close(r));
    }
  });
});
