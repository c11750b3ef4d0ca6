/**
 * PostgreSQL for tests, shared by every package that stores through
 * @muster/db: is a server there, a fresh schema per run, a dump of it.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';

/** The test server: MUSTER_TEST_DATABASE_URL, or the local default (trust auth, database `test`). */
export const TEST_POSTGRES_URL = process.env.MUSTER_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresReachable(url = TEST_POSTGRES_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether PostgreSQL tests should run. An unreachable server skips them
 * loudly on a developer machine; under CI=true they run anyway and fail:
 * CI must never go green by skipping its PostgreSQL coverage.
 */
export async function postgresTestsEnabled(what = 'PostgreSQL tests', url = TEST_POSTGRES_URL): Promise<boolean> {
  if (await postgresReachable(url)) return true;
  if (process.env.CI === 'true') return true;
  console.warn(
    [
      '',
      '!'.repeat(78),
      `!!  SKIPPING ${what}: no PostgreSQL at ${redact(url)}`,
      '!!  Start one, or point MUSTER_TEST_DATABASE_URL at a server (a database',
      '!!  where the user may CREATE SCHEMA). Under CI=true these tests fail instead.',
      '!'.repeat(78),
      '',
    ].join('\n'),
  );
  return false;
}

export interface TestSchema {
  /** `muster_test_<random>`. */
  schema: string;
  /** The server URL with `search_path` set to the schema (libpq `options`): every pooled connection uses it. */
  url: string;
  /** Drops the schema and everything in it. Idempotent. */
  drop(): Promise<void>;
}

/** A fresh, empty schema for one test run; drop it in afterAll. */
export async function createTestSchema(baseUrl = TEST_POSTGRES_URL): Promise<TestSchema> {
  const schema = `muster_test_${crypto.randomBytes(5).toString('hex')}`;
  await adminQuery(baseUrl, `create schema ${schema}`);
  let dropped: Promise<void> | undefined;
  return {
    schema,
    url: withSearchPath(baseUrl, schema),
    drop: () => (dropped ??= adminQuery(baseUrl, `drop schema if exists ${schema} cascade`).then(() => undefined)),
  };
}

/** `url` with `options=-c search_path=<schema>` (replacing any options it had). */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/** Runs one statement on a short-lived connection of its own (not the code under test's pools). */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** `pg_dump` of one schema (tables and data), as bytes. */
export async function pgDumpSchema(schema: string, baseUrl = TEST_POSTGRES_URL): Promise<Buffer> {
  const url = new URL(baseUrl);
  url.search = '';
  const { stdout } = await promisify(execFile)('pg_dump', ['--dbname', url.toString(), '--schema', schema, '--no-owner'], { encoding: 'buffer', maxBuffer: 256 * 2 ** 20 });
  return stdout;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
