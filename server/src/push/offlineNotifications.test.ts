/**
 * Offline notifications through a whole server: B's browser subscribes over
 * REST (its own P-256 keys and auth secret, as PushManager makes them) to a
 * push service on 127.0.0.1; while B is connected nothing is pushed; once B's
 * last /account socket is gone, A's two messages arrive at B's push service as
 * one notification, which B's keys decrypt (RFC 8291) to the fixed payload
 * with the conversation's URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserKeys, decryptAes128gcm, PushEndpoint } from '@muster/push/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { imPeople } from '../im/testing/people.ts';

describe('offline notifications through a whole server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let service: PushEndpoint;
  const { api, signup, befriend, device, closeAll } = imPeople(() => server);

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
});
