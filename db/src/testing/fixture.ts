/**
 * The per-test database set-up, once: a fresh location per test (a temp data
 * directory, and a schema on PostgreSQL); after the test, every database
 * opened through it closed and the location removed, whether the test passed
 * or not.
 *
 *     describe.each(await testEngines('the PostgreSQL … tests (db/src/….test.ts)'))('… (%s)', (engine) => {
 *       const testDb = useTestDatabase(engine);
 *       it('…', async () => {
 *         const db = await testDb.open();
 *         await rawQuery(testDb.location, '…');
 *       });
 *     });
 */
import { afterEach } from 'vitest';
import type { Database, OpenDatabaseOptions } from '../Database.ts';
import type { EngineName } from '../Engine.ts';
import { testLocation, type TestLocation } from './databases.ts';
import { postgresTestsEnabled } from './postgres.ts';

/**
 * The engines a test file runs on: SQLite, and PostgreSQL as
 * postgresTestsEnabled(what) decides (no server: skipped loudly, or run and
 * failed under CI=true).
 */
export async function testEngines(what: string): Promise<EngineName[]> {
  return (await postgresTestsEnabled(what)) ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDatabase {
  readonly engine: EngineName;
  /** The test's location: the first one open() or create() made in this test. Throws before that. */
  readonly location: TestLocation;
  /**
   * A fresh location (of this fixture's engine unless given), removed after
   * the test. Databases opened with its open() are closed after the test.
   */
  create(engine?: EngineName): Promise<TestLocation>;
  /** Opens the database at `location` (creating that first if needed); closed after the test. */
  open(options?: Partial<OpenDatabaseOptions>): Promise<Database>;
  /** Runs `fn` after the test, before anything set up earlier is torn down (last in, first out). */
  defer(fn: () => unknown): void;
}

/**
 * Registers the clean-up (an afterEach) in the calling describe block, and
 * returns what the tests in it set up with.
 */
export function useTestDatabase(engine: EngineName): TestDatabase {
  let cleanups: (() => unknown)[] = [];
  let first: Promise<TestLocation> | undefined;
  let firstLocation: TestLocation | undefined;

  afterEach(async () => {
    const pending = cleanups.reverse();
    cleanups = [];
    first = undefined;
    firstLocation = undefined;
    const errors: unknown[] = [];
    for (const fn of pending) {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} test clean-ups failed`);
  });

  const defer = (fn: () => unknown) => void cleanups.push(fn);

  async function tracked(which: EngineName): Promise<TestLocation> {
    const location = await testLocation(which);
    defer(() => location.remove());
    return {
      ...location,
      open: async (options) => {
        const db = await location.open(options);
        defer(() => db.close());
        return db;
      },
    };
  }

  function create(which = engine): Promise<TestLocation> {
    const created = tracked(which);
    if (!first) {
      first = created;
      created.then((location) => (firstLocation = location), () => undefined);
    }
    return created;
  }

  return {
    engine,
    get location(): TestLocation {
      if (!firstLocation) throw new Error('useTestDatabase: no location yet in this test; call open() or create() first');
      return firstLocation;
    },
    create,
    open: async (options) => (await (first ?? create())).open(options),
    defer,
  };
}
