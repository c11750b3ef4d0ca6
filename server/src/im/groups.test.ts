/**
 * Groups through a whole server: `im.group` live events on every member's
 * devices (and once on a removed member's, then nothing), the send rules
 * over REST and the socket, and a fuzz of every group route: each malformed
 * or unauthorised request gets a coded 4xx, never a 500, and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IM_ERROR_CODES } from '@muster/im';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { api, befriendAll, openDevice, signUpPeople, type TestDevice, type TestPerson } from './scaleWorld.ts';

describe('groups over a whole server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let owner: TestPerson, ann: TestPerson, ben: TestPerson, eve: TestPerson;
  const devices: TestDevice[] = [];
  const groupEvents = new Map<TestDevice, { change: string; group: { id: string; name: string } }[]>();

  const device = async (p: TestPerson) => {
    const d = await openDevice(server.url, p);
    devices.push(d);
    const events: { change: string; group: { id: string; name: string } }[] = [];
    d.socket.on('im.group', (e: { change: string; group: { id: string; name: string } }) => events.push(e));
    groupEvents.set(d, events);
    return d;
  };

  beforeAll(async () => {
    server = await startTestServer();
    [owner, ann, ben, eve] = (await signUpPeople(server, 4, 6, 'g')) as [TestPerson, TestPerson, TestPerson, TestPerson];
    await befriendAll(server, owner, [ann, ben]);
  }, 60_000);
  afterAll(async () => {
    for (const d of devices) d.close();
    await server?.close();
  });

  it('members’ devices get im.group with the new info; a removed member’s get it once, then nothing', async () => {
    const [ownerDevice, annDevice, benDevice] = [await device(owner), await device(ann), await device(ben)];
    const made = await api(server.url, 'POST', '/groups', owner.accessToken, { name: '周会', members: [ann.id, ben.id] });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const changes = (d: TestDevice) => groupEvents.get(d)!.filter((e) => e.group.id === id).map((e) => e.change);
    await waitUntil(() => [ownerDevice, annDevice, benDevice].every((d) => changes(d).includes('created')), 10_000, 'created on every device');

    expect((await api(server.url, 'PATCH', `/groups/${id}`, owner.accessToken, { name: '周会（新）' })).status).toBe(200);
    await waitUntil(() => groupEvents.get(annDevice)!.some((e) => e.change === 'renamed' && e.group.name === '周会（新）'), 10_000, 'the new name');
    await waitUntil(() => annDevice.messages.some((m) => m.conversationId === id), 10_000, 'the renamed notice');

    expect((await api(server.url, 'DELETE', `/groups/${id}/members/${ben.id}`, owner.accessToken)).status).toBe(204);
    await waitUntil(() => changes(benDevice).includes('removed'), 10_000, 'Ben told he was removed');
    const benSeen = benDevice.messages.length;
    const benEvents = groupEvents.get(benDevice)!.length;
    const sent = await api(server.url, 'POST', `/conversations/${id}/messages`, owner.accessToken, { clientMsgId: 'after-ben-left', type: 'text', text: '继续' });
    expect(sent.status).toBe(201);
    await waitUntil(() => annDevice.messages.some((m) => m.id === sent.body.id), 10_000, 'Ann gets the message');
    await waitUntil(() => ownerDevice.messages.some((m) => m.id === sent.body.id), 10_000, 'the owner’s device too');
    // Delivered to Ann's device after Ben's would have been sent: Ben's got nothing.
    expect(benDevice.messages.length).toBe(benSeen);
    expect(groupEvents.get(benDevice)!.length).toBe(benEvents);
    expect((await api(server.url, 'GET', `/groups/${id}`, ben.accessToken)).status).toBe(404);
    expect((await api(server.url, 'GET', `/conversations/${id}/messages`, ben.accessToken)).status).toBe(404);

    // The send rules over the socket: mute-all, then @everyone.
    expect((await api(server.url, 'PATCH', `/groups/${id}`, owner.accessToken, { muteAll: true })).status).toBe(200);
    const muted = await annDevice.request('im.send', { conversationId: id, clientMsgId: 'ann-muted-01', type: 'text', text: 'hello?' });
    expect(muted).toMatchObject({ ok: false, error: { code: 'MUTED' } });
    expect((await api(server.url, 'POST', `/conversations/${id}/messages`, ann.accessToken, { clientMsgId: 'ann-muted-02', type: 'text', text: 'hello?' })).body.error.code).toBe('MUTED');
    expect((await api(server.url, 'PATCH', `/groups/${id}`, owner.accessToken, { muteAll: false })).status).toBe(200);
    const everyone = await api(server.url, 'POST', `/conversations/${id}/messages`, ann.accessToken, { clientMsgId: 'ann-all-0001', type: 'text', text: '@所有人', mentionAll: true });
    expect([everyone.status, everyone.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect((await api(server.url, 'POST', `/conversations/${id}/messages`, owner.accessToken, { clientMsgId: 'own-all-0001', type: 'text', text: '@所有人', mentionAll: true })).status).toBe(201);
  });

  it('the everyday group actions over the socket: the same rules and codes as REST, malformed requests refused', async () => {
    const [ownerDevice, annDevice] = [await device(owner), await device(ann)];
    const groupId = (await api(server.url, 'POST', '/groups', owner.accessToken, { name: 'socket', members: [ann.id] })).body.id as string;
    expect(await ownerDevice.request('im.group.update', { groupId, notice: '今天下午' })).toMatchObject({ ok: true, data: { notice: '今天下午' } });
    expect(await annDevice.request('im.group.update', { groupId, name: 'mine' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await ownerDevice.request('im.group.invite', { groupId, userIds: [ben.id] })).toEqual({ ok: true, data: { added: [ben.id], requested: [] } });
    expect(await ownerDevice.request('im.group.mute', { groupId, userId: ann.id })).toEqual({ ok: true, data: {} });
    expect(await annDevice.request('im.send', { conversationId: groupId, clientMsgId: 'ann-socket-01', type: 'text', text: 'hi' })).toMatchObject({ ok: false, error: { code: 'MUTED' } });
    expect(await ownerDevice.request('im.group.unmute', { groupId, userId: ann.id })).toEqual({ ok: true, data: {} });
    const got = await annDevice.request('im.group.get', { groupId, q: 'g' });
    expect(got.ok).toBe(true);
    expect(got.data.memberList.length).toBeGreaterThan(0);
    expect(await ownerDevice.request('im.group.remove', { groupId, userId: ben.id })).toEqual({ ok: true, data: {} });
    expect(await annDevice.request('im.group.leave', { groupId })).toEqual({ ok: true, data: {} });
    expect(await annDevice.request('im.group.get', { groupId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    for (const [event, payload] of [
      ['im.group.get', { groupId: 'nope' }],
      ['im.group.get', { groupId, extra: 1 }],
      ['im.group.update', { groupId }],
      ['im.group.update', { groupId, name: 'x'.repeat(61) }],
      ['im.group.invite', { groupId, userIds: 'all' }],
      ['im.group.mute', { groupId, userId: ann.id, until: 'soon' }],
      ['im.group.leave', null],
      ['im.group.leave', { groupId, v: 2 }],
    ] as const) {
      const reply = await ownerDevice.request(event, payload);
      expect(reply.ok, `${event} ${JSON.stringify(payload)}`).toBe(false);
      expect(['BAD_REQUEST', 'UNSUPPORTED_VERSION'], `${event} ${JSON.stringify(payload)}`).toContain(reply.error!.code);
    }
    expect((await ownerDevice.request('im.group.get', { groupId })).data.members).toBe(1);
  });

  it('a fuzz of every group route: coded 4xx errors, never a 500, nothing changed', async () => {
    const made = await api(server.url, 'POST', '/groups', owner.accessToken, { name: 'fuzz', members: [ann.id] });
    const id = made.body.id as string;
    const state = async () => {
      const g = await api(server.url, 'GET', `/groups/${id}`, owner.accessToken);
      const messages = await api(server.url, 'GET', `/conversations/${id}/messages?afterSeq=0&limit=200`, owner.accessToken);
      return { group: { ...g.body, memberList: g.body.memberList.map((m: { userId: string; role: string; mutedUntil?: number }) => [m.userId, m.role, m.mutedUntil]) }, messages: messages.body.length };
    };
    const before = await state();
    const junk: unknown[] = [null, 7, 'x', [], true, JSON.parse('{"__proto__":{"admin":true}}'), { constructor: 1 }, 'x'.repeat(70_000)];
    const t = (token: TestPerson | null) => token?.accessToken;
    const cases: [string, string, TestPerson | null, unknown][] = [
      ['POST', '/groups', owner, { name: '', members: [ann.id] }],
      ['POST', '/groups', owner, { name: 'a\u0000b', members: [ann.id] }],
      ['POST', '/groups', owner, { name: 'x'.repeat(61), members: [ann.id] }],
      ['POST', '/groups', owner, { name: 'x', members: [] }],
      ['POST', '/groups', owner, { name: 'x', members: ['bad id!'] }],
      ['POST', '/groups', owner, { name: 'x', members: [ann.id], temporary: true }],
      ['POST', '/groups', owner, { name: 'x', members: [ann.id], temporary: { expiresAt: 1 } }],
      ['POST', '/groups', owner, { name: 'x', members: [ann.id], temporary: { expiresAt: 'soon' } }],
      ['POST', '/groups', owner, { name: 'x', members: [eve.id] }],
      ['POST', '/groups', owner, { name: 'x', members: [ann.id], extra: 1 }],
      ['POST', '/groups', null, { name: 'x', members: [ann.id] }],
      ['GET', `/groups?q=${'x'.repeat(61)}`, owner, undefined],
      ['GET', '/groups?q=a&z=1', owner, undefined],
      ['GET', `/groups/${id}`, eve, undefined],
      ['GET', `/groups/${id}?q=${'y'.repeat(100)}`, owner, undefined],
      ['GET', '/groups/not-an-id', owner, undefined],
      ['GET', `/groups/${id}`, null, undefined],
      ['PATCH', `/groups/${id}`, owner, {}],
      ['PATCH', `/groups/${id}`, owner, { name: 5 }],
      ['PATCH', `/groups/${id}`, owner, { notice: 'n'.repeat(2001) }],
      ['PATCH', `/groups/${id}`, owner, { muteAll: 'yes' }],
      ['PATCH', `/groups/${id}`, owner, { owner: eve.id }],
      ['PATCH', `/groups/${id}`, ann, { name: 'mine' }],
      ['PATCH', `/groups/${id}`, eve, { name: 'mine' }],
      ['DELETE', `/groups/${id}`, ann, undefined],
      ['DELETE', `/groups/${id}`, eve, undefined],
      ['POST', `/groups/${id}/members`, owner, { userIds: [] }],
      ['POST', `/groups/${id}/members`, owner, { userIds: 'all' }],
      ['POST', `/groups/${id}/members`, owner, { userIds: [eve.id] }],
      ['POST', `/groups/${id}/members`, eve, { userIds: [eve.id] }],
      ['POST', `/groups/${id}/members`, owner, { userIds: Array.from({ length: 1000 }, (_, i) => `u-many-${i}`) }],
      ['DELETE', `/groups/${id}/members/${owner.id}`, ann, undefined],
      ['DELETE', `/groups/${id}/members/${eve.id}`, owner, undefined],
      ['DELETE', `/groups/${id}/members/${owner.id}`, owner, undefined],
      ['DELETE', `/groups/${id}/members/..%2F..`, owner, undefined],
      ['POST', `/groups/${id}/leave`, eve, undefined],
      ['POST', '/groups/cvnothing-here-at-all/leave', owner, undefined],
      ['POST', `/groups/${id}/transfer`, owner, { userId: eve.id }],
      ['POST', `/groups/${id}/transfer`, owner, { userId: owner.id }],
      ['POST', `/groups/${id}/transfer`, owner, { user: ann.id }],
      ['POST', `/groups/${id}/transfer`, ann, { userId: ann.id }],
      ['PUT', `/groups/${id}/admins/${ann.id}`, ann, undefined],
      ['PUT', `/groups/${id}/admins/${eve.id}`, owner, undefined],
      ['PUT', `/groups/${id}/admins/${owner.id}`, owner, undefined],
      ['DELETE', `/groups/${id}/admins/${ann.id}`, eve, undefined],
      ['PUT', `/groups/${id}/mutes/${ann.id}`, owner, { until: 1 }],
      ['PUT', `/groups/${id}/mutes/${ann.id}`, owner, { until: 'later' }],
      ['PUT', `/groups/${id}/mutes/${ann.id}`, owner, { until: 2e15, x: 1 }],
      ['PUT', `/groups/${id}/mutes/${owner.id}`, ann, {}],
      ['PUT', `/groups/${id}/mutes/${owner.id}`, owner, {}],
      ['DELETE', `/groups/${id}/mutes/${ann.id}`, owner, undefined],
      ['GET', `/groups/${id}/join-requests`, ann, undefined],
      ['GET', `/groups/${id}/join-requests`, eve, undefined],
      ['POST', `/groups/${id}/join-requests/gjnothing-at-all/approve`, owner, undefined],
      ['POST', `/groups/${id}/join-requests/nope/decline`, owner, undefined],
      ['POST', `/groups/${id}/join-requests/gjnothing-at-all/approve`, ann, undefined],
      ['GET', '/admin/im/temporary-groups', owner, undefined],
      ['PUT', '/admin/im/settings', owner, { temporaryGroupIdleDays: 1 }],
      ['GET', '/admin/im/settings', null, undefined],
      ...junk.map((body): [string, string, TestPerson | null, unknown] => ['PATCH', `/groups/${id}`, owner, body]),
      ...junk.map((body): [string, string, TestPerson | null, unknown] => ['POST', `/groups/${id}/members`, owner, body]),
      ...junk.map((body): [string, string, TestPerson | null, unknown] => ['PUT', `/groups/${id}/mutes/${ann.id}`, owner, body]),
    ];
    for (const [method, path, who, body] of cases) {
      const reply = await api(server.url, method, path, t(who), body);
      const what = `${method} ${path.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 80)}`;
      expect(reply.status, what).toBeGreaterThanOrEqual(400);
      expect(reply.status, what).toBeLessThan(500);
      expect(IM_ERROR_CODES, what).toContain(reply.body.error.code);
    }
    // Malformed JSON, and JSON that is not an object.
    for (const raw of ['{"name":', '"just a string"', '[1,2]']) {
      const res = await fetch(`${server.url}/api/v1/groups/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${owner.accessToken}`, 'content-type': 'application/json' }, body: raw });
      expect(res.status).toBe(400);
    }
    expect(await state()).toEqual(before);
  });
});
