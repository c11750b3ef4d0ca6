/**
 * Calls from a chat across app hosts: two (and for a while a third) app
 * servers on one PostgreSQL and one Redis, as behind a balancer without
 * stickiness. A call is held by the app that started it; the callee's
 * answer, a hang-up or cancel from a device on another app, and GET /calls
 * there are answered by that app; busy holds across apps; the ring timeout
 * runs on the owner; an owner that stops or dies frees its people; bad
 * requests on the forwarded path get the codes they get locally, and the
 * owner refuses a malformed message on its channel.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionReply } from '@muster/accounts';
import { postgresTestsEnabled } from '@muster/db/testing';
import { createLogger } from '@muster/kit/log';
import { freePort, mulberry32, redisTestsEnabled, TEST_REDIS_URL } from '@muster/kit/testing';
import { waitUntil } from '../../testing/index.ts';
import { appsOnOneRedis, type HostApp as App } from '../../crossHost/testing.ts';
import { LonglinkTestClient } from '../../gateway/testing/LonglinkTestClient.ts';
import { ack, eventsOf as of, imPeople } from '../testing/people.ts';
import { RedisCallDirectory } from './RedisCallDirectory.ts';

const enabled = (await postgresTestsEnabled('the calls-across-hosts test')) && (await redisTestsEnabled('the calls-across-hosts test'));

type People = ReturnType<typeof imPeople>;

describe.skipIf(!enabled)('calls across two apps on one Redis', () => {
  const hosts = appsOnOneRedis();
  const apps = hosts.apps;
  const links: LonglinkTestClient[] = [];
  /** People and devices per app: `on[0]` talks to app 1, `on[1]` to app 2. */
  const on: People[] = [imPeople(() => apps[0]!), imPeople(() => apps[1]!)];
  let phone = 0;
  const phones = new Map<string, string>();

  /** An app as on its own host (its own URL is its relay URL), with the IM settings given. */
  const startApp = (im?: { callRingMs: number }) => hosts.start(im ? { im } : {});
  const key = (kind: 'call-owner' | 'call-busy', id: string) => hosts.key(kind, id);
  /** A new person, signed up through `people`'s app (any app: one database). */
  const person = async (people: People, name: string) => {
    const number = `+86139000071${String(phone++).padStart(2, '0')}`;
    const session = await people.signup(number, name);
    phones.set(session.user.id, number);
    return session;
  };
  /** Two friends and their chat. */
  const friends = async (a: SessionReply, b: SessionReply) => {
    await on[0]!.befriend(a, b);
    return (await on[0]!.api('POST', '/conversations', a.accessToken, { userId: b.user.id })).body as { id: string };
  };
  /** REST as a person through app `host` (0 or 1, or an App). */
  const api = (host: 0 | 1 | App, method: string, path: string, who: SessionReply | undefined, body?: unknown, options?: { raw?: boolean }) =>
    typeof host === 'number' ? on[host]!.api(method, path, who?.accessToken, body, options) : imPeople(() => host).api(method, path, who?.accessToken, body, options);
  const records = async (chatId: string, who: SessionReply) =>
    ((await api(0, 'GET', `/conversations/${chatId}/messages`, who)).body as { notice?: { kind: string; detail: Record<string, unknown> } }[])
      .filter((m) => m.notice?.kind === 'call')
      .map((m) => m.notice!.detail);

  beforeAll(() => hosts.setUp(), 120_000);
  afterAll(async () => {
    for (const link of links) link.close();
    await on[1]!.closeAll();
    await on[0]!.closeAll();
    await hosts.tearDown();
  }, 60_000);

  it('caller on app 1, callee on app 2: rings everywhere, accepted through app 2, one room, hung up through app 1, one record', async () => {
    const ann = await person(on[0]!, 'Ann');
    const ben = await person(on[1]!, 'Ben');
    const benPhone = await on[1]!.login(phones.get(ben.user.id)!);
    const chat = await friends(ann, ben);
    const annLaptop = await on[0]!.device(ann.accessToken);
    // Ben's laptop on app 2, his tablet on app 1, his phone on app 2's longlink.
    const benLaptop = await on[1]!.device(ben.accessToken);
    const benTablet = await on[0]!.device(ben.accessToken);
    const benLink = await LonglinkTestClient.signIn(apps[1]!.url, benPhone.accessToken);
    links.push(benLink);

    const started = await api(0, 'POST', '/calls', ann, { conversationId: chat.id, media: 'video' });
    expect(started.status).toBe(201);
    const call = started.body;
    expect(call).toMatchObject({ state: 'ringing', calleeId: ben.user.id });
    // Held by app 1; both people claimed, in Redis.
    expect(await hosts.redis.get(key('call-owner', call.id))).toBeTruthy();
    expect(await hosts.redis.mget(key('call-busy', ann.user.id), key('call-busy', ben.user.id))).toEqual([call.id, call.id]);
    await waitUntil(() => of(benLaptop, 'im.call.ring').length === 1 && of(benTablet, 'im.call.ring').length === 1 && benLink.events('im.call.ring').length === 1, 10_000, 'every device of Ben rings');

    // A device of Ben's that opens on app 2 finds the call there, and so does its state.
    expect((await api(1, 'GET', '/calls', ben)).body.map((c: { id: string }) => c.id)).toEqual([call.id]);
    expect((await api(1, 'GET', `/calls/${call.id}`, ben)).body).toMatchObject({ id: call.id, state: 'ringing', roomId: call.roomId });

    // Ben answers on his phone (longlink, app 2): the caller connects, his other devices stop ringing.
    const accepted = await benLink.request('im.call.accept', { callId: call.id });
    expect(accepted).toMatchObject({ ok: true, d: { id: call.id, state: 'connected', roomId: call.roomId } });
    await waitUntil(() => of(annLaptop, 'im.call.accepted').length === 1, 10_000, 'Ann told on app 1');
    expect(of(annLaptop, 'im.call.accepted')[0]).toMatchObject({ callId: call.id, roomId: call.roomId });
    await waitUntil(() => of(benLaptop, 'im.call.stop').length === 1 && of(benTablet, 'im.call.stop').length === 1, 10_000, 'Ben’s laptop (app 2) and tablet (app 1) stop ringing');
    for (const device of [benLaptop, benTablet]) expect(of(device, 'im.call.stop')[0]).toEqual({ callId: call.id, reason: 'answered-elsewhere' });
    // A second answer, from Ben's laptop through app 2, is refused as on app 1.
    expect(await api(1, 'POST', `/calls/${call.id}/accept`, ben)).toMatchObject({ status: 409, body: { error: { code: 'CALL_STATE' } } });
    // Both see the same state and room, through either app.
    for (const host of [0, 1] as const) for (const who of [ann, ben]) expect((await api(host, 'GET', `/calls/${call.id}`, who)).body).toMatchObject({ state: 'connected', roomId: call.roomId });

    const ended = await api(0, 'POST', `/calls/${call.id}/hangup`, ann);
    expect(ended.body).toMatchObject({ state: 'ended', roomId: null, endedBy: ann.user.id });
    await waitUntil(() => of(benLaptop, 'im.call.ended').length === 1 && of(annLaptop, 'im.call.ended').length === 1 && benLink.events('im.call.ended').length === 1, 10_000, 'the end reaches both');
    expect(await hosts.redis.exists(key('call-busy', ann.user.id), key('call-busy', ben.user.id))).toBe(0);
    // Late requests through app 2 get what app 1 would answer.
    expect((await api(1, 'GET', `/calls/${call.id}`, ben)).body).toMatchObject({ state: 'ended' });
    expect(await api(1, 'POST', `/calls/${call.id}/hangup`, ben)).toMatchObject({ status: 409, body: { error: { code: 'CALL_STATE' } } });
    expect(await records(chat.id, ben)).toEqual([{ callId: call.id, media: 'video', outcome: 'ended', calleeId: ben.user.id, durationMs: expect.any(Number) }]);
  }, 60_000);

  it('declined through app 2; cancelled through app 2 by the caller who started on app 1', async () => {
    const ann = await person(on[0]!, 'Ann2');
    const ben = await person(on[1]!, 'Ben2');
    const chat = await friends(ann, ben);
    const annLaptop = await on[0]!.device(ann.accessToken);
    const benLaptop = await on[1]!.device(ben.accessToken);

    const declined = (await api(0, 'POST', '/calls', ann, { conversationId: chat.id, media: 'voice' })).body;
    await waitUntil(() => of(benLaptop, 'im.call.ring').length === 1, 10_000, 'Ben rings');
    expect(await api(1, 'POST', `/calls/${declined.id}/decline`, ann)).toMatchObject({ status: 409, body: { error: { code: 'CALL_STATE' } } });
    expect((await api(1, 'POST', `/calls/${declined.id}/decline`, ben)).body).toMatchObject({ state: 'declined', endedBy: ben.user.id });
    await waitUntil(() => of(annLaptop, 'im.call.ended').length === 1, 10_000, 'Ann told it was declined');
    expect(of(annLaptop, 'im.call.ended')[0]).toMatchObject({ id: declined.id, state: 'declined' });

    const cancelled = (await api(0, 'POST', '/calls', ann, { conversationId: chat.id, media: 'video' })).body;
    expect(cancelled.state).toBe('ringing');
    await waitUntil(() => of(benLaptop, 'im.call.ring').length === 2, 10_000, 'Ben rings again');
    expect(await api(1, 'POST', `/calls/${cancelled.id}/cancel`, ben)).toMatchObject({ status: 409, body: { error: { code: 'CALL_STATE' } } });
    expect((await api(1, 'POST', `/calls/${cancelled.id}/cancel`, ann)).body).toMatchObject({ state: 'cancelled', endedBy: ann.user.id });
    await waitUntil(() => of(benLaptop, 'im.call.stop').some((s) => s.callId === cancelled.id), 10_000, 'Ben stops ringing');
    expect(of(benLaptop, 'im.call.stop').find((s) => s.callId === cancelled.id)).toEqual({ callId: cancelled.id, reason: 'cancelled' });
    expect((await records(chat.id, ann)).map((r) => [r.callId, r.outcome])).toEqual([
      [declined.id, 'declined'],
      [cancelled.id, 'cancelled'],
    ]);
  }, 60_000);

  it('busy across apps: a callee in a call held by app 1 is busy to a caller on app 2, and a caller in one may not start another anywhere', async () => {
    const ann = await person(on[0]!, 'Ann3');
    const ben = await person(on[1]!, 'Ben3');
    const cat = await person(on[1]!, 'Cat3');
    const annBen = await friends(ann, ben);
    const catBen = await friends(cat, ben);
    const catAnn = await friends(cat, ann);
    const benLaptop = await on[1]!.device(ben.accessToken);

    const first = (await api(0, 'POST', '/calls', ann, { conversationId: annBen.id, media: 'video' })).body;
    const busy = await api(1, 'POST', '/calls', cat, { conversationId: catBen.id, media: 'voice' });
    expect(busy).toMatchObject({ status: 201, body: { state: 'busy', roomId: null } });
    // Ann, the caller, is in a call as well: busy to Cat, and IN_CALL if she calls through app 2.
    expect((await api(1, 'POST', '/calls', cat, { conversationId: catAnn.id, media: 'voice' })).body.state).toBe('busy');
    expect(await api(1, 'POST', '/calls', ann, { conversationId: catAnn.id, media: 'voice' })).toMatchObject({ status: 409, body: { error: { code: 'IN_CALL' } } });
    await api(1, 'POST', `/calls/${first.id}/accept`, ben);
    expect((await api(1, 'POST', '/calls', cat, { conversationId: catBen.id, media: 'video' })).body.state).toBe('busy');
    await api(1, 'POST', `/calls/${first.id}/hangup`, ben);

    // Free again: Cat's call through app 2 rings, and is held there; Ben answers it through app 1.
    const second = (await api(1, 'POST', '/calls', cat, { conversationId: catBen.id, media: 'video' })).body;
    expect(second.state).toBe('ringing');
    expect((await api(0, 'POST', `/calls/${second.id}/accept`, ben)).body).toMatchObject({ state: 'connected', roomId: second.roomId });
    expect((await api(0, 'POST', `/calls/${second.id}/hangup`, cat)).body.state).toBe('ended');
    await waitUntil(() => of(benLaptop, 'im.call.ended').length === 2, 10_000, 'both ends reach Ben');
    expect(of(benLaptop, 'im.call.ring').map((r) => r.callId)).toEqual([first.id, second.id]);
    const catBenRecords = (await records(catBen.id, cat)).map((r) => r.outcome);
    expect(catBenRecords).toEqual(['busy', 'busy', 'ended']);
  }, 60_000);

  it('a group call held by app 1 is listed, answered and declined through app 2', async () => {
    const ann = await person(on[0]!, 'Ann4');
    const ben = await person(on[1]!, 'Ben4');
    const cat = await person(on[1]!, 'Cat4');
    await friends(ann, ben);
    await friends(ann, cat);
    const group = (await api(0, 'POST', '/groups', ann, { name: 'Team', members: [ben.user.id, cat.user.id] })).body as { id: string };
    const [benLaptop, benTablet] = [await on[1]!.device(ben.accessToken), await on[0]!.device(ben.accessToken)];
    const call = (await api(0, 'POST', '/calls', ann, { conversationId: group.id, media: 'video', invitees: [ben.user.id, cat.user.id] })).body;
    expect(call).toMatchObject({ kind: 'group', state: 'ringing' });
    await waitUntil(() => of(benLaptop, 'im.call.ring').length === 1 && of(benTablet, 'im.call.ring').length === 1, 10_000, 'Ben rings on both apps');
    for (const who of [ben, cat]) expect((await api(1, 'GET', '/calls', who)).body.map((c: { id: string }) => c.id)).toEqual([call.id]);
    expect((await api(1, 'POST', `/calls/${call.id}/accept`, ben)).body).toMatchObject({ id: call.id, link: call.link });
    await waitUntil(() => of(benTablet, 'im.call.stop').length === 1, 10_000, 'Ben’s tablet on app 1 stops ringing');
    expect((await api(1, 'POST', `/calls/${call.id}/decline`, cat)).status).toBe(200);
    // Answered: it no longer rings for them, through either app.
    for (const host of [0, 1] as const) for (const who of [ben, cat]) expect((await api(host, 'GET', '/calls', who)).body).toEqual([]);
  }, 60_000);

  it('refuses bad requests through app 2 with the codes app 1 gives, and nobody rings; the owner refuses garbage on its channel', async () => {
    const rand = mulberry32(7_204);
    const ann = await person(on[0]!, 'Ann5');
    const ben = await person(on[1]!, 'Ben5');
    const eve = await person(on[1]!, 'Eve5');
    const chat = await friends(ann, ben);
    const benLaptop = await on[1]!.device(ben.accessToken);
    const call = (await api(0, 'POST', '/calls', ann, { conversationId: chat.id, media: 'voice' })).body;
    await waitUntil(() => of(benLaptop, 'im.call.ring').length === 1, 10_000, 'Ben rings');
    const stranger = `ca${randomBytes(15).toString('base64url')}`;
    const ids: unknown[] = [call.id, stranger, null, 1, '', 'canot-a-call-id', `${call.id}!`, 'x'.repeat(300), {}, []];
    const actions = ['accept', 'decline', 'cancel', 'hangup', 'get'] as const;
    const pick = <T,>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    /** Nothing here may change the call: Ann only reads or does what a ringing caller may not; Eve is a stranger to it. */
    const harmless = (who: SessionReply, action: (typeof actions)[number], id: unknown) => !(who === ann && id === call.id && action === 'cancel');

    // The socket requests, side by side on both apps (each device well inside its request burst).
    const devices = [
      [await on[0]!.device(ann.accessToken), await on[1]!.device(ann.accessToken)],
      [await on[0]!.device(eve.accessToken), await on[1]!.device(eve.accessToken)],
    ] as const;
    for (let i = 0; i < 36; i++) {
      const w = i % 2;
      const who = w === 0 ? ann : eve;
      const action = pick(actions);
      const payload: Record<string, unknown> = { callId: pick(ids) };
      if (rand() < 0.2) payload[pick(['v', 'extra', 'conversationId'])] = pick([1, 'x', null]);
      if (!harmless(who, action, payload.callId)) continue;
      const [here, there] = [await ack(devices[w]![0], `im.call.${action}`, payload), await ack(devices[w]![1], `im.call.${action}`, payload)];
      const what = `${action} ${JSON.stringify(payload)} as ${w === 0 ? 'Ann' : 'Eve'}`;
      expect({ ok: there.ok, code: there.error?.code, state: there.data?.state }, what).toEqual({ ok: here.ok, code: here.error?.code, state: here.data?.state });
      expect(there.error?.code, what).not.toBe('INTERNAL');
    }
    // REST, side by side.
    for (let i = 0; i < 30; i++) {
      const who = i % 2 === 0 ? ann : eve;
      const action = pick(actions);
      const id = pick([call.id, stranger, 'canot-a-call-id', `${call.id}%00`, '..%2Fx', 'ca' + 'a'.repeat(60)]);
      if (!harmless(who, action, id)) continue;
      const [method, path] = action === 'get' ? ['GET', `/calls/${id}`] : ['POST', `/calls/${id}/${action}`];
      const body = method === 'POST' && rand() < 0.3 ? '{"callId":' : undefined;
      const [here, there] = [await api(0, method, path, who, body, { raw: true }), await api(1, method, path, who, body, { raw: true })];
      const what = `${method} ${path} as ${who === ann ? 'Ann' : 'Eve'}`;
      expect({ status: there.status, code: there.body?.error?.code }, what).toEqual({ status: here.status, code: here.body?.error?.code });
      expect(there.status, what).toBeLessThan(500);
    }
    // Unsigned, through app 2: refused before anything is forwarded.
    expect((await api(1, 'POST', `/calls/${call.id}/accept`, undefined)).status).toBe(401);

    // Garbage straight onto the owner's channel: malformed messages are dropped or refused, never run.
    const owner = (await hosts.redis.get(key('call-owner', call.id)))!;
    const listener = new Redis(TEST_REDIS_URL);
    try {
      const answers: { id: string; error?: { code: string } }[] = [];
      listener.on('message', (_channel: string, raw: string) => answers.push(JSON.parse(raw)));
      await listener.subscribe(`${hosts.prefix}:calls:tester`);
      const channel = `${hosts.prefix}:calls:${owner}`;
      const q = (id: string, fields: Record<string, unknown>) => JSON.stringify({ t: 'q', id, from: 'tester', op: 'accept', callId: call.id, principal: { accountId: ben.user.id, sessionId: 's', role: 'user' }, ...fields });
      for (const raw of ['not json', 'null', '"q"', '5', '[]', '{"t":"q"}', '{"t":"q","id":"x","from":5}', JSON.stringify({ t: 'a', id: 'nobody' })]) await hosts.redis.publish(channel, raw);
      await hosts.redis.publish(channel, q('bad-op', { op: 'explode' }));
      await hosts.redis.publish(channel, q('bad-call', { callId: '../etc' }));
      await hosts.redis.publish(channel, q('bad-principal', { principal: { accountId: 42 } }));
      await hosts.redis.publish(channel, q('no-principal', { principal: null }));
      await hosts.redis.publish(channel, q('text-principal', { principal: 'ben' }));
      await waitUntil(() => answers.length === 5, 10_000, 'the owner refuses the five malformed requests');
      expect(answers.map((a) => [a.id, a.error?.code]).sort()).toEqual([
        ['bad-call', 'BAD_REQUEST'],
        ['bad-op', 'BAD_REQUEST'],
        ['bad-principal', 'BAD_REQUEST'],
        ['no-principal', 'BAD_REQUEST'],
        ['text-principal', 'BAD_REQUEST'],
      ]);
    } finally {
      listener.disconnect();
    }
    // Still ringing, for Ben alone, rung once and told nothing else, and answerable through app 2.
    expect((await api(1, 'GET', `/calls/${call.id}`, ben)).body.state).toBe('ringing');
    expect(benLaptop.events.filter((e) => e.event.startsWith('im.call')).map((e) => e.event)).toEqual(['im.call.ring']);
    expect((await api(1, 'POST', `/calls/${call.id}/decline`, ben)).body.state).toBe('declined');
  }, 90_000);

  it('rings out on the owner (app 3): both see missed; an owner that stops ends its calls and frees its people', async () => {
    const third = await startApp({ callRingMs: 1_500 });
    const onC = imPeople(() => third);
    try {
      const dee = await person(on[0]!, 'Dee');
      const eli = await person(on[1]!, 'Eli');
      const fay = await person(on[1]!, 'Fay');
      const chat = await friends(dee, eli);
      const fayEli = await friends(fay, eli);
      const deeLaptop = await onC.device(dee.accessToken);
      const eliLaptop = await on[1]!.device(eli.accessToken);

      // Nobody answers: the owner's timer makes it missed, and says so to both.
      const missed = (await api(third, 'POST', '/calls', dee, { conversationId: chat.id, media: 'voice' })).body;
      expect(missed.state).toBe('ringing');
      await waitUntil(() => of(eliLaptop, 'im.call.stop').some((s) => s.callId === missed.id), 15_000, 'Eli stops ringing');
      expect(of(eliLaptop, 'im.call.stop').find((s) => s.callId === missed.id)).toEqual({ callId: missed.id, reason: 'missed' });
      await waitUntil(() => of(deeLaptop, 'im.call.ended').length === 1, 10_000, 'Dee told it was missed');
      expect(of(deeLaptop, 'im.call.ended')[0]).toMatchObject({ id: missed.id, state: 'missed' });
      expect((await api(1, 'GET', `/calls/${missed.id}`, eli)).body).toMatchObject({ state: 'missed' });

      // A call held by app 3, answered through app 2; then app 3 stops.
      const live = (await api(third, 'POST', '/calls', dee, { conversationId: chat.id, media: 'video' })).body;
      expect((await api(1, 'POST', `/calls/${live.id}/accept`, eli)).body.state).toBe('connected');
      expect((await api(1, 'POST', '/calls', fay, { conversationId: fayEli.id, media: 'voice' })).body.state).toBe('busy');
      await onC.closeAll();
      await waitUntil(() => of(eliLaptop, 'im.call.ended').some((c) => c.id === live.id), 10_000, 'Eli told the call ended with its app');
      expect(await hosts.redis.exists(key('call-busy', dee.user.id), key('call-busy', eli.user.id), key('call-owner', live.id))).toBe(0);
      // Its calls are gone with it; Eli is free for the next call, wherever it starts.
      expect(await api(1, 'GET', `/calls/${live.id}`, eli)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
      const next = (await api(1, 'POST', '/calls', fay, { conversationId: fayEli.id, media: 'voice' })).body;
      expect(next.state).toBe('ringing');
      await api(1, 'POST', `/calls/${next.id}/cancel`, fay);
      expect((await records(chat.id, dee)).map((r) => [r.callId, r.outcome])).toEqual([
        [missed.id, 'missed'],
        [live.id, 'ended'],
      ]);
    } finally {
      await onC.closeAll();
    }
  }, 120_000);

  it('an owner that died without a word: its claims lapse by themselves, and hanging up its call answers NOT_FOUND and frees you at once', async () => {
    const gus = await person(on[0]!, 'Gus');
    const hal = await person(on[1]!, 'Hal');
    const ivy = await person(on[1]!, 'Ivy');
    const gusIvy = await friends(gus, ivy);
    const halIvy = await friends(hal, ivy);
    // What an app that crashed mid-call leaves behind: its record of the call, and both people's claims.
    const ghost = `ca${randomBytes(15).toString('base64url')}`;
    await hosts.redis
      .multi()
      .set(key('call-owner', ghost), 'a-dead-app', 'PX', 60_000)
      .set(key('call-busy', gus.user.id), ghost, 'PX', 1_500)
      .set(key('call-busy', hal.user.id), ghost, 'PX', 60_000)
      .exec();

    // Gus's claim lapses: busy until it does, then his calls ring.
    expect((await api(1, 'POST', '/calls', ivy, { conversationId: gusIvy.id, media: 'voice' })).body.state).toBe('busy');
    await waitUntil(async () => (await hosts.redis.exists(key('call-busy', gus.user.id))) === 0, 10_000, 'Gus’s claim lapsed');
    const rings = (await api(1, 'POST', '/calls', ivy, { conversationId: gusIvy.id, media: 'voice' })).body;
    expect(rings.state).toBe('ringing');
    await api(0, 'POST', `/calls/${rings.id}/cancel`, ivy);

    // Hal's would last a minute: his hang-up finds the owner gone, NOT_FOUND, and he is free at once.
    expect((await api(0, 'POST', '/calls', ivy, { conversationId: halIvy.id, media: 'voice' })).body.state).toBe('busy');
    expect(await api(1, 'POST', `/calls/${ghost}/hangup`, hal)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await hosts.redis.exists(key('call-busy', hal.user.id), key('call-owner', ghost))).toBe(0);
    const halRings = (await api(0, 'POST', '/calls', ivy, { conversationId: halIvy.id, media: 'voice' })).body;
    expect(halRings.state).toBe('ringing');
    await api(1, 'POST', `/calls/${halRings.id}/cancel`, ivy);
  }, 60_000);

  it('an owner that is alive but does not answer: UNAVAILABLE with a retry, and its call and claims stay', async () => {
    const jo = await person(on[0]!, 'Jo');
    const ghost = `ca${randomBytes(15).toString('base64url')}`;
    const mute = new Redis(TEST_REDIS_URL);
    try {
      await hosts.redis.multi().set(key('call-owner', ghost), 'a-mute-app', 'PX', 60_000).set(key('call-busy', jo.user.id), ghost, 'PX', 60_000).set(`${hosts.prefix}:call-app:a-mute-app`, '1', 'PX', 60_000).exec();
      // Alive, but not listening (its subscription reconnecting): refused at once.
      const notListening = await api(1, 'POST', `/calls/${ghost}/hangup`, jo);
      expect(notListening).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } } });
      // Listening, but silent: refused once the wait for its answer is over.
      await mute.subscribe(`${hosts.prefix}:calls:a-mute-app`);
      const silent = await fetch(`${apps[1]!.url}/api/v1/calls/${ghost}/hangup`, { method: 'POST', headers: { authorization: `Bearer ${jo.accessToken}` } });
      expect(silent.status).toBe(503);
      expect(silent.headers.get('retry-after')).toBe('1');
      expect(((await silent.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
      // Nothing was taken for gone: the call is still its owner's, Jo still in it.
      expect(await hosts.redis.mget(key('call-owner', ghost), key('call-busy', jo.user.id))).toEqual(['a-mute-app', ghost]);
    } finally {
      mute.disconnect();
      await hosts.redis.del(key('call-owner', ghost), key('call-busy', jo.user.id), `${hosts.prefix}:call-app:a-mute-app`);
    }
  }, 60_000);
});

