/**
 * What people do to messages after sending them, on both engines: recall
 * (own within the window, a group's owner and admins any time), edit (own
 * text), delete for me (own devices and history only), reply with a quote,
 * forward one by one or merged, "read by", typing; plus the message types
 * (emoji), mentions, and the conversation list in a constant number of queries.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import type { KyselyPlugin } from 'kysely';
import type { Database } from '@muster/db';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';
import { DEFAULT_RECALL_WINDOW_MS, TYPING_INTERVAL_MS } from './Conversations.ts';

const engines = await testEngines('the PostgreSQL message operations (im/src/domain/messageOps.test.ts)');
let n = 0;
const cid = (p = 'm') => `${p}-${String(++n).padStart(6, '0')}`;

describe.each(engines)('message operations (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  /** Ann and Ben, friends, in a direct conversation; Cy, a friend of Ann's only. */
  async function setup() {
    const db = await testDb.open();
    const world = await openImTestWorld(db);
    const [ann, ben, cy] = [await world.person('Ann'), await world.person('Ben'), await world.person('Cy')];
    await world.befriend(ann, ben);
    await world.befriend(ann, cy);
    const direct = await world.conversations.openDirect(ann, ben.accountId);
    const say = (who: Principal, conversationId: string, text: string, extra: Record<string, unknown> = {}) => world.conversations.send(who, conversationId, { clientMsgId: cid(), text, ...extra });
    const events = (event: string) => world.deliveries.filter((d) => d.event === event);
    return { ...world, db, ann, ben, cy, direct, say, events };
  }

  async function makeAdmin(db: Database, conversationId: string, userId: string) {
    await db.writer.write((trx) => trx.updateTable('conversation_members').set({ role: 'admin' }).where('conversation_id', '=', conversationId).where('user_id', '=', userId).execute());
  }

  it('recalls one’s own message within the window: content gone for everyone, rev bumped, im.changed to all members', async () => {
    const { conversations, store, t, ann, ben, direct, say, events } = await setup();
    const sent = await say(ann, direct.id, '说错了');
    const revBefore = (await store.get(direct.id))!.lastRev;
    t.clock.advance(DEFAULT_RECALL_WINDOW_MS - 1_000);
    expect(await imErrorCode(conversations.recall(ben, direct.id, sent.id))).toBe('FORBIDDEN');
    const recalled = await conversations.recall(ann, direct.id, sent.id);
    expect(recalled).toMatchObject({ id: sent.id, seq: sent.seq, recalled: { by: ann.accountId } });
    expect(recalled.text).toBeUndefined();
    const stored = (await store.messages(direct.id, { limit: 10 }))[0]!;
    expect(stored.body).toEqual({ recalled: { by: ann.accountId, at: recalled.recalled!.at } });
    expect(stored.rev).toBe(revBefore + 1);
    expect((await store.get(direct.id))!.lastRev).toBe(revBefore + 1);
    expect((await store.changedSince(direct.id, revBefore, 10)).map((m) => m.id)).toEqual([sent.id]);
    const [changed] = events('im.changed');
    expect([...changed!.to].sort()).toEqual([ann.accountId, ben.accountId].sort());
    expect(changed!.payload).toEqual(recalled);
    // Again: nothing changes, nothing is sent.
    expect(await conversations.recall(ann, direct.id, sent.id)).toEqual(recalled);
    expect(events('im.changed')).toHaveLength(1);
    expect((await conversations.messages(ben, direct.id, {}))[0]).toEqual(recalled);
  });

  it('refuses a recall after the window with RECALL_WINDOW_PASSED, and changes nothing', async () => {
    const { conversations, store, t, ann, direct, say } = await setup();
    const sent = await say(ann, direct.id, 'too late');
    t.clock.advance(DEFAULT_RECALL_WINDOW_MS + 1);
    expect(await imErrorCode(conversations.recall(ann, direct.id, sent.id))).toBe('RECALL_WINDOW_PASSED');
    expect((await store.messages(direct.id, { limit: 1 }))[0]!.body.text).toBe('too late');
  });

  it('a group’s owner recalls anyone’s message at any time, an admin a plain member’s; members only their own', async () => {
    const { conversations, im, db, t, ann, ben, cy, say } = await setup();
    const group = await im.groups.create(ann, { name: '项目组', members: [ben.accountId, cy.accountId] });
    const g = group.conversationId;
    const fromBen = await say(ben, g, 'ben’s');
    const fromCy = await say(cy, g, 'cy’s');
    const fromAnn = await say(ann, g, 'ann’s');
    t.clock.advance(DEFAULT_RECALL_WINDOW_MS * 10);
    expect(await imErrorCode(conversations.recall(cy, g, fromBen.id))).toBe('FORBIDDEN');
    expect(await imErrorCode(conversations.recall(ben, g, fromBen.id))).toBe('RECALL_WINDOW_PASSED');
    await makeAdmin(db, g, ben.accountId);
    expect(await imErrorCode(conversations.recall(ben, g, fromAnn.id))).toBe('FORBIDDEN');
    expect((await conversations.recall(ben, g, fromCy.id)).recalled?.by).toBe(ben.accountId);
    expect((await conversations.recall(ann, g, fromBen.id)).recalled?.by).toBe(ann.accountId);
    expect((await conversations.recall(ann, g, fromAnn.id)).recalled?.by).toBe(ann.accountId);
    const system = (await conversations.messages(ann, g, {})).find((m) => m.type === 'system');
    if (system) expect(await imErrorCode(conversations.recall(ann, g, system.id))).toBe('BAD_REQUEST');
  });

  it('edits one’s own text: new text, editedAt, rev bumped, im.changed; others’ messages are FORBIDDEN, recalled ones refused', async () => {
    const { conversations, store, contacts, ann, ben, cy, direct, say, events } = await setup();
    const sent = await say(ann, direct.id, '明天三点');
    const edited = await conversations.edit(ann, direct.id, sent.id, '明天四点');
    expect(edited).toMatchObject({ id: sent.id, seq: sent.seq, text: '明天四点', editedAt: expect.any(Number) });
    expect(events('im.changed').at(-1)!.payload).toEqual(edited);
    expect((await store.messages(direct.id, { limit: 1 }))[0]!.rev).toBe((await store.get(direct.id))!.lastRev);
    expect(await imErrorCode(conversations.edit(ben, direct.id, sent.id, 'mine now'))).toBe('FORBIDDEN');
    expect(await imErrorCode(conversations.edit(cy, direct.id, sent.id, 'let me in'))).toBe('NOT_FOUND');
    expect(await imErrorCode(conversations.edit(ann, direct.id, 'msgnot-a-real-message', 'x'))).toBe('NOT_FOUND');
    expect(await imErrorCode(conversations.edit(ann, direct.id, sent.id, '长'.repeat(683)))).toBe('TEXT_TOO_LONG');
    expect(await imErrorCode(conversations.edit(ann, direct.id, sent.id, '  '))).toBe('BAD_REQUEST');
    const emoji = await say(ann, direct.id, '👍', { type: 'emoji' });
    expect(await imErrorCode(conversations.edit(ann, direct.id, emoji.id, '👎'))).toBe('BAD_REQUEST');
    await conversations.recall(ann, direct.id, sent.id);
    expect(await imErrorCode(conversations.edit(ann, direct.id, sent.id, 'back'))).toBe('BAD_REQUEST');
    // Someone who blocked you takes no edits either.
    const other = await say(ann, direct.id, 'before the block');
    await contacts.block(ben, ann.accountId);
    expect(await imErrorCode(conversations.edit(ann, direct.id, other.id, 'after'))).toBe('REFUSED_BY_RECIPIENT');
    expect((await conversations.messages(ann, direct.id, {})).at(-1)!.text).toBe('before the block');
  });

  it('delete for me: gone from that person’s history and list only, im.hidden to their own devices; sync lists the hides', async () => {
    const { conversations, store, t, ann, ben, cy, direct, say, events } = await setup();
    const one = await say(ann, direct.id, 'one');
    const two = await say(ben, direct.id, 'two');
    const since = t.clock.now();
    t.clock.advance(10);
    expect(await conversations.hide(ann, direct.id, [two.id, two.id])).toEqual({ seqs: [two.seq] });
    expect(events('im.hidden').map((d) => [d.to, d.payload])).toEqual([[[ann.accountId], { conversationId: direct.id, seqs: [two.seq] }]]);
    expect((await conversations.messages(ann, direct.id, {})).map((m) => m.seq)).toEqual([one.seq]);
    expect((await conversations.messages(ben, direct.id, {})).map((m) => m.seq)).toEqual([one.seq, two.seq]);
    // The list shows the newest message Ann still sees.
    expect((await conversations.list(ann))[0]!.lastMessage).toMatchObject({ id: one.id });
    expect((await conversations.list(ben))[0]!.lastMessage).toMatchObject({ id: two.id });
    await conversations.hide(ann, direct.id, [two.id]);
    expect(await store.hiddenSince(ann.accountId, since, 10)).toEqual([{ conversationId: direct.id, seq: two.seq, at: since + 10 }]);
    expect(await store.hiddenSince(ann.accountId, since + 10, 10)).toEqual([]);
    expect(await imErrorCode(conversations.hide(cy, direct.id, [one.id]))).toBe('NOT_FOUND');
    expect(await imErrorCode(conversations.hide(ann, direct.id, [one.id, 'msgnot-a-real-message']))).toBe('NOT_FOUND');
    expect(await store.hiddenSince(ann.accountId, 0, 10)).toHaveLength(1);
  });

  it('replies quote a message of the same conversation; a recall there empties the quote', async () => {
    const { conversations, ann, ben, cy, direct, say } = await setup();
    const asked = await say(ann, direct.id, `${'问'.repeat(120)}?`);
    const reply = await say(ben, direct.id, '好的', { replyTo: asked.id });
    const [, answer] = await conversations.messages(ann, direct.id, {});
    expect(answer).toMatchObject({ id: reply.id, replyTo: asked.id, quote: { id: asked.id, seq: asked.seq, senderId: ann.accountId, type: 'text', excerpt: '问'.repeat(100) } });
    const elsewhere = await conversations.openDirect(ann, cy.accountId);
    expect(await imErrorCode(say(ann, elsewhere.id, 'x', { replyTo: asked.id }))).toBe('NOT_FOUND');
    await conversations.recall(ann, direct.id, asked.id);
    expect(await imErrorCode(say(ben, direct.id, 'x', { replyTo: asked.id }))).toBe('BAD_REQUEST');
    const [, after] = await conversations.messages(ben, direct.id, {});
    expect(after!.quote).toEqual({ id: asked.id, seq: asked.seq, senderId: ann.accountId, type: 'text', recalled: true });
    expect(JSON.stringify(await conversations.list(ben))).not.toContain('问问问');
  });

  it('types: emoji is one emoji; mentions must be members; @everyone only in groups', async () => {
    const { conversations, im, ann, ben, cy, direct, say } = await setup();
    for (const e of ['😀', '👍🏽', '👨‍👩‍👧', '🇨🇳', '❤️']) expect((await say(ann, direct.id, e, { type: 'emoji' })).seq).toBeGreaterThan(0);
    for (const e of ['a', '😀😀', '[微笑]', '😀 ']) expect(await imErrorCode(say(ann, direct.id, e, { type: 'emoji' })), e).toBe('BAD_REQUEST');
    expect(await imErrorCode(say(ann, direct.id, 'hi @Cy', { mentions: [cy.accountId] }))).toBe('BAD_REQUEST');
    expect(await imErrorCode(say(ann, direct.id, 'all', { mentionAll: true }))).toBe('BAD_REQUEST');
    const group = await im.groups.create(ann, { name: 'G', members: [ben.accountId, cy.accountId] });
    await say(ann, group.conversationId, '@all', { mentionAll: true, mentions: [cy.accountId] });
    expect((await conversations.messages(cy, group.conversationId, {})).at(-1)).toMatchObject({ mentionAll: true, mentions: [cy.accountId] });
  });

  it('read by N: the sender asks who read their message; the direct view carries the peer’s read pointer', async () => {
    const { conversations, im, ann, ben, cy, direct, say } = await setup();
    const group = await im.groups.create(ann, { name: 'G', members: [ben.accountId, cy.accountId] });
    const g = group.conversationId;
    const sent = await say(ann, g, 'read me');
    const before = await conversations.readers(ann, g, sent.id);
    expect(before.readBy).toEqual([]);
    expect(before.unreadBy.sort()).toEqual([ben.accountId, cy.accountId].sort());
    await conversations.markRead(ben, g, sent.seq);
    const readers = await conversations.readers(ann, g, sent.id);
    expect(readers).toEqual({ readBy: [ben.accountId], unreadBy: [cy.accountId] });
    expect(await imErrorCode(conversations.readers(ben, g, sent.id))).toBe('FORBIDDEN');
    expect(await imErrorCode(conversations.readers(ann, direct.id, sent.id))).toBe('NOT_FOUND');
    const d = await say(ann, direct.id, 'hi');
    expect((await conversations.list(ann)).find((c) => c.id === direct.id)).toMatchObject({ peerReadSeq: 0, readSeq: d.seq });
    await conversations.markRead(ben, direct.id, d.seq);
    expect((await conversations.list(ann)).find((c) => c.id === direct.id)).toMatchObject({ peerReadSeq: d.seq });
    expect((await conversations.list(ann)).find((c) => c.id === g)!.peerReadSeq).toBeUndefined();
  });

  it('forwards one by one: each message again in every target, same type and text; a retry stores nothing new', async () => {
    const { conversations, im, store, ann, ben, cy, direct, say } = await setup();
    const toCy = await conversations.openDirect(ann, cy.accountId);
    const group = await im.groups.create(ann, { name: 'G', members: [ben.accountId, cy.accountId] });
    const a = await say(ben, direct.id, '会议纪要');
    const b = await say(ann, direct.id, '👍', { type: 'emoji' });
    const input = { clientMsgId: 'fwd-000001', from: direct.id, messageIds: [b.id, a.id], to: [toCy.id, group.conversationId], mode: 'single' as const };
    const { results } = await conversations.forward(ann, input);
    expect(results.map((r) => [r.conversationId, r.sent?.length])).toEqual([[toCy.id, 2], [group.conversationId, 2]]);
    expect((await conversations.messages(cy, toCy.id, {})).map((m) => [m.senderId, m.type, m.text])).toEqual([
      [ann.accountId, 'text', '会议纪要'],
      [ann.accountId, 'emoji', '👍'],
    ]);
    const before = await store.countMessages(toCy.id);
    expect((await conversations.forward(ann, input)).results).toEqual(results);
    expect(await store.countMessages(toCy.id)).toBe(before);
  });

  it('forwards merged: one forward message holding the history (names, times, types, texts)', async () => {
    const { conversations, ann, ben, cy, direct, say, events } = await setup();
    const toCy = await conversations.openDirect(ann, cy.accountId);
    const a = await say(ben, direct.id, '第一条');
    const b = await say(ann, direct.id, 'second');
    const { results } = await conversations.forward(ann, { clientMsgId: 'fwd-000002', from: direct.id, messageIds: [a.id, b.id], to: [toCy.id], mode: 'merged' });
    expect(results[0]!.sent).toHaveLength(1);
    const [merged] = await conversations.messages(cy, toCy.id, {});
    expect(merged).toMatchObject({
      type: 'forward',
      forward: { title: 'Ann & Ben', items: [{ senderName: 'Ben', type: 'text', text: '第一条' }, { senderName: 'Ann', type: 'text', text: 'second' }] },
    });
    expect(events('im.message').at(-1)!.payload).toEqual(merged);
    // A merged history forwards on, as itself or as one item of another.
    const again = await conversations.forward(cy, { clientMsgId: 'fwd-000003', from: toCy.id, messageIds: [merged!.id], to: [toCy.id], mode: 'merged', title: 'History' });
    const [, nested] = await conversations.messages(ann, toCy.id, {});
    expect(again.results[0]!.sent).toHaveLength(1);
    expect(nested!.forward).toMatchObject({ title: 'History', items: [{ senderName: 'Ann', type: 'forward', text: 'Ann & Ben' }] });
  });

  it('forwards only what one sees, to one’s own conversations; a target that refuses is reported, the others go ahead', async () => {
    const { conversations, im, contacts, store, ann, ben, cy, direct, say } = await setup();
    const toCy = await conversations.openDirect(ann, cy.accountId);
    const group = await im.groups.create(ann, { name: 'G', members: [ben.accountId, cy.accountId] });
    const a = await say(ben, direct.id, 'secret');
    const base = { from: direct.id, messageIds: [a.id], to: [toCy.id], mode: 'single' as const };
    expect(await imErrorCode(conversations.forward(cy, { ...base, clientMsgId: 'fwd-100001' }))).toBe('NOT_FOUND');
    const benCy = await im.groups.create(ben, { name: 'Ben only', members: [ann.accountId] });
    expect(await imErrorCode(conversations.forward(ann, { ...base, to: [benCy.conversationId, 'cvnot-a-real-one'], clientMsgId: 'fwd-100002' }))).toBe('NOT_FOUND');
    expect(await imErrorCode(conversations.forward(ann, { ...base, messageIds: ['msgnot-a-real-message'], clientMsgId: 'fwd-100003' }))).toBe('NOT_FOUND');
    const hidden = await say(ben, direct.id, 'hidden');
    await conversations.hide(ann, direct.id, [hidden.id]);
    expect(await imErrorCode(conversations.forward(ann, { ...base, messageIds: [hidden.id], clientMsgId: 'fwd-100004' }))).toBe('NOT_FOUND');
    const gone = await say(ann, direct.id, 'recalled');
    await conversations.recall(ann, direct.id, gone.id);
    expect(await imErrorCode(conversations.forward(ann, { ...base, messageIds: [gone.id], clientMsgId: 'fwd-100005' }))).toBe('BAD_REQUEST');
    expect(await store.countMessages(toCy.id)).toBe(0);
    await contacts.block(cy, ann.accountId);
    const { results } = await conversations.forward(ann, { ...base, to: [toCy.id, group.conversationId], clientMsgId: 'fwd-100006' });
    expect(results).toEqual([
      { conversationId: toCy.id, error: { code: 'REFUSED_BY_RECIPIENT', message: expect.any(String) } },
      { conversationId: group.conversationId, sent: [expect.objectContaining({ seq: expect.any(Number) })] },
    ]);
    expect(await store.countMessages(toCy.id)).toBe(0);
  });

  it('typing reaches the other person only, at most once a second, direct conversations only, never stored', async () => {
    const { conversations, im, contacts, store, t, ann, ben, cy, direct, events } = await setup();
    const group = await im.groups.create(ann, { name: 'G', members: [ben.accountId, cy.accountId] });
    await conversations.typing(ann, direct.id);
    await conversations.typing(ann, direct.id);
    expect(events('im.typing').map((d) => [d.to, d.payload])).toEqual([[[ben.accountId], { conversationId: direct.id, userId: ann.accountId }]]);
    t.clock.advance(TYPING_INTERVAL_MS);
    await conversations.typing(ann, direct.id);
    await conversations.typing(ben, direct.id);
    expect(events('im.typing').map((d) => d.to[0])).toEqual([ben.accountId, ben.accountId, ann.accountId]);
    expect(await imErrorCode(conversations.typing(ann, group.conversationId))).toBe('BAD_REQUEST');
    expect(await imErrorCode(conversations.typing(cy, direct.id))).toBe('NOT_FOUND');
    await contacts.block(ben, ann.accountId);
    t.clock.advance(TYPING_INTERVAL_MS);
    await conversations.typing(ann, direct.id);
    expect(events('im.typing')).toHaveLength(3);
    expect(await store.countMessages(direct.id)).toBe(0);
  });

  it('lists conversations in the same few queries for 3 as for 15, with the same views as opening each', async () => {
    const db = await testDb.open();
    // Only the reads made for list() count: timers in the background (search indexing, call sweeps) read too, in their own async contexts.
    const listing = new AsyncLocalStorage<true>();
    let reads = 0;
    const counter: KyselyPlugin = { transformQuery: (args) => (listing.getStore() && reads++, args.node), transformResult: async (args) => args.result };
    const reader = db.kysely.withPlugin(counter);
    // The same database with its reads counted (its own members still see the real one: private fields).
    const counted = new Proxy(db, {
      get: (target, prop) => {
        if (prop === 'kysely') return reader;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const { conversations, person, befriend } = await openImTestWorld(counted);
    const me = await person('Me');
    const opened = [];
    const costs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const other = await person(`P${i}`);
      await befriend(other, me);
      opened.push(await conversations.openDirect(me, other.accountId));
      if (i % 2 === 0) await conversations.send(other, opened[i]!.id, { clientMsgId: cid(), text: `hello ${i}` });
      if (i === 2 || i === 14) {
        reads = 0;
        await listing.run(true, () => conversations.list(me));
        costs.push(reads);
      }
    }
    // Conversations, last messages, profiles, and what the view decorators (settings) read: none of it per conversation.
    expect(costs[1]).toBe(costs[0]);
    expect(costs[0]).toBeLessThanOrEqual(8);
    const listed = await conversations.list(me);
    expect(listed).toHaveLength(15);
    for (const c of opened) {
      const view = listed.find((l) => l.id === c.id)!;
      // The list adds the person's own settings (decorators) to what opening shows.
      expect(view).toMatchObject(await conversations.openDirect(me, c.peer!.id));
    }
    expect(listed.filter((l) => l.lastMessage).length).toBe(8);
  });
});
