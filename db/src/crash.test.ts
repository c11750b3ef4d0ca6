import { afterEach, describe, expect, it } from 'vitest';
import type { EngineName } from './Engine.ts';
import { spawnFixture, type TsxChild } from './testing/children.ts';
import { testLocation, type TestLocation } from './testing/databases.ts';
import { postgresTestsEnabled } from './testing/postgres.ts';

const withPostgres = await postgresTestsEnabled('the PostgreSQL crash test (db/src/crash.test.ts)');
const engines: EngineName[] = ['sqlite', ...(withPostgres ? (['postgres'] as const) : [])];
const ACKS = 400;

describe.each(engines)('a writer process killed with SIGKILL (%s)', (engine) => {
  let location: TestLocation;
  let child: TsxChild | undefined;
  afterEach(async () => {
    await child?.kill();
    await location?.remove();
  });

  it(`loses none of the ${ACKS} writes it acknowledged`, async () => {
    location = await testLocation(engine);
    // Create the database (keyring, schema) before the child, as a server would find it.
    await (await location.open()).close();
    child = spawnFixture('ackingWriter', { DB_DATA_DIR: location.dataDir, DB_URL: location.url, DB_PREFIX: 'crash' });
    const acked = new Set<string>();
    await child.waitForLine(
      (line) => {
        if (line.startsWith('ack ')) acked.add(line.slice(4));
        return acked.size >= ACKS;
      },
      `${ACKS} acknowledged writes`,
    );
    await child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    // Every line the child printed before dying, not only those seen when the count was reached.
    for (const line of child.lines) if (line.startsWith('ack ')) acked.add(line.slice(4));

    const db = await location.open();
    try {
      const stored = new Set((await db.kysely.selectFrom('meetings').select('id').execute()).map((r) => r.id));
      const lost = [...acked].filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acked.size);
    } finally {
      await db.close();
    }
  });
});
