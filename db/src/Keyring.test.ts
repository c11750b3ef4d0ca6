import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Database } from './Database.ts';
import { isDbError } from './errors.ts';
import { KEY_PASSWORDS_WRONG_MESSAGE, type KeyPasswords } from './Keyring.ts';
import { SqlBoardLogRepository } from './repositories/SqlBoardLogRepository.ts';
import { SqlMeetingRepository } from './repositories/SqlMeetingRepository.ts';
import { rawQuery, TEST_KEYS, type TestLocation } from './testing/databases.ts';
import { testEngines, useTestDatabase } from './testing/fixture.ts';
import { recordingLogger } from './testing/logging.ts';

const engines = await testEngines('the PostgreSQL keyring tests (db/src/Keyring.test.ts)');

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(isDbError(error) ? error.code : error).toBe(code);
    return error as Error;
  }
  throw new Error(`expected ${code}`);
}

/** Every byte of the keyring and of the sealed data, as the database holds it. */
async function snapshot(location: TestLocation): Promise<string> {
  const parts = await Promise.all(
    ['select * from keyring order by key_id', 'select * from meetings order by id', 'select * from board_updates order by board_id, seq', 'select * from audit_log order by seq'].map((q) =>
      rawQuery(location, q),
    ),
  );
  return JSON.stringify(parts, (_key, value) => (value && value.type === 'Buffer' ? Buffer.from(value.data).toString('hex') : value));
}

async function fill(db: Database): Promise<void> {
  await new SqlMeetingRepository(db).put({ id: 'm1', createdAt: 1, startsAt: null, config: { topic: 'budget', passcode: '9876' } });
  await new SqlBoardLogRepository(db).append('b1', Buffer.from('stroke'));
  await db.audit.append({ actor: 'alice', action: 'meeting.create', target: 'm1', details: { via: 'api' } });
}

async function expectReadable(db: Database): Promise<void> {
  expect((await new SqlMeetingRepository(db).get('m1'))!.config).toEqual({ topic: 'budget', passcode: '9876' });
  expect((await new SqlBoardLogRepository(db).read('b1'))!.updates[0].update.toString()).toBe('stroke');
  expect((await db.audit.verifyChain()).ok).toBe(true);
}

