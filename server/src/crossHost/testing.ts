import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestSchema, type TestSchema } from '@muster/db/testing';
import { trustProxyFrom } from '@muster/kit/client-address';
import { freePort, TEST_REDIS_URL } from '@muster/kit/testing';
import { startTestServer } from '../testing/index.ts';

export type HostApp = Awaited<ReturnType<typeof startTestServer>>;
type Overrides = NonNullable<Parameters<typeof startTestServer>[0]>;

/**
 * App servers as on separate hosts behind a balancer without stickiness, for
 * the across-hosts tests: one PostgreSQL schema and one Redis (under a key
 * prefix of their own), each app reached at its own URL, which is its relay
 * URL, trusting the others (loopback here). `overrides` go to every app;
 * `start` takes more of its own.
 */
export function appsOnOneRedis(overrides: Overrides = {}) {
  const hosts = {
    schema: undefined as unknown as TestSchema,
    redis: undefined as unknown as Redis,
    prefix: '',
    /** The apps `setUp` started (two), and any the test adds. */
    apps: [] as HostApp[],
    async start(more: Overrides = {}): Promise<HostApp> {
      const port = await freePort();
      return startTestServer({
        port,
        meetingRelayUrl: `http://127.0.0.1:${port}`,
        databaseUrl: hosts.schema.url,
        redisUrl: TEST_REDIS_URL,
        redisKeyPrefix: hosts.prefix,
        ...overrides,
        ...more,
        security: { trustProxy: trustProxyFrom('loopback'), ...overrides.security, ...more.security },
      });
    },
    /** The schema, a Redis connection and two apps. */
    async setUp(): Promise<void> {
      hosts.schema = await createTestSchema();
      hosts.prefix = `muster-test-${randomBytes(4).toString('hex')}`;
      hosts.redis = new Redis(TEST_REDIS_URL);
      // One after the other: the first creates the schema.
      hosts.apps.push(await hosts.start());
      hosts.apps.push(await hosts.start());
    },
    /** After the test closed its apps. */
    async tearDown(): Promise<void> {
      hosts.redis?.disconnect();
      await hosts.schema?.drop();
    },
    /** Where the other apps reach an app: its relay URL, as its claims name it. */
    relayUrl: (app: HostApp) => app.url.replace('//localhost:', '//127.0.0.1:'),
    /** A REST call on `app` with its API token. */
    rest: async (app: HostApp, method: string, route: string, body?: unknown) => {
      const res = await fetch(`${app.url}/api/v1${route}`, {
        method,
        headers: { authorization: `Bearer ${app.apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as any };
    },
    /** A claim's Redis key (`meeting-owner`, `board-owner`, `call-owner`, …). */
    key: (kind: string, id: string) => `${hosts.prefix}:${kind}:${id}`,
    /** The relay URL of the app whose claim `kind` (`meeting-owner`, `board-owner`) names for `id`, or null. */
    ownerOf: async (kind: 'meeting-owner' | 'board-owner', id: string) => (await hosts.redis.get(hosts.key(kind, id)))?.split(' ')[1] ?? null,
  };
  return hosts;
}
