import { describe, expect, it } from 'vitest';
import { spawnFixture } from './testing/children.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';

const engines = await testEngines('the PostgreSQL crash test (db/src/crash.test.ts)');
const ACKS = 400;

describe.each(engines)('a writer process killed with SIGKILL (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it(`loses none of the ${ACKS} writes it acknowledged`, async () => {
    // Create the database (keyring, schema) before the child, as a server would find it.
    await (await testDb.open()).close();
    const { dataDir, url } = testDb.location;
    const child = spawnFixture('ackingWriter', { DB_DATA_DIR: dataDir, DB_URL: url, DB_PREFIX: 'crash' });
    testDb.defer(() => child.kill());
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

    const db = await testDb.open();
    const stored = new Set((await db.kysely.selectFrom('meetings').select('id').execute()).map((r) => r.id));
    const lost = [...acked].filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(acked.size);
  });
});
