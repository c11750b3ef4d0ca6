/**
 * People and their devices for the connections scenario, written straight
 * into the server's database, as an operator importing an organisation's
 * staff list would: 60,000 people in seconds, where sign-up through REST
 * (~50 a second here) would take twenty minutes.
 *
 * The database is opened exactly as server/src/server.ts opens it (the same
 * data directory, DATABASE_URL and key passwords from the same environment),
 * so the server started afterwards, or the one running with --url, finds
 * the people, their devices and the signing key of their tokens. People are
 * imported with `admin.importPeople`, one device each is signed in with
 * `auth.startSessions`: their access tokens (15 minutes) are minted here,
 * just before the server starts and the ramp begins; bots refresh them
 * through the REST API should the ramp outlast them.
 *
 * Person i has the number +86 139 iiii iiii: a second run against the same
 * database (--url) finds the people of the first and signs new devices in
 * for them instead of importing them again.
 */
import { Accounts, AccountRepository } from '@muster/accounts';
import { openDatabase, resolveKeyPasswords } from '@muster/db';
import { createLogger } from '@muster/kit/log';
import type { BotUser } from './ConnectionKind.ts';

export interface ProvisionedPeople {
  users: BotUser[];
  /** People imported now, and found from an earlier run. */
  imported: number;
  existing: number;
  seconds: { people: number; devices: number };
}

const phoneOf = (i: number) => `+86139${String(i).padStart(8, '0')}`;
const DEVICE = { name: 'loadtest bot', platform: 'api' };
const CLIENT = { address: '127.0.0.1' };

export async function provisionPeople(o: { dataDir: string; env: NodeJS.ProcessEnv; users: number; onProgress?: (line: string) => void }): Promise<ProvisionedPeople> {
  const progress = o.onProgress ?? (() => undefined);
  // Warnings only: the server logs the rest when it opens the same database.
  const logger = createLogger({ level: 'warn', pretty: false });
  const db = await openDatabase({ dataDir: o.dataDir, url: o.env.DATABASE_URL || undefined, keys: resolveKeyPasswords(o.env, o.dataDir, logger), logger });
  const accounts = await Accounts.open({ db, logger });
  try {
    let t = performance.now();
    const people = Array.from({ length: o.users }, (_, i) => ({ phone: phoneOf(i), nickname: `bot ${i}` }));
    const result = await accounts.admin.importPeople(people, 'loadtest');
    const idOf = new Map(result.imported.map((p) => [p.phone, p.id]));
    const invalid = result.skipped.filter((s) => s.reason !== 'PHONE_TAKEN');
    if (invalid.length > 0) throw new Error(`provisioning: ${invalid.length} people refused (${invalid[0]!.reason})`);
    // Taken numbers are an earlier run's people (or someone's, on a real server): theirs are used as they are.
    const repository = new AccountRepository(db);
    for (const { phone } of result.skipped) {
      const account = await repository.findByPhone(phone);
      if (!account) throw new Error(`provisioning: ${phone} is taken but not found`);
      idOf.set(phone, account.id);
    }
    const peopleSeconds = (performance.now() - t) / 1000;
    progress(`provisioning: ${result.imported.length} people imported, ${result.skipped.length} already there, in ${peopleSeconds.toFixed(1)} s; signing one device in for each`);

    t = performance.now();
    const ids = people.map((p) => idOf.get(p.phone)!);
    const { started, refused } = await accounts.auth.startSessions(ids, DEVICE, CLIENT, 'loadtest');
    if (refused.length > 0) throw new Error(`provisioning: ${refused.length} people may not sign in (${refused[0]!.reason})`);
    const devicesSeconds = (performance.now() - t) / 1000;
    return {
      // In the order of `ids`: person i is users[i].
      users: started.map((s) => ({ id: s.accountId, secret: s.accessToken, refreshToken: s.refreshToken })),
      imported: result.imported.length,
      existing: result.skipped.length,
      seconds: { people: round1(peopleSeconds), devices: round1(devicesSeconds) },
    };
  } finally {
    accounts.close();
    await db.close();
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;