describe('calls across apps while Redis is away', () => {
  it('refuses to start or forward with UNAVAILABLE, and ends and closes without throwing', async () => {
    const port = await freePort();
    const directory = new RedisCallDirectory({ redisUrl: `redis://127.0.0.1:${port}`, prefix: 'away', logger: createLogger({ level: 'silent' }) });
    try {
      expect(await directory.ready(200)).toBe(false);
      const principal = { accountId: 'acc-nobody-1', sessionId: 's', role: 'user' as const };
      const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);
      expect(await codeOf(directory.claim({ id: 'caAAAAAAAAAAAAAAAAAAAA', callerId: 'acc-a', calleeId: 'acc-b' }))).toBe('UNAVAILABLE');
      expect(await codeOf(directory.hold({ id: 'caBBBBBBBBBBBBBBBBBBBB', invitees: ['acc-a'], ringsUntil: Date.now() + 1_000 }))).toBe('UNAVAILABLE');
      expect(await codeOf(directory.forward({ op: 'get', callId: 'caAAAAAAAAAAAAAAAAAAAA', principal }))).toBe('UNAVAILABLE');
      expect(await codeOf(directory.callsOf('acc-a'))).toBe('UNAVAILABLE');
      await directory.ended('caAAAAAAAAAAAAAAAAAAAA', 60_000);
    } finally {
      await directory.close();
    }
  });
});
