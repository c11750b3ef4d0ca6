/**
 * Test helpers: the push domain over an IM test world (real accounts, a clock
 * the test moves, timers on it), a local push service, and a browser's keys
 * with RFC 8291 decryption.
 */
import type { Database } from '@muster/db';
import { openImTestWorld, type ImTestWorld } from '@muster/im/testing';
import type { Principal } from '@muster/accounts';
import { Push, type PushOptions } from '../Push.ts';
import { ManualTimers } from './ManualTimers.ts';

export { ManualTimers } from './ManualTimers.ts';
export { PushEndpoint, type ReceivedPush } from './PushEndpoint.ts';
export { browserKeys, decryptAes128gcm, type BrowserKeys } from './webPushCrypto.ts';

export interface PushTestWorld extends ImTestWorld {
  push: Push;
  timers: ManualTimers;
  /** Marks the account online (a connected /account socket); call what it returns to go offline. */
  online(person: Principal): () => void;
}

export async function openPushTestWorld(db: Database, options: Partial<Omit<PushOptions, 'db' | 'accounts' | 'im' | 'now' | 'timers'>> = {}): Promise<PushTestWorld> {
  const world = await openImTestWorld(db, { search: { indexer: false }, temporaryGroupSweepMs: 0 });
  const timers = new ManualTimers(world.t.clock);
  const push = await Push.open({ env: {}, ...options, db, accounts: world.t.accounts, im: world.im, now: world.t.clock.now, timers });
  return { ...world, push, timers, online: (person) => world.im.presence.connected(person.accountId) };
}
