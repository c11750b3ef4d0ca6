/** The conversations store's contract on SQLite and PostgreSQL: seq, idempotence, ranges, read pointers. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ConversationRepository, directKey } from './ConversationRepository.ts';

const engines = await testEngines('the PostgreSQL conversations store contract (im/src/store/ConversationRepository.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(6).toString('hex')}`;

describe.each(engines)('conversations store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const text = (conversationId: string, senderId: string, text: string, clientMsgId = uid('c')) => ({
    id: uid('msg'),
    conversationId,
    senderId,
    clientMsgId,
    type: 'text',
    body: { text },
    sentAt: Date.now(),
  });

  it('opens one direct conversation per pair, whoever opens it, both as members', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const first = await store.openDirect(uid('cv'), a, b, 1);
    const again = await store.openDirect(uid('cv'), b, a, 2);
    expect(again.id).toBe(first.id);
    expect((await store.members(first.id)).map((m) => m.userId).sort()).toEqual([a, b].sort());
    expect(directKey(a, b)).toBe(directKey(b, a));
    expect(await store.membership(first.id, uid())).toBeNull();
  });

  it('numbers messages 1, 2, 3… without gaps, also for concurrent senders, one row each', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    const sends = Array.from({ length: 40 }, (_, i) => store.append(text(c.id, i % 2 ? a : b, `m${i}`)));
    const seqs = (await Promise.all(sends)).map((r) => r.message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await store.get(c.id))!.lastSeq).toBe(40);
    expect(await store.countMessages(c.id)).toBe(40);
  });

  it('a retried send returns the first message, never a second one', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    const first = await store.append(text(c.id, a, 'hello', 'client-1'));
    const [again, racing] = await Promise.all([store.append(text(c.id, a, 'hello', 'client-1')), store.append(text(c.id, a, 'hello', 'client-1'))]);
    expect(first.duplicate).toBe(false);
    expect([again, racing].map((r) => [r.duplicate, r.message.id, r.message.seq])).toEqual([
      [true, first.message.id, 1],
      [true, first.message.id, 1],
    ]);
    // The same client id from the other person is their own message.
    expect((await store.append(text(c.id, b, 'hi', 'client-1'))).message.seq).toBe(2);
    expect(await store.countMessages(c.id)).toBe(2);
  });

  it('reads ranges: catching up oldest first after a seq, paging back newest first before one', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    for (let i = 1; i <= 10; i++) await store.append(text(c.id, a, `m${i}`));
    expect((await store.messages(c.id, { afterSeq: 3, limit: 4 })).map((m) => m.seq)).toEqual([4, 5, 6, 7]);
    expect((await store.messages(c.id, { beforeSeq: 9, limit: 3 })).map((m) => m.seq)).toEqual([6, 7, 8]);
    expect((await store.messages(c.id, { limit: 2 })).map((m) => m.body.text)).toEqual(['m9', 'm10']);
    expect((await store.messages(c.id, { afterSeq: 2, beforeSeq: 5, limit: 100 })).map((m) => m.seq)).toEqual([3, 4]);
  });

  it('keeps read pointers per member, forward only and never past the last seq; the sender has read their own', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    for (let i = 1; i <= 5; i++) await store.append(text(c.id, a, `m${i}`));
    expect((await store.membership(c.id, a))!.readSeq).toBe(5);
    expect((await store.membership(c.id, b))!.readSeq).toBe(0);
    expect(await store.markRead(c.id, b, 3)).toBe(3);
    expect(await store.markRead(c.id, b, 2)).toBe(3);
    expect(await store.markRead(c.id, b, 99)).toBe(5);
    const listed = await store.listFor(b, 10);
    expect(listed.map((l) => [l.conversation.id, l.conversation.lastSeq, l.membership.readSeq])).toEqual([[c.id, 5, 5]]);
  });

  it('a 1000-member group’s message is one row, and every member’s unread counts it', async () => {
    const store = new ConversationRepository(await testDb.open());
    const owner = uid();
    const members = Array.from({ length: 999 }, () => uid());
    const group = await store.createGroup(uid('cv'), owner, members, { name: '全体 1000', notice: '', temporary: true }, 1);
    expect(group).toMatchObject({ kind: 'group', meta: { name: '全体 1000', temporary: true }, lastSeq: 0 });
    expect(await store.countMembers(group.id)).toBe(1000);
    expect((await store.membership(group.id, owner))!.role).toBe('owner');
    await store.append(text(group.id, owner, 'hello, all'));
    expect(await store.countMessages(group.id)).toBe(1);
    const [someone] = await store.listFor(members[500]!, 10);
    expect(someone!.conversation.lastSeq - someone!.membership.readSeq).toBe(1);
  });

  it('stores message bodies sealed', async () => {
    const store = new ConversationRepository(await testDb.open());
    const [a, b] = [uid(), uid()];
    const c = await store.openDirect(uid('cv'), a, b, 1);
    await store.append(text(c.id, a, '机密会议-plaintext-marker'));
    const rows = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from messages');
    expect(JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v))).not.toContain('plaintext-marker');
    expect((await store.messages(c.id, { limit: 1 }))[0]!.body.text).toBe('机密会议-plaintext-marker');
  });
});
