/**
 * Offline notifications end to end inside the push domain, over real IM:
 * a local Web Push service decrypts what arrives (RFC 8291, with the
 * browser's keys made here) and checks the VAPID signature (RFC 8292, jose);
 * a local UnifiedPush endpoint gets the JSON itself. Then the rules:
 * collapsing, mute and @mentions through it, do-not-disturb on an injected
 * clock, previews, recalls before delivery, dead subscriptions, redirects,
 * an organisation's own gateway registered through the public API, and
 * devices signed out (by another device, a password change, an admin, or on
 * another process) that get nothing more.
 */
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { silentLogger, useTestDatabase } from '@muster/db/testing';
import { AccountRepository, SessionRepository, type Principal } from '@muster/accounts';
import { isPushError } from '../errors.ts';
import type { NotificationPayload } from '../protocol.ts';
import { browserKeys, decryptAes128gcm, openPushTestWorld, PushEndpoint, type BrowserKeys, type ReceivedPush } from '../testing/index.ts';
import { SubscriptionRepository } from '../store/SubscriptionRepository.ts';
import type { DeliveryResult, OutgoingNotification, PushGateway, PushSubscription, PushTarget } from './PushGateway.ts';

describe('offline notifications', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async (options: { publicUrl?: string } = {}) => {
    const db = await testDb.open();
    const w = await openPushTestWorld(db, { logger: silentLogger, publicUrl: options.publicUrl ?? 'https://chat.example.org' });
    testDb.defer(() => w.t.accounts.close());
    testDb.defer(() => w.im.close());
    testDb.defer(() => w.push.close());
    const service = await PushEndpoint.start();
    testDb.defer(() => service.close());
    const [zhang, li, wang] = [await w.person('张三'), await w.person('李四'), await w.person('王五')];
    await w.befriend(zhang, li);
    await w.befriend(zhang, wang);
    await w.befriend(li, wang);
    const direct = await w.conversations.openDirect(zhang, li.accountId);
    let n = 0;
    const say = (who: Principal, conversationId: string, text: string, extra: { mentions?: string[]; mentionAll?: boolean } = {}) =>
      w.conversations.send(who, conversationId, { clientMsgId: `msg-${String(++n).padStart(6, '0')}`, text, ...extra });
    /** A browser of `who` subscribes; its keys decrypt what arrives. */
    const browser = async (who: Principal) => {
      const keys = browserKeys();
      const endpoint = service.url();
      const { id } = await w.push.subscriptions.subscribe(who, { kind: 'webpush', endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } });
      return { id, keys, endpoint };
    };
    /** Lets the hub's events be applied, moves the clock, and waits for what fell due to be delivered. */
    const after = async (ms: number) => {
      await w.push.notifier.idle();
      w.timers.advance(ms);
      await w.push.notifier.idle();
    };
    /** Another device of `who`: a new session of the same account (as a log-in on a phone makes). */
    const signIn = async (who: Principal, name: string) => {
      const account = (await new AccountRepository(db).get(who.accountId))!;
      const session = await w.t.accounts.auth.startSession(account, { name, platform: 'mobile-web' }, { address: '10.1.2.4' });
      return (await w.t.accounts.guard.authenticate(session.accessToken))!;
    };
    /** Every stored subscription of an account, as the table has them (signed in or not). */
    const stored = (who: Principal) => new SubscriptionRepository(db).forAccount(who.accountId);
    return { ...w, db, service, zhang, li, wang, direct, say, browser, after, signIn, stored };
  };

  const open = (push: ReceivedPush, keys: BrowserKeys): NotificationPayload => JSON.parse(decryptAes128gcm(push.body, keys).toString('utf8'));

  it('pushes one encrypted, VAPID-signed notification to an offline recipient’s browser; the sender and online people get none', async () => {
    const w = await setup();
    const liBrowser = await w.browser(w.li);
    const zhangBrowser = await w.browser(w.zhang);
    await w.say(w.zhang, w.direct.id, '明天开会');
    await w.after(3_000);

    expect(w.service.at(zhangBrowser.endpoint)).toHaveLength(0);
    const [push] = w.service.at(liBrowser.endpoint);
    expect(push).toBeDefined();
    expect(open(push!, liBrowser.keys)).toEqual({
      v: 1,
      kind: 'message',
      conversationId: w.direct.id,
      title: '张三',
      body: 'New message from 张三',
      count: 1,
      url: `/chats/${w.direct.id}`,
      tag: w.direct.id,
    });
    expect(push!.headers).toMatchObject({ 'content-encoding': 'aes128gcm', ttl: '86400', urgency: 'high' });
    expect(push!.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);

    // VAPID (RFC 8292): "vapid t=<JWT>, k=<public key>", the JWT signed ES256 by the server's key, for this push service's origin.
    const auth = /^vapid t=([^,]+), k=(\S+)$/.exec(push!.headers.authorization ?? '');
    expect(auth).not.toBeNull();
    const [, jwt, k] = auth!;
    expect(k).toBe(w.push.vapidPublicKey);
    const point = Buffer.from(w.push.vapidPublicKey, 'base64url');
    const key = await importJWK({ kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') }, 'ES256');
    expect(decodeProtectedHeader(jwt!).alg).toBe('ES256');
    const { payload } = await jwtVerify(jwt!, key, { audience: new URL(liBrowser.endpoint).origin });
    expect(payload.sub).toBe('mailto:admin@localhost');
    expect(payload.exp! * 1000 - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);

    // Online (a connected /account socket): nothing is pushed.
    const offline = w.online(w.li);
    await w.say(w.zhang, w.direct.id, 'are you there?');
    await w.after(20_000);
    expect(w.service.at(liBrowser.endpoint)).toHaveLength(1);
    offline();
    // A later push of the same conversation carries the same Topic, so the push service replaces an undelivered one.
    await w.say(w.zhang, w.direct.id, 'again');
    await w.after(3_000);
    expect(w.service.at(liBrowser.endpoint)).toHaveLength(2);
    expect(w.service.at(liBrowser.endpoint)[1]!.headers.topic).toBe(push!.headers.topic);
    // The subscription records its success.
    expect((await w.push.subscriptions.list(w.li))[0]).toMatchObject({ id: liBrowser.id, kind: 'webpush', lastSuccessAt: w.t.clock.now(), endpointHost: new URL(liBrowser.endpoint).host });
  });

  it('posts the JSON itself to a UnifiedPush endpoint (ntfy: templated title and text, a click that opens the conversation), or encrypts it to registered keys', async () => {
    const w = await setup();
    const plain = w.service.url();
    await w.push.subscriptions.subscribe(w.li, { kind: 'unifiedpush', endpoint: plain });
    const keys = browserKeys();
    const sealed = w.service.url('?up=1');
    await w.push.subscriptions.subscribe(w.li, { kind: 'unifiedpush', endpoint: sealed, keys: { p256dh: keys.p256dh, auth: keys.auth } });
    await w.say(w.zhang, w.direct.id, 'ntfy test');
    await w.after(3_000);

    const [clear] = w.service.at(plain);
    expect(clear!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(clear!.body.toString('utf8'))).toMatchObject({ v: 1, kind: 'message', conversationId: w.direct.id, title: '张三', count: 1, url: `/chats/${w.direct.id}` });
    expect(clear!.headers).toMatchObject({ 'x-template': 'yes', 'x-title': '{{.title}}', 'x-message': '{{.body}}', 'x-click': `https://chat.example.org/chats/${w.direct.id}`, ttl: '86400' });
    expect(clear!.headers.authorization).toBeUndefined();

    const [encrypted] = w.service.at(sealed);
    expect(encrypted!.headers['content-encoding']).toBe('aes128gcm');
    expect(encrypted!.headers['x-title']).toBeUndefined();
    expect(open(encrypted!, keys)).toMatchObject({ conversationId: w.direct.id, title: '张三' });
  });

  it('collapses a burst into one notification after 3 s of quiet, and sends within 15 s of the first message however long the burst', async () => {
    const w = await setup();
    const { endpoint, keys } = await w.browser(w.li);
    for (const text of ['一', '二', '三']) {
      await w.say(w.zhang, w.direct.id, text);
      await w.after(1_000);
    }
    expect(w.service.received).toHaveLength(0);
    await w.after(2_000);
    expect(w.service.at(endpoint).map((p) => open(p, keys))).toEqual([expect.objectContaining({ title: '张三', body: '3 new messages from 张三', count: 3 })]);

    // A message every 2 s: never 3 s of quiet, yet it goes out 15 s after the first.
    for (let i = 0; i < 8; i++) {
      await w.say(w.zhang, w.direct.id, `tick ${i}`);
      await w.after(2_000);
    }
    expect(w.service.at(endpoint)).toHaveLength(2);
    expect(open(w.service.at(endpoint)[1]!, keys).count).toBe(8);
  });

  it('names the group and its senders, honours a mute, and lets an @mention through it', async () => {
    const w = await setup();
    const { endpoint, keys } = await w.browser(w.li);
    const group = await w.im.groups.create(w.zhang, { name: '开发组', members: [w.li.accountId, w.wang.accountId] });
    await w.after(20_000); // the "created" notice is not notified
    expect(w.service.received).toHaveLength(0);

    await w.say(w.zhang, group.id, 'a');
    await w.say(w.wang, group.id, 'b');
    await w.say(w.zhang, group.id, 'c');
    await w.after(3_000);
    expect(open(w.service.at(endpoint)[0]!, keys)).toMatchObject({ title: '开发组', body: '张三 and others in 开发组: 3 new messages', count: 3 });
    expect(w.service.at(endpoint)[0]!.headers.urgency).toBe('normal');

    await w.im.prefs.update(w.li, group.id, { muted: true });
    await w.say(w.zhang, group.id, 'muted, so nothing');
    await w.after(20_000);
    expect(w.service.at(endpoint)).toHaveLength(1);

    await w.say(w.wang, group.id, 'still nothing');
    await w.say(w.zhang, group.id, '@李四 please look', { mentions: [w.li.accountId] });
    await w.after(3_000);
    expect(w.service.at(endpoint)).toHaveLength(2);
    expect(open(w.service.at(endpoint)[1]!, keys)).toMatchObject({ title: '开发组', body: '张三 mentioned you in 开发组', count: 1 });
    expect(w.service.at(endpoint)[1]!.headers.urgency).toBe('high');
  });

  it('sends nothing during do-not-disturb hours and keeps nothing for afterwards (an injected clock)', async () => {
    const w = await setup();
    const { endpoint, keys } = await w.browser(w.li);
    // 22:00–07:00 in Shanghai; the clock set to 23:30 there.
    await w.push.settings.put(w.li, { previews: false, dnd: { start: '22:00', end: '07:00', timeZone: 'Asia/Shanghai' } });
    const shanghai2330 = Date.UTC(2030, 0, 15, 15, 30);
    w.t.clock.advance(shanghai2330 - w.t.clock.now());
    await w.say(w.zhang, w.direct.id, 'late night');
    await w.after(3_000);
    expect(w.service.received).toHaveLength(0);
    expect(w.push.notifier.pending).toBe(0);
    expect(w.timers.pending).toBe(0);
    // Morning: nothing from the night arrives; a new message does.
    await w.after(8 * 3600 * 1000);
    expect(w.service.received).toHaveLength(0);
    await w.say(w.zhang, w.direct.id, 'good morning');
    await w.after(3_000);
    expect(w.service.at(endpoint).map((p) => open(p, keys).count)).toEqual([1]);
  });

  it('carries message text only with previews on, and never a message recalled before it went out', async () => {
    const w = await setup();
    const { endpoint, keys } = await w.browser(w.li);
    const first = await w.say(w.zhang, w.direct.id, '密码是 1234');
    await w.im.conversations.recall(w.zhang, w.direct.id, first.id);
    await w.after(20_000);
    expect(w.service.received).toHaveLength(0);

    await w.push.settings.put(w.li, { previews: true, dnd: null });
    await w.say(w.zhang, w.direct.id, '午饭吃什么？');
    const second = await w.say(w.zhang, w.direct.id, '说错了');
    await w.im.conversations.recall(w.zhang, w.direct.id, second.id);
    await w.after(3_000);
    const [withPreview] = w.service.at(endpoint).map((p) => open(p, keys));
    expect(withPreview).toMatchObject({ title: '张三', body: '午饭吃什么？', count: 1 });
    expect(JSON.stringify(withPreview)).not.toContain('说错了');

    await w.push.settings.put(w.li, { previews: false, dnd: null });
    await w.say(w.zhang, w.direct.id, 'secret plans');
    await w.after(3_000);
    const without = open(w.service.at(endpoint)[1]!, keys);
    expect(without.body).toBe('New message from 张三');
    expect(JSON.stringify(without)).not.toContain('secret');
  });

  it('removes a subscription its push service says is gone (410), and never follows a redirect', async () => {
    const w = await setup();
    const dead = await w.browser(w.li);
    const moved = await w.browser(w.li);
    const alive = await w.browser(w.li);
    w.service.answer(dead.endpoint, 410);
    w.service.redirect(moved.endpoint, alive.endpoint);
    await w.say(w.zhang, w.direct.id, 'hello');
    await w.after(3_000);
    expect(w.service.at(dead.endpoint)).toHaveLength(1);
    expect(w.service.at(moved.endpoint)).toHaveLength(1);
    // The redirect's target got only its own push.
    expect(w.service.at(alive.endpoint)).toHaveLength(1);
    // Both were made in the same millisecond: the listing's order between them is not the point.
    expect((await w.push.subscriptions.list(w.li)).map((s) => s.id).sort()).toEqual([moved.id, alive.id].sort());
  });

  it('delivers through an organisation’s own gateway registered with useGateway (an SMS fallback for @mentions), and refuses kinds no gateway takes', async () => {
    const w = await setup();
    const sent: { to: string; text: string }[] = [];
    const sms: PushGateway = {
      name: 'sms',
      supports: (s: PushTarget) => s.kind === 'sms' && /^tel:\+\d{6,15}$/.test(s.endpoint),
      async deliver(s: PushSubscription, n: OutgoingNotification): Promise<DeliveryResult> {
        if (!n.mentioned) return { status: 'skipped', reason: 'only @mentions go by SMS' };
        sent.push({ to: s.endpoint, text: `${n.payload.title}: ${n.payload.body}` });
        return { status: 'delivered' };
      },
    };
    w.push.useGateway(sms);
    const refused = await w.push.subscriptions.subscribe(w.li, { kind: 'pager', endpoint: 'pager:42' }).catch((e: unknown) => e);
    expect(isPushError(refused, 'BAD_REQUEST')).toBe(true);
    const { id } = await w.push.subscriptions.subscribe(w.li, { kind: 'sms', endpoint: 'tel:+8613800000000' });
    expect(id).toMatch(/^ps/);
    const group = await w.im.groups.create(w.zhang, { name: '值班', members: [w.li.accountId, w.wang.accountId] });
    await w.say(w.zhang, group.id, 'no mention');
    await w.after(3_000);
    expect(sent).toEqual([]);
    await w.say(w.zhang, group.id, '@all 上线', { mentionAll: true });
    await w.after(3_000);
    expect(sent).toEqual([{ to: 'tel:+8613800000000', text: '值班: 张三 mentioned you in 值班' }]);
    expect((await w.push.subscriptions.list(w.li))[0]).toMatchObject({ kind: 'sms', endpointHost: '' });
  });
  it('pushes only to devices still signed in: a device signed out from another loses its subscription at once, and a re-registered endpoint moves to the new session', async () => {
    const w = await setup();
    const laptop = await w.browser(w.li);
    const liPhone = await w.signIn(w.li, 'Phone');
    const phone = await w.browser(liPhone);
    expect((await w.push.subscriptions.list(w.li)).map((s) => s.id).sort()).toEqual([laptop.id, phone.id].sort());

    // From the laptop, Li signs the phone out (accounts' device list).
    await w.t.accounts.auth.signOutDevice(w.li, liPhone.sessionId);
    await w.push.idle();
    expect((await w.stored(w.li)).map((s) => s.id)).toEqual([laptop.id]);
    expect((await w.push.subscriptions.list(w.li)).map((s) => s.id)).toEqual([laptop.id]);

    await w.say(w.zhang, w.direct.id, '只发到笔记本');
    await w.after(3_000);
    expect(w.service.at(laptop.endpoint)).toHaveLength(1);
    expect(w.service.at(phone.endpoint)).toHaveLength(0);

    // The laptop's browser signs in anew (a new session) and registers the same endpoint: same subscription, the new session's.
    const again = await w.signIn(w.li, 'Laptop again');
    const { id } = await w.push.subscriptions.subscribe(again, { kind: 'webpush', endpoint: laptop.endpoint, keys: { p256dh: laptop.keys.p256dh, auth: laptop.keys.auth } });
    expect(id).toBe(laptop.id);
    expect((await w.stored(w.li)).map((s) => s.sessionId)).toEqual([again.sessionId]);
    // So the old session signing out leaves it alone.
    await w.t.accounts.auth.logout(w.li);
    await w.push.idle();
    await w.say(w.zhang, w.direct.id, 'still here');
    await w.after(3_000);
    expect(w.service.at(laptop.endpoint)).toHaveLength(2);
    expect((await w.push.subscriptions.list(again)).map((s) => s.id)).toEqual([laptop.id]);
  });

  it('removes the other devices’ subscriptions when the password is changed, and every one when an admin disables the account', async () => {
    const w = await setup();
    const laptop = await w.browser(w.li);
    const phone = await w.browser(await w.signIn(w.li, 'Phone'));
    const tablet = await w.browser(await w.signIn(w.li, 'Tablet'));
    const zhangs = await w.browser(w.zhang);
    await w.t.accounts.auth.changePassword(w.li, { currentPassword: 'tulip-granite-73', password: 'maple-violin-58' }, { address: '10.1.2.3' });
    await w.push.idle();
    expect((await w.stored(w.li)).map((s) => s.id)).toEqual([laptop.id]);

    await w.say(w.zhang, w.direct.id, 'new password?');
    await w.after(3_000);
    expect(w.service.at(laptop.endpoint)).toHaveLength(1);
    expect(w.service.at(phone.endpoint)).toHaveLength(0);
    expect(w.service.at(tablet.endpoint)).toHaveLength(0);

    // An admin disables Li: every device is signed out, every subscription goes; Zhang's stay.
    await w.t.accounts.admin.setStatus({ accountId: 'root', sessionId: 's', role: 'admin' }, w.li.accountId, 'disabled');
    await w.push.idle();
    expect(await w.stored(w.li)).toEqual([]);
    expect((await w.stored(w.zhang)).map((s) => s.id)).toEqual([zhangs.id]);
  });

  it('skips and deletes, when a notification goes out, the subscription of a session revoked on another process (no revocation event here)', async () => {
    const w = await setup();
    const laptop = await w.browser(w.li);
    const liPhone = await w.signIn(w.li, 'Phone');
    const phone = await w.browser(liPhone);
    // This process hears of no revocation: its guard neither relays events nor reads the database's.
    w.t.accounts.guard.close();
    // Another process signs the phone out: only the shared database knows.
    expect(await new SessionRepository(w.db).revoke(liPhone.sessionId, w.t.clock.now())).toBe(true);
    await w.push.idle();
    expect((await w.stored(w.li)).map((s) => s.id).sort()).toEqual([laptop.id, phone.id].sort());

    await w.say(w.zhang, w.direct.id, 'phone is signed out');
    await w.after(3_000);
    expect(w.service.at(laptop.endpoint)).toHaveLength(1);
    expect(w.service.at(phone.endpoint)).toHaveLength(0);
    expect((await w.stored(w.li)).map((s) => s.id)).toEqual([laptop.id]);
  });
});
