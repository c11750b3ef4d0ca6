/**
 * Offline notifications through a whole server: B's browser subscribes over
 * REST (its own P-256 keys and auth secret, as PushManager makes them) to a
 * push service on 127.0.0.1; while B is connected nothing is pushed; once B's
 * last /account socket is gone, A's two messages arrive at B's push service as
 * one notification, which B's keys decrypt (RFC 8291) to the fixed payload
 * with the conversation's URL. A device B signs out (from another device,
 * or by changing the password there) loses its subscription, and the next
 * notification goes to B's device still signed in only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserKeys, decryptAes128gcm, PushEndpoint } from '@muster/push/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { imPeople, PASSWORD } from '../im/testing/people.ts';

describe('offline notifications through a whole server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let service: PushEndpoint;
  const { api, signup, login, befriend, device, closeAll } = imPeople(() => server);

  beforeAll(async () => {
    server = await startTestServer();
    service = await PushEndpoint.start();
  });
  afterAll(async () => {
    await closeAll();
    await service?.close();
  });

  it('pushes one decrypted notification with the conversation’s URL to B’s browser once B is offline', async () => {
    const a = await signup('+8613900000711', '张三');
    const b = await signup('+8613900000712', '李四');
    await befriend(a, b);
    const keys = browserKeys();
    const endpoint = service.url();
    const key = await api('GET', '/push/vapid-key', b.accessToken);
    expect(key.body.publicKey).toBe(server.push.vapidPublicKey);
    expect((await api('POST', '/push/subscriptions', b.accessToken, { kind: 'webpush', endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } })).status).toBe(201);
    const conversation = (await api('POST', '/conversations', a.accessToken, { userId: b.user.id })).body as { id: string };

    // B online: the message arrives on B's socket; nothing is pushed (checked after a later push proves the notifier ran).
    const bLaptop = await device(b.accessToken);
    await waitUntil(() => server.im.presence.isOnline(b.user.id), 5_000, 'B online');
    await api('POST', `/conversations/${conversation.id}/messages`, a.accessToken, { clientMsgId: 'a-online-0001', type: 'text', text: 'you are online' });
    await waitUntil(() => bLaptop.events.some((e) => e.event === 'im.message'), 5_000, 'the live message on B’s laptop');
    bLaptop.socket.close();
    await waitUntil(() => !server.im.presence.isOnline(b.user.id), 5_000, 'B offline');

    for (const [i, text] of ['下午三点开会', '别迟到'].entries()) {
      expect((await api('POST', `/conversations/${conversation.id}/messages`, a.accessToken, { clientMsgId: `a-offline-000${i}`, type: 'text', text })).status).toBe(201);
    }
    await waitUntil(() => service.at(endpoint).length >= 1, 30_000, 'the notification at B’s push service');
    await server.push.notifier.idle();
    const pushes = service.at(endpoint);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.headers.authorization).toMatch(/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=/);
    const payload = JSON.parse(decryptAes128gcm(pushes[0]!.body, keys).toString('utf8'));
    expect(payload).toEqual({ v: 1, kind: 'message', conversationId: conversation.id, title: '张三', body: '2 new messages from 张三', count: 2, url: `/chats/${conversation.id}`, tag: conversation.id });
    expect((await api('GET', '/push/subscriptions', b.accessToken)).body[0].lastSuccessAt).toEqual(expect.any(Number));
  });
  it('stops pushing to a device signed out from another one, or by a password change there: only the device still signed in gets the next notification', async () => {
    const a = await signup('+8613900000721', '王五');
    const laptop = await signup('+8613900000722', '赵六');
    await befriend(a, laptop);
    const phone = await login('+8613900000722');
    const tablet = await login('+8613900000722');
    const endpoints = { laptop: service.url(), phone: service.url(), tablet: service.url() };
    const ids: Record<string, string> = {};
    for (const [name, session] of [['laptop', laptop], ['phone', phone], ['tablet', tablet]] as const) {
      const created = await api('POST', '/push/subscriptions', session.accessToken, { kind: 'unifiedpush', endpoint: endpoints[name] });
      expect(created.status).toBe(201);
      ids[name] = created.body.id;
    }
    const listed = async () => ((await api('GET', '/push/subscriptions', laptop.accessToken)).body as { id: string }[]).map((s) => s.id).sort();
    expect(await listed()).toEqual([ids.laptop, ids.phone, ids.tablet].sort());

    // From the laptop, the phone is signed out (the device list's "sign out").
    expect((await api('DELETE', `/me/devices/${phone.deviceId}`, laptop.accessToken)).status).toBe(204);
    await server.push.idle();
    expect(await listed()).toEqual([ids.laptop, ids.tablet].sort());

    const conversation = (await api('POST', '/conversations', a.accessToken, { userId: laptop.user.id })).body as { id: string };
    expect((await api('POST', `/conversations/${conversation.id}/messages`, a.accessToken, { clientMsgId: 'a-signout-0001', type: 'text', text: '手机收不到' })).status).toBe(201);
    await waitUntil(() => service.at(endpoints.laptop).length >= 1 && service.at(endpoints.tablet).length >= 1, 30_000, 'the notification at the laptop and the tablet');
    await server.push.notifier.idle();
    expect(service.at(endpoints.phone)).toHaveLength(0);

    // A password change on the laptop signs the tablet out, and its subscription goes.
    expect((await api('PUT', '/me/password', laptop.accessToken, { currentPassword: PASSWORD, password: 'birch-lantern-94' })).status).toBe(204);
    await server.push.idle();
    expect(await listed()).toEqual([ids.laptop]);
    expect((await api('POST', `/conversations/${conversation.id}/messages`, a.accessToken, { clientMsgId: 'a-signout-0002', type: 'text', text: '只有笔记本' })).status).toBe(201);
    await waitUntil(() => service.at(endpoints.laptop).length >= 2, 30_000, 'the second notification at the laptop');
    await server.push.notifier.idle();
    expect(service.at(endpoints.tablet)).toHaveLength(1);
    expect(service.at(endpoints.phone)).toHaveLength(0);
    expect(JSON.parse(service.at(endpoints.laptop)[1]!.body.toString('utf8'))).toMatchObject({ conversationId: conversation.id, title: '王五' });
  });
});
