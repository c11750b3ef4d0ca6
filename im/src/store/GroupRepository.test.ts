/** The groups store's contract on SQLite and PostgreSQL: settings, members and the cap, roles, mutes, join requests, dissolving and clearing. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawQuery, testEngines, useTestDatabase } from '@muster/db/testing';
import { ConversationRepository } from './ConversationRepository.ts';
import { DEFAULT_GROUP_SETTINGS, GroupRepository } from './GroupRepository.ts';

const engines = await testEngines('the PostgreSQL groups store contract (im/src/store/GroupRepository.test.ts)');
const uid = (p = 'u') => `${p}${crypto.randomBytes(6).toString('hex')}`;

describe.each(engines)('groups store (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const open = async () => {
    const db = await testDb.open();
    return { db, conversations: new ConversationRepository(db), groups: new GroupRepository(db) };
  };
  const makeGroup = async (
    stores: { conversations: ConversationRepository; groups: GroupRepository },
    members: string[],
    settings: Parameters<GroupRepository['insertSettings']>[2] = {},
    at = 1_000,
  ) => {
    const id = uid('cv');
    const [owner, ...rest] = members;
    await stores.conversations.createGroup(id, owner!, rest, { name: '群', notice: '', temporary: settings.temporary ?? false }, at, (trx) => stores.groups.insertSettings(trx, id, settings, at));
    return id;
  };
  const message = (conversationId: string, senderId: string, type: string, sentAt: number) => ({
    id: uid('msg'),
    conversationId,
    senderId,
    clientMsgId: uid('c'),
    type,
    body: type === 'system' ? { notice: { kind: 'expiring' as const, actorId: 'system' } } : { text: 'hello' },
    sentAt,
  });

  it('writes a group’s settings with it; a group without a row reads the defaults; changes are upserts', async () => {
    const s = await open();
    const [a, b] = [uid(), uid()];
    const id = await makeGroup(s, [a, b], { temporary: true, expiresAt: 5_000 });
    expect(await s.groups.settings(id)).toEqual({ ...DEFAULT_GROUP_SETTINGS, temporary: true, expiresAt: 5_000 });
    // A group made before the groups table (no row): defaults, and a change writes the row.
    const old = uid('cv');
    await s.conversations.createGroup(old, a, [b], { name: 'old', notice: '', temporary: false }, 1);
    expect(await s.groups.settings(old)).toEqual(DEFAULT_GROUP_SETTINGS);
    await s.groups.updateSettings(old, { muteAll: true }, 2);
    await s.groups.updateSettings(old, { joinApproval: true }, 3);
    expect(await s.groups.settings(old)).toMatchObject({ muteAll: true, joinApproval: true, temporary: false });
    expect([...(await s.groups.settingsOf([id, old, 'cvnone'])).keys()]).toEqual([id, old, 'cvnone']);
    // A failing settings write leaves no group behind: one transaction.
    const broken = uid('cv');
    await expect(
      s.conversations.createGroup(broken, a, [b], { name: 'x', notice: '', temporary: false }, 1, async (trx) => {
        await s.groups.insertSettings(trx, broken, {}, 1);
        await s.groups.insertSettings(trx, broken, {}, 1);
      }),
    ).rejects.toThrow();
    expect(await s.conversations.get(broken)).toBeNull();
    expect(await s.conversations.countMembers(broken)).toBe(0);
  });

  it('a new name and notice are sealed, and read back through the conversation', async () => {
    const s = await open();
    const id = await makeGroup(s, [uid(), uid()]);
    await s.groups.setMeta(id, { name: '机密项目-plaintext-marker', notice: '公告-notice-marker', temporary: false });
    expect((await s.conversations.get(id))!.meta).toEqual({ name: '机密项目-plaintext-marker', notice: '公告-notice-marker', temporary: false });
    const rows = await rawQuery<Record<string, unknown>>(testDb.location, 'select * from conversations');
    const raw = JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
    expect(raw).not.toContain('plaintext-marker');
    expect(raw).not.toContain('notice-marker');
  });

  it('adds members up to the cap, counted in the write; skips those already in', async () => {
    const s = await open();
    const owner = uid();
    const id = await makeGroup(s, [owner, ...Array.from({ length: 997 }, () => uid())]);
    const [x, y, z] = [uid(), uid(), uid()];
    expect(await s.groups.addMembers(id, [x, owner], 1000, 2)).toEqual([x]);
    // 999 now: two more would be 1001.
    expect(await s.groups.addMembers(id, [y, z], 1000, 3)).toBeNull();
    expect(await s.conversations.countMembers(id)).toBe(999);
    // Two at once, one place left: exactly one gets it.
    const raced = await Promise.all([s.groups.addMembers(id, [y], 1000, 4), s.groups.addMembers(id, [z], 1000, 4)]);
    expect(raced.filter((r) => r === null)).toHaveLength(1);
    expect(await s.conversations.countMembers(id)).toBe(1000);
    expect((await s.groups.staffOf([id])).get(id)).toEqual({ members: 1000, ownerId: owner, adminIds: [] });
  });

  it('roles: admins and members, transfer, and the successor of a leaving owner', async () => {
    const s = await open();
    const [o, m1, m2, m3] = [uid(), uid(), uid(), uid()];
    const id = await makeGroup(s, [o, m1, m2]);
    await s.groups.addMembers(id, [m3], 1000, 5_000);
    expect(await s.groups.successor(id, o)).toBe([m1, m2].sort()[0]);
    expect(await s.groups.setRole(id, m3, 'admin')).toBe(true);
    expect(await s.groups.setRole(id, m3, 'admin')).toBe(false);
    expect(await s.groups.setRole(id, o, 'member')).toBe(false);
    // An admin comes before longer-standing members.
    expect(await s.groups.successor(id, o)).toBe(m3);
    expect((await s.groups.staffOf([id])).get(id)).toMatchObject({ ownerId: o, adminIds: [m3] });
    await s.groups.mute(id, m1, null, 6_000);
    expect(await s.groups.transfer(id, m1, m2, false)).toBe(false);
    expect(await s.groups.transfer(id, o, uid(), false)).toBe(false);
    expect(await s.groups.transfer(id, o, m1, false)).toBe(true);
    expect((await s.conversations.membership(id, m1))!.role).toBe('owner');
    expect((await s.conversations.membership(id, o))!.role).toBe('member');
    // The new owner is unmuted.
    expect((await s.groups.mutes(id, 7_000)).has(m1)).toBe(false);
    expect(await s.groups.transfer(id, m1, m3, true)).toBe(true);
    expect(await s.conversations.membership(id, m1)).toBeNull();
    expect((await s.conversations.membership(id, m3))!.role).toBe('owner');
  });

  it('mutes until a time or until unmuted; the send state reads role, settings and mute at once', async () => {
    const s = await open();
    const [o, m] = [uid(), uid()];
    const id = await makeGroup(s, [o, m]);
    expect(await s.groups.sendState(id, m, 10)).toEqual({ role: 'member', settings: DEFAULT_GROUP_SETTINGS, mutedUntil: undefined });
    expect(await s.groups.sendState(id, uid(), 10)).toBeNull();
    await s.groups.mute(id, m, 100, 10);
    expect((await s.groups.sendState(id, m, 50))!.mutedUntil).toBe(100);
    expect((await s.groups.sendState(id, m, 100))!.mutedUntil).toBeUndefined();
    expect([...(await s.groups.mutes(id, 50))]).toEqual([[m, 100]]);
    expect((await s.groups.mutes(id, 150)).size).toBe(0);
    // A mute that ran out is not "muted" to unmute.
    expect(await s.groups.unmute(id, m, 150)).toBe(false);
    await s.groups.mute(id, m, null, 200);
    await s.groups.updateSettings(id, { muteAll: true }, 200);
    expect(await s.groups.sendState(id, m, 10_000)).toMatchObject({ mutedUntil: null, settings: { muteAll: true } });
    expect(await s.groups.unmute(id, m, 300)).toBe(true);
    expect(await s.groups.unmute(id, m, 300)).toBe(false);
    // Leaving takes the mute along.
    await s.groups.mute(id, m, null, 400);
    expect(await s.groups.removeMember(id, m)).toBe(true);
    expect(await s.groups.removeMember(id, m)).toBe(false);
    expect((await s.groups.mutes(id, 500)).size).toBe(0);
  });

  it('join requests: one pending per person, settled once', async () => {
    const s = await open();
    const [o, m, x] = [uid(), uid(), uid()];
    const id = await makeGroup(s, [o, m]);
    const request = { id: uid('gj'), conversationId: id, userId: x, inviterId: m, state: 'pending' as const, createdAt: 1, updatedAt: 1 };
    expect(await s.groups.addRequest(request)).toEqual(request);
    expect((await s.groups.addRequest({ ...request, id: uid('gj') })).id).toBe(request.id);
    expect((await s.groups.pendingRequests(id, 10)).map((r) => r.userId)).toEqual([x]);
    const answers = await Promise.all([s.groups.settleRequest(request.id, 'approved', 2), s.groups.settleRequest(request.id, 'declined', 2)]);
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await s.groups.pendingRequests(id, 10)).toEqual([]);
    expect(await s.groups.getRequest(uid('gj'))).toBeNull();
  });

  it('dissolves once; clearing a temporary group deletes its messages and hidden marks, once', async () => {
    const s = await open();
    const [o, m] = [uid(), uid()];
    const plain = await makeGroup(s, [o, m]);
    expect(await s.groups.dissolve(plain, 10)).toBe(true);
    expect(await s.groups.dissolve(plain, 11)).toBe(false);
    expect((await s.groups.settings(plain)).dissolvedAt).toBe(10);

    const temp = await makeGroup(s, [o, m], { temporary: true }, 1_000);
    const other = await makeGroup(s, [o, m], { temporary: true }, 1_000);
    await s.conversations.append(message(temp, o, 'text', 2_000));
    await s.conversations.append(message(temp, m, 'text', 3_000));
    await s.conversations.append(message(temp, 'system', 'system', 4_000));
    await s.conversations.append(message(other, o, 'text', 2_500));
    // Notices do not count as activity; a group without messages counts from its creation.
    const rows = await s.groups.temporaryGroups();
    expect(rows.filter((r) => r.conversationId === temp || r.conversationId === other).map((r) => [r.conversationId, r.lastMessageAt, r.createdAt]).sort()).toEqual(
      [
        [temp, 3_000, 1_000],
        [other, 2_500, 1_000],
      ].sort(),
    );
    expect(rows.map((r) => r.conversationId)).not.toContain(plain);
    await testDb.open().then((db) => db.writer.write((trx) => trx.insertInto('message_hides').values({ user_id: m, conversation_id: temp, seq: 1, at: 5 }).execute()));

    expect(await s.groups.clear(temp, 9_000)).toBe(true);
    expect(await s.groups.clear(temp, 9_001)).toBe(false);
    expect(await s.conversations.countMessages(temp)).toBe(0);
    expect(await s.conversations.countMessages(other)).toBe(1);
    expect(await rawQuery(testDb.location, `select * from message_hides where conversation_id = '${temp}'`)).toEqual([]);
    expect((await s.groups.temporaryGroups()).map((r) => r.conversationId)).not.toContain(temp);
    // The members stay (they see it dissolved); the seq counter stays, so a notice after takes the next one.
    expect(await s.conversations.countMembers(temp)).toBe(2);
    expect((await s.conversations.append(message(temp, 'system', 'system', 9_002))).message.seq).toBe(4);
  });

  it('claims the expiring notice once per clearing window, whoever asks', async () => {
    const s = await open();
    const [o, m] = [uid(), uid()];
    const id = await makeGroup(s, [o, m], { temporary: true });
    const claims = await Promise.all([s.groups.claimExpiryNotice(id, 100, 150), s.groups.claimExpiryNotice(id, 100, 150)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await s.groups.claimExpiryNotice(id, 100, 160)).toBe(false);
    // A message moved the clearing time: a new window, a new notice.
    expect(await s.groups.claimExpiryNotice(id, 500, 510)).toBe(true);
    await s.groups.dissolve(id, 600);
    expect(await s.groups.claimExpiryNotice(id, 900, 910)).toBe(false);
  });
});
