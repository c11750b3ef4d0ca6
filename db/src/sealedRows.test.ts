/**
 * Tamper evidence in listings: a sealed value copied from another row does
 * not open; a listing leaves that row out and logs it, reading it alone fails.
 */
import { describe, expect, it } from 'vitest';
import { SqlMeetingRepository } from './repositories/SqlMeetingRepository.ts';
import { SqlRecordingRepository } from './repositories/SqlRecordingRepository.ts';
import { rawQuery } from './testing/databases.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';
import { recordingLogger } from './testing/logging.ts';

const engines = await testEngines('the PostgreSQL sealed-row listing test (db/src/sealedRows.test.ts)');

describe.each(engines)('a sealed row copied onto another (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('is left out of meeting and recording listings, with an error logged; reading it alone fails', async () => {
    const recorded = recordingLogger();
    const db = await testDb.open({ logger: recorded.logger });
    const meetings = new SqlMeetingRepository(db);
    const recordings = new SqlRecordingRepository(db);
    for (const id of ['alpha', 'bravo', 'charlie']) {
      await meetings.put({ id, createdAt: 1, startsAt: null, config: { topic: `topic ${id}` } });
      await recordings.put({ id, startedAt: 1, info: { roomId: id } });
    }
    // Someone with access to the database copies bravo's sealed value onto alpha.
    await rawQuery(testDb.location, "update meetings set config = (select config from meetings where id = 'bravo') where id = 'alpha'");
    await rawQuery(testDb.location, "update recordings set info = (select info from recordings where id = 'bravo') where id = 'alpha'");

    expect((await meetings.list()).map((m) => m.id)).toEqual(['bravo', 'charlie']);
    expect((await recordings.list()).map((r) => r.id)).toEqual(['bravo', 'charlie']);
    await expect(meetings.get('alpha')).rejects.toMatchObject({ code: 'SEALED_VALUE_INVALID' });
    await expect(recordings.get('alpha')).rejects.toMatchObject({ code: 'SEALED_VALUE_INVALID' });
    const errors = recorded.lines.filter((line) => line.level === 'error');
    expect(errors.map((line) => [line.table, line.rowId])).toEqual([
      ['meetings', 'alpha'],
      ['recordings', 'alpha'],
    ]);
  });
});