describe.each(engines)('keyring (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('opens with both passwords, and with neither one alone', async () => {
    const location = await testDb.create();
    const db = await location.open();
    await fill(db);
    const keyId = db.sealer.activeKeyId;
    await db.close();
    const wrong = 'not the password';
    const attempts: KeyPasswords[] = [
      { password1: TEST_KEYS.password1, password2: wrong },
      { password1: wrong, password2: TEST_KEYS.password2 },
      { password1: TEST_KEYS.password2, password2: TEST_KEYS.password1 },
      { password1: TEST_KEYS.password1, password2: TEST_KEYS.password1 },
    ];
    for (const keys of attempts) {
      const error = await expectCode(location.open({ keys }), 'KEY_PASSWORDS_WRONG');
      expect(error.message).toBe(KEY_PASSWORDS_WRONG_MESSAGE);
    }
    const again = await location.open();
    expect(again.sealer.activeKeyId).toBe(keyId);
    await expectReadable(again);
    await again.close();
  });

  it('refuses to start with a wrong password and changes nothing', async () => {
    const location = await testDb.create();
    const db = await location.open();
    await fill(db);
    await db.close();
    const before = await snapshot(location);
    await expectCode(location.open({ keys: { ...TEST_KEYS, password2: 'wrong' } }), 'KEY_PASSWORDS_WRONG');
    expect(await snapshot(location)).toBe(before);
  });

  it('never creates a second data key: reopening keeps the key, an emptied keyring with data is refused', async () => {
    const location = await testDb.create();
    const db = await location.open();
    const keyId = db.sealer.activeKeyId;
    await fill(db);
    await db.close();
    const reopened = await location.open();
    expect(reopened.sealer.activeKeyId).toBe(keyId);
    await reopened.close();
    expect(await rawQuery(location, 'select key_id from keyring')).toEqual([{ key_id: keyId }]);

    await rawQuery(location, 'delete from keyring');
    await expectCode(location.open(), 'KEYRING_MISSING');
    expect(await rawQuery(location, 'select key_id from keyring')).toEqual([]);
  });

  it('changes either password: every value stays readable, the old pair stops working', async () => {
    const location = await testDb.create();
    let db = await location.open();
    await fill(db);
    const keyId = db.sealer.activeKeyId;
    const sealedBefore = await rawQuery<{ config: unknown }>(location, 'select config from meetings');

    await expectCode(db.changeKeyPassword(1, { ...TEST_KEYS, password1: 'wrong' }, 'new one'), 'KEY_PASSWORDS_WRONG');
    await db.changeKeyPassword(1, TEST_KEYS, 'new first password');
    await db.close();
    const afterFirst = { password1: 'new first password', password2: TEST_KEYS.password2 };
    await expectCode(location.open(), 'KEY_PASSWORDS_WRONG');
    db = await location.open({ keys: afterFirst });
    await expectReadable(db);
    expect(db.sealer.activeKeyId).toBe(keyId);

    await db.changeKeyPassword(2, afterFirst, 'new second password');
    await db.close();
    await expectCode(location.open({ keys: afterFirst }), 'KEY_PASSWORDS_WRONG');
    db = await location.open({ keys: { password1: 'new first password', password2: 'new second password' } });
    await expectReadable(db);
    const audit = await db.audit.read();
    expect(audit.map((r) => [r.action, r.details])).toEqual([
      ['meeting.create', { via: 'api' }],
      ['keyring.change-password', { which: 1 }],
      ['keyring.change-password', { which: 2 }],
    ]);
    await db.close();
    // No value was re-encrypted: only the wrapping changed.
    expect(await rawQuery(location, 'select config from meetings')).toEqual(sealedBefore);
  });
});

describe('keyring KDF default', () => {
  const testDb = useTestDatabase('sqlite');

  it('creates the keyring with scrypt N=2^17, r=8, p=1 unless told otherwise', async () => {
    const db = await testDb.open({ kdfCost: undefined });
    expect(db.dump().kdf).toEqual({ algorithm: 'scrypt', logN: 17, r: 8, p: 1 });
    await db.close();
    const [row] = await rawQuery<{ kdf: string }>(testDb.location, 'select kdf from keyring');
    expect(JSON.parse(row.kdf)).toMatchObject({ algorithm: 'scrypt', logN: 17, r: 8, p: 1 });
    await (await testDb.open()).close();
  });
});

describe('openDatabase without passwords given', () => {
  const testDb = useTestDatabase('sqlite');

  it('uses the embedded default for a new database, and never generates it for one that has a key', async () => {
    expect(Object.keys(process.env).filter((k) => k.startsWith('MUSTER_KEY_PASSWORD'))).toEqual([]);
    const fresh = await testDb.create();
    const keyed = await testDb.create();
    const log = recordingLogger();
    const db = await fresh.open({ keys: undefined, logger: log.logger });
    await db.close();
    expect(fs.readdirSync(path.join(fresh.dataDir, 'keys')).sort()).toEqual(['password-1', 'password-2']);
    expect(log.messages('warn').some((w) => /EMBEDDED DEFAULT/.test(w))).toBe(true);
    await (await fresh.open({ keys: undefined, logger: log.logger })).close();
    // The generated passwords are in their files, never in a log line.
    const logged = JSON.stringify(log.lines);
    for (const file of ['password-1', 'password-2']) expect(logged).not.toContain(fs.readFileSync(path.join(fresh.dataDir, 'keys', file), 'utf8').trim());

    await (await keyed.open()).close();
    await expectCode(keyed.open({ keys: undefined, logger: log.logger }), 'KEY_PASSWORDS_INVALID');
    expect(fs.existsSync(path.join(keyed.dataDir, 'keys'))).toBe(false);
  });
});
