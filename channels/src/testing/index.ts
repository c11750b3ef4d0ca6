/**
 * Test helpers: the channels domain over an IM test world (real accounts, a
 * clock the test moves, the hub's deliveries recorded), files made by the
 * test (IM's TestChatFiles, with channels answering for their readers),
 * admins elevated for the console, guests, and documents in one call.
 */
import type { Principal } from '@muster/accounts';
import type { Database } from '@muster/db';
import { silentLogger } from '@muster/db/testing';
import { isChannelsError } from '../errors.ts';
import { openImTestWorld, TestChatFiles, type ImTestWorld } from '@muster/im/testing';
import { Channels, type ChannelsOptions } from '../Channels.ts';
import type { DocumentJson } from '../document/validate.ts';

export interface ChannelsTestWorld extends ImTestWorld {
  channels: Channels;
  files: TestChatFiles;
  /** A new person whose token says admin, elevated for the console (as after POST /admin/elevate). */
  admin(nickname?: string): Promise<Principal>;
  /** A guest account (temporary, made by an admin), signed in. */
  guest(nickname?: string): Promise<Principal>;
  /** An image (or other kind) uploaded by `owner`: its file id. */
  upload(owner: Principal | string, kind?: 'image' | 'video' | 'audio' | 'other'): string;
}

export async function openChannelsTestWorld(db: Database, options: Partial<Omit<ChannelsOptions, 'db' | 'accounts' | 'im' | 'files' | 'now'>> = {}): Promise<ChannelsTestWorld> {
  const world = await openImTestWorld(db, { search: { indexer: false }, temporaryGroupSweepMs: 0 });
  const files = new TestChatFiles();
  const channels = new Channels({ logger: silentLogger, ...options, db, accounts: world.t.accounts, im: world.im, files, now: world.t.clock.now });
  files.readers = (fileId, accountId) => channels.readsFile(fileId, accountId);
  const admin = async (nickname = 'Admin') => ({ ...(await world.person(nickname)), role: 'admin' as const, elevatedUntil: world.t.clock.now() + 3600_000 });
  const guest = async (nickname = 'Visitor') => {
    const root = await admin('Root');
    const [created] = await world.t.accounts.admin.createGuests(root, [nickname], world.t.clock.now() + 24 * 3600_000);
    const session = await world.t.accounts.auth.guestLogin(created!.link.split('#')[1]!, undefined, { address: '10.1.2.3' });
    return (await world.t.accounts.guard.authenticate(session.accessToken))!;
  };
  const upload = (owner: Principal | string, kind: 'image' | 'video' | 'audio' | 'other' = 'image') => files.add(typeof owner === 'string' ? owner : owner.accountId, { kind }).id;
  return { ...world, channels, files, admin, guest, upload };
}

/** A document of paragraphs of text (and, optionally, blocks after them). */
export function doc(...blocks: (string | DocumentJson)[]): DocumentJson {
  return { type: 'doc', content: blocks.map((b) => (typeof b === 'string' ? { type: 'paragraph', content: [{ type: 'text', text: b }] } : b)) };
}

/** The channels error code a promise is refused with (fails the test on success or another error). */
export async function channelsErrorCode(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isChannelsError(error)) throw new Error(`expected a ChannelsError, got ${error === null ? 'success' : String(error)}`);
  return error.code;
}
