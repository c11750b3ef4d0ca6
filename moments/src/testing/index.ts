/**
 * Test helpers: Moments on a test database with real accounts and IM (the
 * test world of @muster/im: people who sign up in one call, friends in
 * another, a clock the test moves) and the real files domain (with a
 * stand-in for the media processing: `.png` names are images, `.mp4`
 * videos, `.mp3` audio); admins, elevated or not, and guests; and the coded
 * error a promise was refused with.
 */
import type { Principal } from '@muster/accounts';
import type { Database } from '@muster/db';
import { silentLogger } from '@muster/db/testing';
import { Files, type Analyze } from '@muster/files';
import { fakeAnalyze } from '@muster/files/testing';
import { openImTestWorld, type ImTestWorld } from '@muster/im/testing';
import { isMomentsError } from '../errors.ts';
import { Moments, type MomentsOptions } from '../Moments.ts';

/** fakeAnalyze, and `.mp4` names are videos, `.mp3` names audio. */
export const momentsAnalyze: Analyze = async (source, options) => {
  const analysis = await fakeAnalyze(source, options);
  if (options.declaredName.endsWith('.mp4')) return { mime: 'video/mp4', kind: 'video', width: 640, height: 360, durationMs: 5_000 };
  if (options.declaredName.endsWith('.mp3')) return { mime: 'audio/mpeg', kind: 'audio', durationMs: 5_000 };
  return analysis;
};

export interface MomentsTestWorld {
  db: Database;
  im: ImTestWorld;
  files: Files;
  moments: Moments;
  now(): number;
  advance(ms: number): void;
  /** A new person, signed in. */
  person(nickname: string): Promise<Principal>;
  /** `a` asks, `b` accepts. */
  befriend(a: Principal, b: Principal): Promise<void>;
  /** `a` blocks `b`. */
  block(a: Principal, b: Principal): Promise<void>;
  /** An admin account; `elevated`: with the console's second factor. */
  admin(options?: { elevated?: boolean }): Promise<Principal>;
  /** A guest (temporary account), signed in. */
  guest(): Promise<Principal>;
  /** A finished upload of the person's: an image (`.png`), a video (`.mp4`), audio (`.mp3`), or anything else. */
  upload(owner: Principal, name?: string): Promise<string>;
  /** Closes Moments, files and IM (idempotent). */
  close(): Promise<void>;
}

let admins = 0;

export async function openMomentsTestWorld(db: Database, options: { dataDir: string } & Partial<Omit<MomentsOptions, 'db' | 'accounts' | 'im' | 'files'>>): Promise<MomentsTestWorld> {
  const { dataDir, ...rest } = options;
  const im = await openImTestWorld(db, { search: { indexer: false }, temporaryGroupSweepMs: 0 });
  const clock = im.t.clock;
  const files = await Files.open({ db, dataDir, logger: silentLogger, analyze: momentsAnalyze, sweepIntervalMs: 0, now: clock.now });
  const moments = new Moments({ db, accounts: im.t.accounts, im: im.im, files, logger: silentLogger, now: clock.now, ...rest });
  files.useReaders((fileId, accountId) => moments.readsFile(fileId, accountId));
  const root: Principal = { accountId: 'root', sessionId: 's', role: 'admin' };
  let closing: Promise<void> | undefined;
  let uploads = 0;
  return {
    db,
    im,
    files,
    moments,
    now: clock.now,
    advance: (ms) => clock.advance(ms),
    person: (nickname) => im.person(nickname),
    befriend: (a, b) => im.befriend(a, b),
    block: (a, b) => im.contacts.block(a, b.accountId),
    async admin(options = {}) {
      const phone = `+86139${String(20_000_000 + admins++ * 7_919).slice(-8)}`;
      const { account } = await im.t.accounts.admin.createAdmin(phone);
      return { accountId: account.id, sessionId: `admin-${admins}`, role: 'admin', ...(options.elevated ? { elevatedUntil: clock.now() + 30 * 60_000 } : {}) };
    },
    async guest() {
      const [created] = await im.t.accounts.admin.createGuests(root, ['Visitor'], clock.now() + 24 * 3_600_000);
      const session = await im.t.accounts.auth.guestLogin(created!.link.split('#')[1]!, undefined, { address: '10.1.2.3' });
      return (await im.t.accounts.guard.authenticate(session.accessToken))!;
    },
    async upload(owner, name = 'photo.png') {
      uploads++;
      return (await files.store(owner.accountId, name, Buffer.from(`moment file ${uploads}`))).id;
    },
    close() {
      closing ??= (async () => {
        await moments.close();
        await files.close();
        await im.im.close();
      })();
      return closing;
    },
  };
}

/** The Moments error code a promise is refused with (fails the test on success or another error). */
export async function momentsErrorCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isMomentsError(error)) throw new Error(`expected a MomentsError, got ${error === null ? 'success' : String(error)}`);
  return error.code;
}
