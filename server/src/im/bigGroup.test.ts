/**
 * A 1000-member group through a whole server: one message reaches all 1000
 * members' connected sockets (real socket.io clients), and what it writes
 * is a constant: the same rows as a message in a group of three (one row in
 * `messages`), not one per member.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GROUP_MEMBERS } from '@muster/im';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { api, befriendAll, inBatches, openDevice, rowCounts, rowDelta, signUpPeople, type TestDevice, type TestPerson } from './scaleWorld.ts';

describe('a 1000-member group', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const devices: TestDevice[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const d of devices) d.close();
    await server?.close();
  });

  /** Row counts once they have stopped changing (work done off the send path, such as indexing, included). */
  async function settledCounts(): Promise<Record<string, number>> {
    // The search index is built off the send path, and may lag more than one settling interval under load: wait for it first.
    await waitUntil(async () => (await server.im.searchIndexer.lag()).backlog.revsBehind === 0, 20_000, 'the search index to catch up');
    let previous = await rowCounts(server);
    return waitUntil(
      async () => {
        const now = await rowCounts(server);
        const same = JSON.stringify(now) === JSON.stringify(previous);
        previous = now;
        return same ? now : null;
      },
      20_000,
      'row counts to settle',
      200,
    );
  }

  it('delivers one message to all 1000 members’ sockets, and stores it once', async () => {
    const people = await signUpPeople(server, MAX_GROUP_MEMBERS, 1, 'member');
    const [owner, ...members] = people as [TestPerson, ...TestPerson[]];
    await befriendAll(server, owner, members);

    const big = await api(server.url, 'POST', '/groups', owner.accessToken, { name: '全员群', members: members.map((m) => m.id) });
    expect(big.status).toBe(201);
    expect(big.body.members).toBe(1000);
    const small = await api(server.url, 'POST', '/groups', owner.accessToken, { name: 'three', members: members.slice(0, 2).map((m) => m.id) });
    expect(small.status).toBe(201);

    // One connected device per member, the owner's included.
    devices.push(...(await inBatches(people, 25, (p) => openDevice(server.url, p))));
    expect(devices.filter((d) => d.socket.connected)).toHaveLength(1000);

    // The baseline: one message in a group of three (the same text: the search index holds a row per word of it).
    const c0 = await settledCounts();
    const sentSmall = await api(server.url, 'POST', `/conversations/${small.body.conversationId}/messages`, owner.accessToken, { clientMsgId: 'small-group-001', type: 'text', text: '大家好，会议改到三点' });
    expect(sentSmall.status).toBe(201);
    await waitUntil(() => devices.slice(0, 3).every((d) => d.messages.some((m) => m.conversationId === small.body.conversationId)), 10_000, 'the small group’s message');
    const c1 = await settledCounts();

    // The same in the 1000-member group, sent by a plain member.
    const sender = members[500]!;
    const sent = await api(server.url, 'POST', `/conversations/${big.body.conversationId}/messages`, sender.accessToken, { clientMsgId: 'big-group-0001', type: 'text', text: '大家好，会议改到三点' });
    expect(sent.status).toBe(201);
    const reached = () => devices.filter((d) => d.messages.some((m) => m.conversationId === big.body.conversationId)).length;
    await waitUntil(() => reached() === 1000, 60_000, 'the message on all 1000 members’ sockets').catch((error: Error) => {
      throw new Error(`${error.message} (${reached()} of 1000 reached)`);
    });
    for (const d of devices) {
      const got = d.messages.filter((m) => m.conversationId === big.body.conversationId);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ seq: sent.body.seq, senderId: sender.id, text: '大家好，会议改到三点', id: sent.body.id });
    }
    const c2 = await settledCounts();

    const smallDelta = rowDelta(c0, c1);
    const bigDelta = rowDelta(c1, c2);
    // One message row, whatever the number of members; nothing else grows with them.
    expect(bigDelta.messages).toBe(1);
    expect(bigDelta).toEqual(smallDelta);
    expect(Object.values(bigDelta).reduce((a, b) => a + b, 0)).toBeLessThan(20);

    // Unread is the last seq minus each member's read pointer: the sender has read it, the others not.
    const unread = async (p: TestPerson) => ((await api(server.url, 'GET', '/conversations', p.accessToken)).body as { id: string; unread: number }[]).find((c) => c.id === big.body.conversationId)?.unread;
    expect(await unread(sender)).toBe(0);
    expect(await unread(members[0]!)).toBe(1);
    expect(await unread(owner)).toBe(1);
  }, 300_000);
});
