/**
 * Group administration with real accounts and contacts: roles, invitations
 * with and without approval, removal and leaving, transfer, mutes and
 * @everyone, dissolving, and the 1000-person cap.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { useTestDatabase } from '@muster/db/testing';
import { GroupRepository } from '../store/GroupRepository.ts';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';

describe('groups', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async () => {
    const db = await testDb.open();
    const world = await openImTestWorld(db);
    const { im, person, befriend } = world;
    const [ann, ben, cy, dan] = [await person('Ann'), await person('Ben'), await person('Cy'), await person('单丹')];
    for (const other of [ben, cy, dan]) await befriend(ann, other);
    await befriend(ben, cy);
    await befriend(ben, dan);
    const group = await im.groups.create(ann, { name: '项目组', members: [ben.accountId, cy.accountId] });
    let n = 0;
    const send = (p: Principal, text: string, extra: { mentionAll?: boolean } = {}) => im.conversations.send(p, group.id, { clientMsgId: `msg-${p.accountId.slice(-6)}-${n++}`, text, ...extra });
    const notices = async (p: Principal) => (await im.conversations.messages(p, group.id, { afterSeq: 0, limit: 200 })).filter((m) => m.type === 'system').map((m) => m.notice!.kind);
    const groupEvents = (to: Principal) => world.deliveries.filter((d) => d.event === 'im.group' && d.to.includes(to.accountId)).map((d) => (d.payload as { change: string }).change);
    return { ...world, db, ann, ben, cy, dan, group, send, notices, groupEvents, groupStore: new GroupRepository(db) };
  };

  it('makes a group from contacts (temporary: { expiresAt } in the future), lists mine by pinyin, shows members with roles and my remarks', async () => {
    const { im, t, ann, ben, cy, dan, group, groupEvents } = await setup();
    expect(group).toMatchObject({ id: group.conversationId, name: '项目组', members: 3, ownerId: ann.accountId, adminIds: [], temporary: false, expiresAt: null, role: 'owner', muteAll: false, joinApproval: false, dissolvedAt: null });
    expect(groupEvents(cy)).toEqual(['created']);
    expect(await imErrorCode(im.groups.create(ben, { name: 'x', members: [ann.accountId, cy.accountId, 'u-stranger-1'] }))).toBe('BAD_REQUEST');
    expect(await imErrorCode(im.groups.create(ann, { name: 'x', members: [ann.accountId] }))).toBe('BAD_REQUEST');
    expect(await imErrorCode(im.groups.create(ann, { name: 'x', members: [ben.accountId], temporary: { expiresAt: t.clock.now() } }))).toBe('BAD_REQUEST');
    const temp = await im.groups.create(ann, { name: 'Alpha 临时', members: [dan.accountId], temporary: { expiresAt: t.clock.now() + 3_600_000 } });
    expect(temp).toMatchObject({ temporary: true, expiresAt: t.clock.now() + 3_600_000, members: 2 });
    expect((await im.groups.create(ann, { name: 'Beta', members: [dan.accountId], temporary: {} })).temporary).toBe(true);

    expect((await im.groups.list(ann)).map((g) => g.name).sort()).toEqual(['Alpha 临时', 'Beta', '项目组'].sort());
    expect((await im.groups.list(ann, 'xmz')).map((g) => g.name)).toEqual(['项目组']);
    expect((await im.groups.list(ann, 'linshi')).map((g) => g.name)).toEqual(['Alpha 临时']);
    expect((await im.groups.list(cy)).map((g) => [g.name, g.role])).toEqual([['项目组', 'member']]);
    expect(await im.groups.list(dan, 'zzz')).toEqual([]);

    await im.contacts.update(ann, cy.accountId, { remark: '小陈' });
    await im.groups.setAdmin(ann, group.id, cy.accountId, true);
    const details = await im.groups.get(ann, group.id);
    expect(details.memberList.map((m) => [m.displayName, m.role])).toEqual([
      ['Ann', 'owner'],
      ['小陈', 'admin'],
      ['Ben', 'member'],
    ]);
    // Member search: the remark, its pinyin, or the nickname behind it.
    expect((await im.groups.get(ann, group.id, 'xc')).memberList.map((m) => m.userId)).toEqual([cy.accountId]);
    expect((await im.groups.get(ann, group.id, 'cy')).memberList.map((m) => m.userId)).toEqual([cy.accountId]);
    expect((await im.groups.get(ben, group.id, 'xc')).memberList).toEqual([]);
    expect(await imErrorCode(im.groups.get(dan, group.id))).toBe('NOT_FOUND');
    expect(await imErrorCode(im.groups.get(ann, 'cvnot-a-group-at-all'))).toBe('NOT_FOUND');
    // A direct conversation is not a group.
    const direct = await im.conversations.openDirect(ann, ben.accountId);
    expect(await imErrorCode(im.groups.get(ann, direct.id))).toBe('NOT_FOUND');
  });

  it('owner and admins change name, notice and settings; members may not; each change is a notice and an event', async () => {
    const { im, ann, ben, cy, dan, group, notices, groupEvents } = await setup();
    expect(await imErrorCode(im.groups.update(ben, group.id, { name: 'Mine now' }))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.update(dan, group.id, { name: 'Mine now' }))).toBe('NOT_FOUND');
    await im.groups.setAdmin(ann, group.id, ben.accountId, true);
    const renamed = await im.groups.update(ben, group.id, { name: '新项目组', notice: '周五发布\n请准备' });
    expect(renamed).toMatchObject({ name: '新项目组', notice: '周五发布\n请准备', role: 'admin', adminIds: [ben.accountId] });
    // The same again changes nothing and says nothing.
    await im.groups.update(ben, group.id, { name: '新项目组' });
    await im.groups.update(ann, group.id, { joinApproval: true });
    expect(await notices(cy)).toEqual(['admin', 'renamed', 'notice']);
    expect(groupEvents(cy)).toEqual(['created', 'admin', 'renamed', 'settings']);
    expect((await im.groups.get(cy, group.id)).joinApproval).toBe(true);
    // Only the owner makes and unmakes admins.
    expect(await imErrorCode(im.groups.setAdmin(ben, group.id, cy.accountId, true))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.setAdmin(ann, group.id, ann.accountId, true))).toBe('BAD_REQUEST');
    expect(await imErrorCode(im.groups.setAdmin(ann, group.id, dan.accountId, true))).toBe('NOT_FOUND');
    await im.groups.setAdmin(ann, group.id, ben.accountId, false);
    expect((await im.groups.get(cy, group.id)).adminIds).toEqual([]);
    expect((await notices(cy)).at(-1)).toBe('admin');
  });

  it('invites contacts; with approval on a member’s invitation waits for the owner or an admin', async () => {
    const { im, person, befriend, ann, ben, cy, dan, group, notices, groupEvents } = await setup();
    expect(await im.groups.invite(cy, group.id, [ben.accountId])).toEqual({ added: [], requested: [] });
    // Cy is not Dan's contact.
    expect(await imErrorCode(im.groups.invite(cy, group.id, [dan.accountId]))).toBe('BAD_REQUEST');
    expect(await imErrorCode(im.groups.invite(dan, group.id, [ann.accountId]))).toBe('NOT_FOUND');
    expect(await im.groups.invite(ben, group.id, [dan.accountId])).toEqual({ added: [dan.accountId], requested: [] });
    expect(await notices(dan)).toEqual(['joined']);
    expect(groupEvents(dan)).toEqual(['joined']);

    await im.groups.update(ann, group.id, { joinApproval: true });
    const [eve, fay] = [await person('Eve'), await person('Fay')];
    await befriend(ben, eve);
    await befriend(ben, fay);
    expect(await im.groups.invite(ben, group.id, [eve.accountId, fay.accountId])).toEqual({ added: [], requested: [eve.accountId, fay.accountId] });
    // Asking again keeps one request each.
    await im.groups.invite(ben, group.id, [eve.accountId]);
    expect(groupEvents(ann).at(-1)).toBe('request');
    expect(await imErrorCode(im.groups.joinRequests(ben, group.id))).toBe('FORBIDDEN');
    // Asked at the same moment: in id order, so sorted here by name.
    const requests = (await im.groups.joinRequests(ann, group.id)).sort((a, b) => a.user.nickname.localeCompare(b.user.nickname));
    expect(requests.map((r) => [r.user.nickname, r.inviterId])).toEqual([
      ['Eve', ben.accountId],
      ['Fay', ben.accountId],
    ]);
    expect(await imErrorCode(im.groups.answer(ben, group.id, requests[0]!.id, true))).toBe('FORBIDDEN');
    await im.groups.answer(ann, group.id, requests[0]!.id, true);
    await im.groups.answer(ann, group.id, requests[1]!.id, false);
    expect(await imErrorCode(im.groups.answer(ann, group.id, requests[1]!.id, true))).toBe('NOT_FOUND');
    expect(await imErrorCode(im.groups.answer(ann, group.id, 'gjnot-a-request', true))).toBe('NOT_FOUND');
    expect((await im.groups.get(eve, group.id)).members).toBe(5);
    expect(await imErrorCode(im.groups.get(fay, group.id))).toBe('NOT_FOUND');
    // The owner's (and admins') invitations need no approval.
    expect(await im.groups.invite(ann, group.id, [])).toEqual({ added: [], requested: [] });
    expect(await im.groups.joinRequests(ann, group.id)).toEqual([]);
    // A newcomer reads the group's history from its start (Dan's joining, then their own).
    expect(await notices(eve)).toEqual(['joined', 'joined']);
    const listed = (await im.groups.get(cy, group.id)).memberList.map((m) => m.nickname);
    expect([listed[0], ...listed.slice(1).sort()]).toEqual(['Ann', 'Ben', 'Cy', 'Eve', '单丹']);
  });

  it('removes: admins remove members, only the owner removes admins; the removed get NOT_FOUND and no more events', async () => {
    const { im, deliveries, ann, ben, cy, dan, group, send, groupEvents } = await setup();
    await im.groups.invite(ann, group.id, [dan.accountId]);
    await im.groups.setAdmin(ann, group.id, ben.accountId, true);
    await im.groups.setAdmin(ann, group.id, cy.accountId, true);
    expect(await imErrorCode(im.groups.remove(dan, group.id, ben.accountId))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.remove(ben, group.id, cy.accountId))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.remove(ben, group.id, ann.accountId))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.remove(ben, group.id, ben.accountId))).toBe('BAD_REQUEST');
    expect(await imErrorCode(im.groups.remove(ben, group.id, 'u-never-here'))).toBe('NOT_FOUND');
    await im.groups.remove(ben, group.id, dan.accountId);
    expect(groupEvents(dan)).toEqual(['joined', 'admin', 'admin', 'removed']);
    await im.groups.remove(ann, group.id, cy.accountId);
    for (const action of [
      im.groups.get(dan, group.id),
      im.conversations.messages(dan, group.id, {}),
      send(dan, 'still here?'),
      im.groups.leave(dan, group.id),
      im.groups.invite(cy, group.id, [ben.accountId]),
    ]) {
      expect(await imErrorCode(action)).toBe('NOT_FOUND');
    }
    const before = deliveries.length;
    await send(ann, 'after they left');
    expect(deliveries.slice(before).flatMap((d) => d.to)).not.toContain(dan.accountId);
    expect(deliveries.slice(before).flatMap((d) => d.to)).not.toContain(cy.accountId);
    expect((await im.groups.get(ann, group.id)).members).toBe(2);
  });

  it('mutes a member until a time or until unmuted, and everyone but owner and admins; @everyone is theirs', async () => {
    const { im, t, store, ann, ben, cy, group, send, notices } = await setup();
    await im.groups.setAdmin(ann, group.id, ben.accountId, true);
    expect(await imErrorCode(im.groups.mute(cy, group.id, ben.accountId, null))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.mute(ben, group.id, ann.accountId, null))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.mute(ben, group.id, cy.accountId, t.clock.now() - 1))).toBe('BAD_REQUEST');
    await im.groups.mute(ben, group.id, cy.accountId, t.clock.now() + 60_000);
    const stored = await store.countMessages(group.id);
    expect(await imErrorCode(send(cy, 'let me speak'))).toBe('MUTED');
    expect(await store.countMessages(group.id)).toBe(stored);
    expect((await im.groups.get(ann, group.id)).memberList.find((m) => m.userId === cy.accountId)!.mutedUntil).toBe(t.clock.now() + 60_000);
    t.clock.advance(60_000);
    expect((await send(cy, 'free again')).seq).toBeGreaterThan(0);
    await im.groups.mute(ben, group.id, cy.accountId, null);
    expect(await imErrorCode(send(cy, 'again?'))).toBe('MUTED');
    await im.groups.unmute(ben, group.id, cy.accountId);
    expect(await imErrorCode(im.groups.unmute(ben, group.id, cy.accountId))).toBe('NOT_FOUND');
    // The owner mutes an admin; an admin does not unmute themselves.
    await im.groups.mute(ann, group.id, ben.accountId, null);
    expect(await imErrorCode(send(ben, 'hm'))).toBe('MUTED');
    expect(await imErrorCode(im.groups.unmute(ben, group.id, ben.accountId))).toBe('FORBIDDEN');
    await im.groups.unmute(ann, group.id, ben.accountId);

    await im.groups.update(ben, group.id, { muteAll: true });
    expect(await imErrorCode(send(cy, 'anyone?'))).toBe('MUTED');
    expect((await send(ben, 'admins still speak')).seq).toBeGreaterThan(0);
    expect((await send(ann, 'and the owner')).seq).toBeGreaterThan(0);
    await im.groups.update(ann, group.id, { muteAll: false });
    expect(await imErrorCode(send(cy, '@所有人', { mentionAll: true }))).toBe('FORBIDDEN');
    expect((await send(ben, '@所有人 开会', { mentionAll: true })).seq).toBeGreaterThan(0);
    expect((await send(cy, 'ok')).seq).toBeGreaterThan(0);
    expect(await notices(cy)).toEqual(['admin', 'muted', 'muted', 'unmuted', 'muted', 'unmuted', 'muted', 'unmuted']);
  });

  it('transfers ownership; a leaving owner hands on to the longest-standing admin, else member; the last one out dissolves it', async () => {
    const { im, t, ann, ben, cy, dan, group, notices, groupEvents } = await setup();
    expect(await imErrorCode(im.groups.transfer(ben, group.id, cy.accountId))).toBe('FORBIDDEN');
    expect(await imErrorCode(im.groups.transfer(ann, group.id, dan.accountId))).toBe('NOT_FOUND');
    expect(await imErrorCode(im.groups.transfer(ann, group.id, ann.accountId))).toBe('BAD_REQUEST');
    expect(await im.groups.transfer(ann, group.id, ben.accountId)).toMatchObject({ ownerId: ben.accountId, role: 'member' });
    expect((await notices(cy)).at(-1)).toBe('owner');
    t.clock.advance(1_000);
    await im.groups.invite(ben, group.id, [dan.accountId]);
    await im.groups.setAdmin(ben, group.id, dan.accountId, true);
    // Ben leaves: Dan (an admin, the newest) before Ann and Cy (members since the start).
    await im.groups.leave(ben, group.id);
    expect(groupEvents(ben).slice(-2)).toEqual(['admin', 'left']);
    expect(groupEvents(cy).slice(-2)).toEqual(['owner', 'left']);
    expect(await imErrorCode(im.groups.get(ben, group.id))).toBe('NOT_FOUND');
    expect((await im.groups.get(cy, group.id)).ownerId).toBe(dan.accountId);
    expect((await notices(cy)).slice(-2)).toEqual(['left', 'owner']);
    // Dan leaves: no admins left, so the longest-standing member.
    await im.groups.leave(dan, group.id);
    const heir = (await im.groups.get(cy, group.id)).ownerId;
    expect([ann.accountId, cy.accountId]).toContain(heir);
    await im.groups.leave(cy, group.id);
    expect(await notices(ann)).toContain('left');
    await im.groups.leave(ann, group.id);
    expect(await im.groups.list(ann)).toEqual([]);
    expect((await im.groups.info(group.id))!).toMatchObject({ members: 0 });
    expect((await im.groups.info(group.id))!.dissolvedAt).not.toBeNull();
  });

  it('dissolves: the owner only; nobody sends afterwards, members keep the history and may leave', async () => {
    const { im, ann, ben, cy, dan, group, send, notices, groupEvents } = await setup();
    await send(ben, '最后一条');
    expect(await imErrorCode(im.groups.dissolve(ben, group.id))).toBe('FORBIDDEN');
    await im.groups.dissolve(ann, group.id);
    expect(await imErrorCode(im.groups.dissolve(ann, group.id))).toBe('GROUP_DISSOLVED');
    expect(groupEvents(cy).at(-1)).toBe('dissolved');
    expect(await imErrorCode(send(ben, 'hello?'))).toBe('GROUP_DISSOLVED');
    expect(await imErrorCode(send(ann, 'hello?'))).toBe('GROUP_DISSOLVED');
    expect((await im.conversations.messages(cy, group.id, {})).map((m) => m.text ?? m.notice!.kind)).toEqual(['最后一条', 'dissolved']);
    expect(await notices(cy)).toEqual(['dissolved']);
    for (const action of [
      im.groups.update(ann, group.id, { name: 'x' }),
      im.groups.invite(ann, group.id, [dan.accountId]),
      im.groups.mute(ann, group.id, cy.accountId, null),
      im.groups.setAdmin(ann, group.id, cy.accountId, true),
      im.groups.transfer(ann, group.id, cy.accountId),
      im.groups.remove(ann, group.id, cy.accountId),
    ]) {
      expect(await imErrorCode(action)).toBe('GROUP_DISSOLVED');
    }
    expect((await im.groups.get(cy, group.id)).dissolvedAt).not.toBeNull();
    await im.groups.leave(cy, group.id);
    expect(await imErrorCode(im.groups.get(cy, group.id))).toBe('NOT_FOUND');
  });

  it('holds at most 1000 people: invitations and approvals past it are GROUP_FULL', async () => {
    const { im, t, person, befriend, ann, ben, dan, group, groupStore, store } = await setup();
    // 996 more (not real accounts: the cap counts rows) make 999 with Ann, Ben and Cy.
    const filler = Array.from({ length: 996 }, (_, i) => `u-filler-${String(i).padStart(4, '0')}`);
    expect(await groupStore.addMembers(group.id, filler, 1000, t.clock.now())).toHaveLength(996);
    expect(await store.countMembers(group.id)).toBe(999);
    await im.groups.update(ann, group.id, { joinApproval: true });
    // Ben (a member) asks for Dan: a request.
    const { requested } = await im.groups.invite(ben, group.id, [dan.accountId]);
    expect(requested).toEqual([dan.accountId]);
    const [request] = await im.groups.joinRequests(ann, group.id);
    // Someone else takes the last place first.
    const late = await groupStore.addMembers(group.id, ['u-filler-last'], 1000, t.clock.now());
    expect(late).toEqual(['u-filler-last']);
    expect(await imErrorCode(im.groups.answer(ann, group.id, request!.id, true))).toBe('GROUP_FULL');
    // The request still waits; Ann removes someone, and it goes through.
    expect(await im.groups.joinRequests(ann, group.id)).toHaveLength(1);
    await im.groups.remove(ann, group.id, 'u-filler-last');
    await im.groups.answer(ann, group.id, request!.id, true);
    expect(await store.countMembers(group.id)).toBe(1000);
    // Full: the owner's invitation of someone new is refused, and nothing changes.
    const gus = await person('Gus');
    await befriend(ann, gus);
    expect(await imErrorCode(im.groups.invite(ann, group.id, [gus.accountId]))).toBe('GROUP_FULL');
    expect(await store.countMembers(group.id)).toBe(1000);
    // Those already in are no invitation at all.
    expect(await im.groups.invite(ann, group.id, [dan.accountId])).toEqual({ added: [], requested: [] });
  });
});
