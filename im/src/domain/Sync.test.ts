/**
 * The sync with real accounts, contacts and conversations: the current
 * state, then only what changed (messages, receipts, conversations,
 * removals, delete-for-me), nothing lost and nothing twice, even across
 * replies cut at the size limit, a lost reply asked for again, tokens that
 * are not the caller's or lapsed, and the long-poll woken by a live event,
 * by a change another process made, or ended by close.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { Im } from '../Im.ts';
import type { MessageView, SyncReply } from '../protocol.ts';
import { imErrorCode, openImTestWorld, type ImTestWorld } from '../testing/index.ts';
import { SYNC_TOKEN_TTL_MS } from './Sync.ts';

const engines = await testEngines('the PostgreSQL sync catch-up test (im/src/domain/Sync.test.ts)');

let sent = 0;
const say = (w: ImTestWorld, who: Principal, conversationId: string, text: string) => w.conversations.send(who, conversationId, { clientMsgId: `sync-${sent++}-${Date.now()}`, text });

describe('sync', () => {
  const testDb = useTestDatabase('sqlite');
  const setup = async () => {
    const db = await testDb.open();
    return { ...(await openImTestWorld(db)), db };
  };

  it('without a token: the current state (every conversation, newest first, with unread), no messages; then nothing new', async () => {
    const w = await setup();
    const [ann, ben, cy] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cy')];
    await w.befriend(ann, ben);
    await w.befriend(ann, cy);
    const withBen = await w.conversations.openDirect(ann, ben.accountId);
    const withCy = await w.conversations.openDirect(ann, cy.accountId);
    await say(w, ben, withBen.id, 'one');
    w.t.clock.advance(1000);
    await say(w, cy, withCy.id, 'two');
    await say(w, cy, withCy.id, 'three');
    const state = await w.im.sync.sync(ann, undefined);
    expect(state).toMatchObject({ full: true, messages: [], receipts: [], removed: [], hidden: [], more: false });
    expect(state.conversations.map((c) => [c.id, c.unread, c.lastMessage?.text])).toEqual([
      [withCy.id, 2, 'three'],
      [withBen.id, 1, 'one'],
    ]);
    expect(state.next).toMatch(/^sy[A-Za-z0-9_-]+\.1$/);
    const nothing = await w.im.sync.sync(ann, state.next, 0);
    expect(nothing).toEqual({ next: state.next, full: false, messages: [], receipts: [], conversations: [], removed: [], hidden: [], more: false });
  });

  it('a person in 250 conversations gets the newest 200 in the state, the rest in the next reply (`more`), each once', async () => {
    const w = await setup();
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    for (let i = 0; i < 250; i++) {
      await w.store.createGroup(`cvmany${String(i).padStart(6, '0')}`, ann.accountId, [ben.accountId], { name: `g${i}`, notice: '', temporary: false }, w.t.clock.now());
      w.t.clock.advance(10);
    }
    const state = await w.im.sync.sync(ann, undefined);
    expect(state).toMatchObject({ full: true, more: true });
    expect(state.conversations.map((v) => v.name)).toEqual(Array.from({ length: 200 }, (_, i) => `g${249 - i}`));
    const rest = await w.im.sync.sync(ann, state.next, 0);
    expect(rest).toMatchObject({ full: false, more: false, messages: [] });
    expect(rest.conversations.map((v) => v.name)).toEqual(Array.from({ length: 50 }, (_, i) => `g${49 - i}`));
    expect((await w.im.sync.sync(ann, rest.next, 0)).conversations).toEqual([]);
  });

  it('then exactly what changed: new messages in order, read pointers that moved, changed conversations and settings', async () => {
    const w = await setup();
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await w.conversations.openDirect(ann, ben.accountId);
    await say(w, ben, c.id, 'before');
    const start = await w.im.sync.sync(ann, undefined);

    await say(w, ben, c.id, '一');
    await say(w, ann, c.id, '二');
    await say(w, ben, c.id, '三');
    const first = await w.im.sync.sync(ann, start.next, 0);
    expect(first.messages.map((m) => [m.seq, m.text, m.senderId])).toEqual([
      [2, '一', ben.accountId],
      [3, '二', ann.accountId],
      [4, '三', ben.accountId],
    ]);
    // Ann's own send moved her read pointer to 3; Ben's moved his to 4.
    expect(first.receipts).toEqual(expect.arrayContaining([{ conversationId: c.id, userId: ann.accountId, readSeq: 3 }, { conversationId: c.id, userId: ben.accountId, readSeq: 4 }]));
    expect(first.conversations.map((v) => [v.id, v.lastSeq, v.readSeq, v.unread])).toEqual([[c.id, 4, 3, 1]]);
    expect(first.next).not.toBe(start.next);

    // Ann reads on another device and pins it: a receipt and the changed view; no message again.
    await w.conversations.markRead(ann, c.id, 4);
    await w.im.prefs.update(ann, c.id, { pinned: true });
    const second = await w.im.sync.sync(ann, first.next, 0);
    expect(second.messages).toEqual([]);
    expect(second.receipts).toEqual([{ conversationId: c.id, userId: ann.accountId, readSeq: 4 }]);
    expect(second.conversations.map((v) => [v.id, v.unread, v.pinned])).toEqual([[c.id, 0, true]]);
    expect((await w.im.sync.sync(ann, second.next, 0)).conversations).toEqual([]);
  });

  it('an edited or recalled message comes again, changed, once (with its conversation’s view)', async () => {
    const w = await setup();
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await w.conversations.openDirect(ann, ben.accountId);
    const first = await say(w, ben, c.id, 'typo');
    const second = await say(w, ben, c.id, 'oops');
    const start = await w.im.sync.sync(ann, undefined);
    await w.conversations.edit(ben, c.id, first.id, 'fixed');
    await w.conversations.recall(ben, c.id, second.id);
    const reply = await w.im.sync.sync(ann, start.next, 0);
    expect(reply.messages.map((m) => [m.seq, m.text, Boolean(m.recalled), Boolean(m.editedAt)])).toEqual([
      [1, 'fixed', false, true],
      [2, undefined, true, false],
    ]);
    expect(reply.conversations.map((v) => v.id)).toEqual([c.id]);
    expect((await w.im.sync.sync(ann, reply.next, 0)).messages).toEqual([]);
  });

  it('tells a conversation lost and messages deleted for oneself on another device, and leaves those out of messages', async () => {
    const w = await setup();
    const [ann, ben, cy] = [await w.person('Ann'), await w.person('Ben'), await w.person('Cy')];
    await w.befriend(ann, ben);
    await w.befriend(ann, cy);
    const withBen = await w.conversations.openDirect(ann, ben.accountId);
    const withCy = await w.conversations.openDirect(ann, cy.accountId);
    const start = await w.im.sync.sync(ann, undefined);
    await say(w, ben, withBen.id, 'keep');
    await say(w, ben, withBen.id, 'delete me');
    const hide = (seq: number) => w.db.writer.write((trx) => trx.insertInto('message_hides').values({ user_id: ann.accountId, conversation_id: withBen.id, seq, at: w.t.clock.now() }).execute());
    await hide(2);
    // Lost (the groups capability removes members; here, straight in the store).
    await w.db.writer.write((trx) => trx.deleteFrom('conversation_members').where('conversation_id', '=', withCy.id).where('user_id', '=', ann.accountId).execute());
    const reply = await w.im.sync.sync(ann, start.next, 0);
    expect(reply.messages.map((m) => m.text)).toEqual(['keep']);
    expect(reply.hidden).toEqual([{ conversationId: withBen.id, seqs: [2] }]);
    expect(reply.removed).toEqual([withCy.id]);
    // Leaving a group (the groups capability) is a loss too.
    const group = await w.im.groups.create(ann, { name: 'Trio', members: [ben.accountId] });
    const withGroup = await w.im.sync.sync(ann, reply.next, 0);
    expect(withGroup.conversations.map((v) => v.id)).toEqual([group.id]);
    await w.im.groups.leave(ann, group.id);
    const left = await w.im.sync.sync(ann, withGroup.next, 0);
    expect(left.removed).toEqual([group.id]);
    // Each once: a later hide at the same millisecond is still told, the first not again.
    await hide(1);
    const again = await w.im.sync.sync(ann, left.next, 0);
    expect(again.hidden).toEqual([{ conversationId: withBen.id, seqs: [1] }]);
    expect(again.removed).toEqual([]);
    expect((await w.im.sync.sync(ann, again.next, 0)).hidden).toEqual([]);
  });

  it('a reply lost on the way is had again with the same token; older, foreign, malformed or lapsed tokens are refused', async () => {
    const w = await setup();
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await w.conversations.openDirect(ann, ben.accountId);
    const start = await w.im.sync.sync(ann, undefined);
    await say(w, ben, c.id, 'first');
    const lost = await w.im.sync.sync(ann, start.next, 0);
    const retried = await w.im.sync.sync(ann, start.next, 0);
    expect(retried.messages.map((m) => m.text)).toEqual(['first']);
    expect(lost.messages).toEqual(retried.messages);
    await say(w, ben, c.id, 'second');
    const next = await w.im.sync.sync(ann, retried.next, 0);
    expect(next.messages.map((m) => m.text)).toEqual(['second']);
    // The lost reply's token was overtaken twice over: start again.
    expect(await imErrorCode(w.im.sync.sync(ann, lost.next, 0))).toBe('SYNC_TOKEN_EXPIRED');
    expect(await imErrorCode(w.im.sync.sync(ben, next.next, 0))).toBe('SYNC_TOKEN_EXPIRED');
    expect(await imErrorCode(w.im.sync.sync(ann, 'syAAAAAAAAAAAAAAAAAAAAAAAA.1', 0))).toBe('SYNC_TOKEN_EXPIRED');
    expect(await imErrorCode(w.im.sync.sync(ann, 'not-a-token', 0))).toBe('BAD_REQUEST');
    expect(await imErrorCode(w.im.sync.sync(ann, `${next.next}0`, 0))).toBe('SYNC_TOKEN_EXPIRED');
    // Still good after 6 days unused; lapsed after 7 more.
    w.t.clock.advance(6 * 24 * 3600_000);
    expect((await w.im.sync.sync(ann, next.next, 0)).next).toBe(next.next);
    w.t.clock.advance(SYNC_TOKEN_TTL_MS + 1);
    expect(await imErrorCode(w.im.sync.sync(ann, next.next, 0))).toBe('SYNC_TOKEN_EXPIRED');
  });

  it('long-polls: woken by a live event for the account, answered empty at the timeout, ended by close', async () => {
    const w = await setup();
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await w.conversations.openDirect(ann, ben.accountId);
    const start = await w.im.sync.sync(ann, undefined);
    let answered: SyncReply | undefined;
    const waiting = w.im.sync.sync(ann, start.next, 30).then((r) => (answered = r));
    await waitUntil(() => w.im.sync.waiting === 1, 5_000, 'the sync waiting');
    // Typing is not news: the wait goes on.
    w.im.hub.publish('im.typing', [ann.accountId], { conversationId: c.id, userId: ben.accountId });
    expect([answered, w.im.sync.waiting]).toEqual([undefined, 1]);
    await say(w, ben, c.id, 'wake up');
    expect((await waiting).messages.map((m) => m.text)).toEqual(['wake up']);

    const quiet = await w.im.sync.sync(ann, answered!.next, 1);
    expect(quiet).toMatchObject({ next: answered!.next, messages: [], conversations: [] });

    const ended = w.im.sync.sync(ann, answered!.next, 30);
    await w.im.close();
    expect((await ended).messages).toEqual([]);
  });
});

describe.each(engines)('sync on either engine (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('a waiting sync sees a message another process stored (its own hub never hears of it)', async () => {
    const db = await testDb.open();
    const w = await openImTestWorld(db);
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await w.conversations.openDirect(ann, ben.accountId);
    const start = await w.im.sync.sync(ann, undefined);
    const waiting = w.im.sync.sync(ann, start.next, 30);
    const otherProcess = new Im({ db, accounts: w.t.accounts, now: w.t.clock.now, search: { indexer: false } });
    try {
      await otherProcess.conversations.send(ben, c.id, { clientMsgId: 'other-process-1', text: 'from elsewhere' });
      expect((await waiting).messages.map((m) => m.text)).toEqual(['from elsewhere']);
    } finally {
      await otherProcess.close();
      await w.im.close();
    }
  });

  // The whole 5,000 on SQLite; 2,000 on PostgreSQL, whose single writer connection stores them several times slower.
  const rounds = engine === 'sqlite' ? 10 : 4;
  it(`a device offline while ${rounds * 500} messages arrive in 50 conversations gets every one, once, in order, with correct unread`, { timeout: 240_000 }, async () => {
    const w = await openImTestWorld(await testDb.open());
    const me = await w.person('Me');
    const friends: Principal[] = [];
    for (let i = 0; i < 5; i++) {
      friends.push(await w.person(`Friend ${i}`));
      await w.befriend(me, friends[i]!);
    }
    const conversations: string[] = [];
    for (const friend of friends) conversations.push((await w.conversations.openDirect(me, friend.accountId)).id);
    for (let g = 0; conversations.length < 50; g++) conversations.push((await w.im.groups.create(me, { name: `组 ${g}`, members: friends.map((f) => f.accountId) })).id);
    const start = await w.im.sync.sync(me, undefined);
    expect(start.conversations).toHaveLength(50);

    const got = new Map<string, MessageView[]>();
    const views = new Map<string, { unread: number; lastSeq: number }>();
    const take = (reply: SyncReply) => {
      for (const m of reply.messages) got.set(m.conversationId, [...(got.get(m.conversationId) ?? []), m]);
      for (const v of reply.conversations) views.set(v.id, { unread: v.unread, lastSeq: v.lastSeq });
    };
    // 100 messages in each conversation, 10 at a time across all 50 (a busy afternoon), the device away.
    const sendRound = async (round: number) => {
      await Promise.all(
        conversations.map(async (id, i) => {
          // Direct conversations: the friend in it; groups: each friend in turn.
          // Straight into the store (the send path's rules are not what this tests; its cost on PostgreSQL would be most of the test).
          for (let k = 0; k < 10; k++) {
            const sender = friends[i < friends.length ? i : (i + k) % friends.length]!;
            await w.store.append({ id: `msgr${round}c${i}k${k}x${id}`, conversationId: id, senderId: sender.accountId, clientMsgId: `r${round}-c${i}-k${k}`, type: 'text', body: { text: `${i}:${round * 10 + k}` }, sentAt: w.t.clock.now() });
          }
        }),
      );
      w.t.clock.advance(1000);
    };
    for (let round = 0; round < rounds; round++) await sendRound(round);

    // Catching up in replies of at most 1000 messages; while it does, more arrive and some are read elsewhere.
    let token = start.next;
    let replies = 0;
    for (;;) {
      const reply = await w.im.sync.sync(me, token, 0);
      replies++;
      expect(reply.messages.length).toBeLessThanOrEqual(1000);
      take(reply);
      token = reply.next;
      if (replies === 2) await sendRound(rounds);
      if (replies === 3) for (const id of conversations.slice(0, 5)) await w.conversations.markRead(me, id, 15);
      if (!reply.more && replies > 3) break;
      expect(replies).toBeLessThan(20);
    }
    expect(replies).toBeGreaterThanOrEqual(Math.ceil((rounds + 1) * 500 / 1000));

    let total = 0;
    for (const [i, id] of conversations.entries()) {
      const seqs = (got.get(id) ?? []).map((m) => m.seq);
      // Every message once, in seq order, up to the last one stored.
      const stored = await w.store.get(id);
      expect(seqs, id).toEqual(Array.from({ length: stored!.lastSeq }, (_, k) => k + 1).slice(-seqs.length));
      expect(seqs.length).toBe(stored!.lastSeq - (start.conversations.find((c) => c.id === id)!.lastSeq));
      expect((got.get(id) ?? []).filter((m) => m.type === 'text').map((m) => m.text)).toEqual(Array.from({ length: (rounds + 1) * 10 }, (_, k) => `${i}:${k}`));
      total += seqs.length;
      const membership = await w.store.membership(id, me.accountId);
      expect(views.get(id), id).toEqual({ lastSeq: stored!.lastSeq, unread: stored!.lastSeq - membership!.readSeq });
    }
    expect(total).toBeGreaterThanOrEqual((rounds + 1) * 500);
    expect((await w.im.sync.sync(me, token, 0)).messages).toEqual([]);
  });
});
