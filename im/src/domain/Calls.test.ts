/**
 * Call states with real accounts, contacts and conversations, on the test
 * clock: accept (the callee's other devices stop ringing), decline, cancel,
 * busy, no answer at 45 s, hang-up with a duration; a blocked caller is
 * refused with nothing stored; a call is its two people's only, and each
 * outcome leaves one call record in the chat.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { useTestDatabase } from '@muster/db/testing';
import { mulberry32 } from '@muster/kit/testing';
import { CALL_RING_MS, StartCallSchema } from '../callProtocol.ts';
import type { CallRooms } from './Calls.ts';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';

describe('calls from a chat', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async () => {
    const world = await openImTestWorld(await testDb.open());
    const rooms = { open: new Map<string, readonly string[]>(), closed: [] as string[] };
    const callRooms: CallRooms = {
      openPrivate: (roomId, userIds) => void rooms.open.set(roomId, userIds),
      closePrivate: (roomId) => void rooms.closed.push(roomId),
    };
    world.im.calls.useRooms(callRooms);
    const { person, befriend, conversations } = world;
    const [ann, ben] = [await person('Ann'), await person('Ben')];
    await befriend(ann, ben);
    const chat = await conversations.openDirect(ann, ben.accountId);
    const events = (name: string, to?: Principal) => world.deliveries.filter((d) => d.event === name && (!to || d.to.includes(to.accountId))).map((d) => d.payload as any);
    const records = async () => (await conversations.messages(ann, chat.id, {})).filter((m) => m.notice?.kind === 'call').map((m) => m.notice!.detail);
    return { ...world, calls: world.im.calls, rooms, ann, ben, chat, events, records };
  };

  it('rings every device of the callee; one accepts, the others stop; hang-up records the duration', async () => {
    const { calls, rooms, ann, ben, chat, events, records, t } = await setup();
    const call = await calls.start(ann, { conversationId: chat.id, media: 'video' });
    expect(call).toMatchObject({ state: 'ringing', kind: 'direct', media: 'video', calleeId: ben.accountId, caller: { id: ann.accountId, nickname: 'Ann' }, answeredAt: null });
    expect(call.roomId).toMatch(/^call-/);
    // The room admits exactly the two of them.
    expect([...rooms.open.get(call.roomId!)!].sort()).toEqual([ann.accountId, ben.accountId].sort());
    const [ring] = events('im.call.ring', ben);
    expect(ring).toMatchObject({ callId: call.id, conversationId: chat.id, media: 'video', caller: { id: ann.accountId, nickname: 'Ann' }, roomId: call.roomId });
    expect(events('im.call.ring', ann)).toEqual([]);

    t.clock.advance(3_000);
    const accepted = await calls.accept(ben, call.id);
    expect(accepted).toMatchObject({ state: 'connected', answeredAt: call.createdAt + 3_000 });
    expect(events('im.call.accepted', ann)).toEqual([{ callId: call.id, roomId: call.roomId, answeredAt: accepted.answeredAt }]);
    // Ben's other devices stop ringing (the one that accepted knows it did).
    expect(events('im.call.stop', ben)).toEqual([{ callId: call.id, reason: 'answered-elsewhere' }]);
    // A second accept (Ben's other device, at the same moment) is refused.
    expect(await imErrorCode(calls.accept(ben, call.id))).toBe('CALL_STATE');
    expect(await imErrorCode(calls.cancel(ann, call.id))).toBe('CALL_STATE');

    t.clock.advance(65_000);
    await calls.sweep();
    expect((await calls.get(ann, call.id)).state).toBe('connected'); // a call that was answered never rings out
    const ended = await calls.hangup(ann, call.id);
    expect(ended).toMatchObject({ state: 'ended', durationMs: 65_000, endedBy: ann.accountId, roomId: null });
    expect(rooms.closed).toEqual([call.roomId]);
    expect(events('im.call.ended', ben).map((c) => c.state)).toEqual(['ended']);
    expect(await records()).toEqual([{ callId: call.id, media: 'video', outcome: 'ended', calleeId: ben.accountId, durationMs: 65_000 }]);
    expect(await imErrorCode(calls.hangup(ben, call.id))).toBe('CALL_STATE');
    // Both see the record in the chat.
    expect((await calls.get(ben, call.id)).state).toBe('ended');
  });

  it('decline, cancel and no answer at 45 s each end the call and leave their record', async () => {
    const { calls, rooms, ann, ben, chat, events, records, t } = await setup();
    const declined = await calls.start(ann, { conversationId: chat.id, media: 'voice' });
    expect(await imErrorCode(calls.decline(ann, declined.id))).toBe('CALL_STATE'); // the caller cancels, not declines
    expect(await imErrorCode(calls.hangup(ben, declined.id))).toBe('CALL_STATE'); // not answered yet
    expect(await calls.decline(ben, declined.id)).toMatchObject({ state: 'declined', endedBy: ben.accountId });
    expect(events('im.call.ended', ann).at(-1)).toMatchObject({ id: declined.id, state: 'declined' });
    expect(events('im.call.stop', ben).at(-1)).toEqual({ callId: declined.id, reason: 'declined' });

    const cancelled = await calls.start(ben, { conversationId: chat.id, media: 'video' });
    expect(await imErrorCode(calls.cancel(ann, cancelled.id))).toBe('CALL_STATE'); // the callee declines, not cancels
    expect(await calls.cancel(ben, cancelled.id)).toMatchObject({ state: 'cancelled' });
    expect(events('im.call.stop', ann).at(-1)).toEqual({ callId: cancelled.id, reason: 'cancelled' });
    expect(await imErrorCode(calls.accept(ann, cancelled.id))).toBe('CALL_STATE');

    const missed = await calls.start(ann, { conversationId: chat.id, media: 'video' });
    t.clock.advance(CALL_RING_MS - 1);
    await calls.sweep();
    expect((await calls.get(ben, missed.id)).state).toBe('ringing');
    t.clock.advance(1);
    await calls.sweep();
    expect(await calls.get(ben, missed.id)).toMatchObject({ state: 'missed', endedBy: null, roomId: null });
    expect(events('im.call.stop', ben).at(-1)).toEqual({ callId: missed.id, reason: 'missed' });
    expect(await imErrorCode(calls.accept(ben, missed.id))).toBe('CALL_STATE');

    expect((await records()).map((r) => [r!.callId, r!.outcome, r!.durationMs])).toEqual([
      [declined.id, 'declined', null],
      [cancelled.id, 'cancelled', null],
      [missed.id, 'missed', null],
    ]);
    expect(rooms.closed).toEqual([declined.roomId, cancelled.roomId, missed.roomId]);
    // Nobody is in a call any more: a new one rings.
    expect((await calls.start(ben, { conversationId: chat.id, media: 'voice' })).state).toBe('ringing');
  });

  it('busy: the callee is ringing or talking in another call; the caller may not start two', async () => {
    const { calls, ann, ben, chat, records, person, befriend, conversations, events } = await setup();
    const cat = await person('Cat');
    await befriend(cat, ben);
    await befriend(cat, ann);
    const catBen = await conversations.openDirect(cat, ben.accountId);
    const catAnn = await conversations.openDirect(cat, ann.accountId);
    const first = await calls.start(ann, { conversationId: chat.id, media: 'video' });
    expect(await imErrorCode(calls.start(ann, { conversationId: chat.id, media: 'voice' }))).toBe('IN_CALL');
    // Ben is ringing: Cat gets busy, and Ben is not rung again.
    const busy = await calls.start(cat, { conversationId: catBen.id, media: 'voice' });
    expect(busy).toMatchObject({ state: 'busy', roomId: null });
    expect(events('im.call.ring', ben).map((r) => r.callId)).toEqual([first.id]);
    // Ann is in a call too (as the caller).
    expect((await calls.start(cat, { conversationId: catAnn.id, media: 'voice' })).state).toBe('busy');
    await calls.accept(ben, first.id);
    expect((await calls.start(cat, { conversationId: catBen.id, media: 'video' })).state).toBe('busy');
    await calls.hangup(ben, first.id);
    expect((await calls.start(cat, { conversationId: catBen.id, media: 'video' })).state).toBe('ringing');
    const busyRecords = (await conversations.messages(cat, catBen.id, {})).filter((m) => m.notice?.kind === 'call').map((m) => m.notice!.detail!.outcome);
    expect(busyRecords).toEqual(['busy', 'busy']);
    expect((await records()).map((r) => r!.outcome)).toEqual(['ended']);
  });

  it('a blocked caller is refused and nothing is stored; strangers to the chat or call get NOT_FOUND', async () => {
    const { calls, contacts, ann, ben, chat, deliveries, person, store } = await setup();
    const eve = await person('Eve');
    await contacts.block(ben, ann.accountId);
    const before = deliveries.length;
    expect(await imErrorCode(calls.start(ann, { conversationId: chat.id, media: 'video' }))).toBe('REFUSED_BY_RECIPIENT');
    expect(deliveries.length).toBe(before);
    expect(await store.countMessages(chat.id)).toBe(0);
    expect(await calls.active(ann)).toEqual([]);
    await contacts.unblock(ben, ann.accountId);
    // Ben blocked nobody the other way: he may call Ann.
    expect(await imErrorCode(calls.start(eve, { conversationId: chat.id, media: 'video' }))).toBe('NOT_FOUND');
    expect(await imErrorCode(calls.start(ann, { conversationId: 'cvnotaconversation00', media: 'video' }))).toBe('NOT_FOUND');
    const call = await calls.start(ann, { conversationId: chat.id, media: 'voice' });
    expect(await imErrorCode(calls.get(eve, call.id))).toBe('NOT_FOUND');
    for (const action of ['accept', 'decline', 'cancel', 'hangup'] as const) expect(await imErrorCode(calls[action](eve, call.id))).toBe('NOT_FOUND');
    expect((await calls.active(ben)).map((c) => c.id)).toEqual([call.id]);
    expect(await calls.active(eve)).toEqual([]);
  });

  it('a connected call whose room stays empty for 30 s ends by itself', async () => {
    const { calls, im, ann, ben, chat, records, t } = await setup();
    const people = new Map<string, number>();
    im.calls.useRooms({ openPrivate: () => undefined, closePrivate: () => undefined, occupancy: (roomId) => people.get(roomId) ?? 0 });
    const call = await calls.start(ann, { conversationId: chat.id, media: 'video' });
    await calls.accept(ben, call.id);
    people.set(call.roomId!, 2);
    t.clock.advance(60_000);
    await calls.sweep();
    expect((await calls.get(ann, call.id)).state).toBe('connected');
    // Both closed their tabs.
    people.set(call.roomId!, 0);
    await calls.sweep();
    t.clock.advance(29_999);
    await calls.sweep();
    expect((await calls.get(ann, call.id)).state).toBe('connected');
    t.clock.advance(1);
    await calls.sweep();
    expect(await calls.get(ann, call.id)).toMatchObject({ state: 'ended', endedBy: null, durationMs: 90_000 });
    expect((await records()).map((r) => r!.outcome)).toEqual(['ended']);
    // Neither is busy any more.
    expect((await calls.start(ben, { conversationId: chat.id, media: 'voice' })).state).toBe('ringing');
  });

  it('a group call starts a meeting and rings the chosen members; a meeting host rings contacts and groups into it', async () => {
    const { calls, im, ann, ben, person, befriend, conversations, events, t } = await setup();
    const [cat, dan] = [await person('Cat'), await person('Dan')];
    await befriend(ann, cat);
    await befriend(ann, dan);
    const meetings = new Map<string, string>();
    im.calls.useRooms({
      openPrivate: () => undefined,
      closePrivate: () => undefined,
      openMeeting: async (ownerId) => {
        const roomId = `gc-${meetings.size + 1}`;
        meetings.set(roomId, ownerId);
        return { roomId, link: `/m/${roomId}` };
      },
      meetingOf: async (roomId, userId) => (meetings.get(roomId) === userId ? { link: `/m/${roomId}`, topic: 'Sync' } : null),
    });
    const group = await im.groups.create(ann, { name: 'Team', members: [ben.accountId, cat.accountId] });
    expect(await imErrorCode(calls.start(ann, { conversationId: group.id, media: 'video' }))).toBe('BAD_REQUEST');
    expect(await imErrorCode(calls.start(ann, { conversationId: group.id, media: 'video', invitees: [dan.accountId] }))).toBe('BAD_REQUEST');
    expect(await imErrorCode(calls.start(dan, { conversationId: group.id, media: 'video', invitees: [ben.accountId] }))).toBe('NOT_FOUND');
    const call = await calls.start(ann, { conversationId: group.id, media: 'video', invitees: [ben.accountId, cat.accountId] });
    expect(call).toMatchObject({ kind: 'group', state: 'ringing', roomId: 'gc-1', link: '/m/gc-1', invitees: [ben.accountId, cat.accountId] });
    expect(meetings.get('gc-1')).toBe(ann.accountId);
    for (const p of [ben, cat]) expect(events('im.call.ring', p).at(-1)).toMatchObject({ callId: call.id, kind: 'group', link: '/m/gc-1', caller: { nickname: 'Ann' } });
    // The group sees that a call started.
    const notices = (await conversations.messages(cat, group.id, {})).filter((m) => m.notice?.kind === 'call');
    expect(notices.map((m) => m.notice!.detail!.outcome)).toEqual(['started']);
    // Ben answers (his other devices stop); Cat does not: her ring stops at 45 s.
    await calls.accept(ben, call.id);
    expect(events('im.call.stop', ben).at(-1)).toEqual({ callId: call.id, reason: 'answered-elsewhere' });
    expect(await imErrorCode(calls.hangup(ben, call.id))).toBe('CALL_STATE');
    // Answered: it no longer rings for Ben (a reload does not bring it back); Cat's still does.
    expect(await calls.active(ben)).toEqual([]);
    expect((await calls.active(cat)).map((c) => c.id)).toEqual([call.id]);
    t.clock.advance(45_000);
    await calls.sweep();
    expect(events('im.call.stop', cat).at(-1)).toEqual({ callId: call.id, reason: 'missed' });

    // Inviting into a meeting: only its owner; contacts and the members of their groups.
    expect(await imErrorCode(calls.inviteToMeeting(ben, 'gc-1', { userIds: [ann.accountId] }))).toBe('NOT_FOUND');
    expect(await imErrorCode(calls.inviteToMeeting(ann, 'not-a-meeting', { userIds: [dan.accountId] }))).toBe('NOT_FOUND');
    const eve = await person('Eve');
    expect(await imErrorCode(calls.inviteToMeeting(ann, 'gc-1', { userIds: [eve.accountId] }))).toBe('NOT_FOUND');
    const invited = await calls.inviteToMeeting(ann, 'gc-1', { userIds: [dan.accountId], groupIds: [group.id] });
    expect([...invited.invitees!].sort()).toEqual([ben.accountId, cat.accountId, dan.accountId].sort());
    expect(events('im.call.ring', dan).at(-1)).toMatchObject({ callId: invited.id, link: '/m/gc-1', conversationId: null });
    // Someone who blocked the host is left out, silently.
    await im.contacts.block(dan, ann.accountId);
    const again = await calls.inviteToMeeting(ann, 'gc-1', { userIds: [dan.accountId, cat.accountId] });
    expect(again.invitees).toEqual([cat.accountId]);
  });

  it('refuses malformed start bodies (fuzz), and they ring nobody', () => {
    const random = mulberry32(16);
    const values = [null, 1, -1, '', 'x'.repeat(70), 'cv' + 'a'.repeat(50), [], {}, true, 'video', 'voice', 'VIDEO', 'cvabcdefgh12'];
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = {};
      for (const key of ['conversationId', 'media', 'invitees', 'extra']) if (random() < 0.6) body[key] = values[Math.floor(random() * values.length)];
      const parsed = StartCallSchema.safeParse(body);
      if (parsed.success) {
        expect(parsed.data.conversationId).toMatch(/^cv[A-Za-z0-9_-]{8,40}$/);
        expect(['voice', 'video']).toContain(parsed.data.media);
        expect(body.extra).toBeUndefined();
      }
    }
    expect(StartCallSchema.safeParse({ conversationId: 'cvabcdefgh12', media: 'video' }).success).toBe(true);
  });
});
