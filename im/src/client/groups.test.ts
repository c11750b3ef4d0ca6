/**
 * The groups store against a fake transport: my groups in pinyin order and
 * their search, a group's details, optimistic admin actions put back on
 * refusal, leave and dissolve, live `im.group` events, and who may do what.
 */
import { describe, expect, it } from 'vitest';
import type { GroupView } from '../protocol.ts';
import { FakeTransport } from './fakeTransport.ts';
import { GroupsStore, orderMembers, permissions, type GroupDetailsView, type GroupMemberView } from './groups.ts';
import { loadPinyin } from './names.ts';
import { ImClientError } from './transport.ts';

const ME = 'user-me-0001';
const group = (id: string, name: string, role: GroupView['role'] = 'member'): GroupView => ({
  id,
  conversationId: id,
  name,
  avatar: null,
  notice: '',
  members: 3,
  ownerId: role === 'owner' ? ME : 'user-own-0009',
  adminIds: [],
  joinApproval: false,
  muteAll: false,
  temporary: false,
  expiresAt: null,
  dissolvedAt: null,
  role,
  createdAt: 1,
});
const member = (userId: string, nickname: string, role: GroupMemberView['role'], joinedAt: number): GroupMemberView => ({ userId, nickname, displayName: nickname, avatar: null, role, joinedAt });

function world() {
  const t = new FakeTransport();
  const details: GroupDetailsView = {
    ...group('cvGroupOne0001', '项目组', 'owner'),
    memberList: [member(ME, 'Me', 'owner', 1), member('user-ann-0002', 'Ann', 'member', 2), member('user-ben-0003', 'Ben', 'member', 3)],
  };
  t.route('GET', '/groups', () => [group('cvGroupTwo0002', 'Zoo Club'), group('cvGroupOne0001', '项目组', 'owner'), group('cvGroupOld0003', '旧群', 'member'), { ...group('cvGroupGone004', 'Gone'), dissolvedAt: 5 }]);
  t.route('GET', '/groups/:id', ({ params }) => {
    if (params[0] !== details.id) throw new ImClientError('NOT_FOUND', 'no such group', 404);
    return details;
  });
  for (const [method, path] of [
    ['PATCH', '/groups/:id'],
    ['DELETE', '/groups/:id/members/:user'],
    ['PUT', '/groups/:id/admins/:user'],
    ['DELETE', '/groups/:id/admins/:user'],
    ['PUT', '/groups/:id/mutes/:user'],
    ['DELETE', '/groups/:id/mutes/:user'],
    ['POST', '/groups/:id/transfer'],
    ['POST', '/groups/:id/leave'],
    ['DELETE', '/groups/:id'],
  ] as const) {
    t.route(method, path, ({ body }) => (method === 'PATCH' ? { ...group('cvGroupOne0001', '项目组', 'owner'), ...(body as object), role: undefined } : undefined));
  }
  t.route('POST', '/groups', ({ body }) => ({ ...group('cvGroupNew0005', (body as { name: string }).name), role: undefined, ownerId: ME }));
  const store = new GroupsStore(t, { me: ME });
  return { t, store };
}

describe('GroupsStore', () => {
  it('lists my groups in pinyin order (dissolved ones out), finds them by pinyin, creates one', async () => {
    const { store } = world();
    await loadPinyin();
    await store.start();
    // 旧群 jiuqun, 项目组 xiangmuzu, Zoo Club.
    expect(store.snapshot.groups.map((g) => g.name)).toEqual(['旧群', '项目组', 'Zoo Club']);
    expect(store.filter('xmz').map((g) => g.name)).toEqual(['项目组']);
    expect(store.filter('项目').map((g) => g.name)).toEqual(['项目组']);
    expect(store.filter('zoo').map((g) => g.name)).toEqual(['Zoo Club']);
    expect(store.filter(' ')).toEqual([]);
    const made = await store.create({ name: ' 周末 ', members: ['user-ann-0002', 'user-ben-0003'] });
    expect(made).toMatchObject({ name: '周末', role: 'owner' });
    expect(store.snapshot.groups.map((g) => g.name)).toEqual(['旧群', '项目组', '周末', 'Zoo Club']); // zhou before zoo
    store.stop();
  });

  it('opens a group and acts on its members at once, putting a refusal back', async () => {
    const { t, store } = world();
    await store.start();
    await store.open('cvGroupOne0001');
    const members = () => store.snapshot.details['cvGroupOne0001']!.memberList.map((m) => `${m.nickname}:${m.role}${m.mutedUntil !== undefined ? ':muted' : ''}`);
    expect(members()).toEqual(['Me:owner', 'Ann:member', 'Ben:member']);

    await store.setAdmin('cvGroupOne0001', 'user-ben-0003', true);
    expect(members()).toEqual(['Me:owner', 'Ben:admin', 'Ann:member']);
    expect(store.snapshot.details['cvGroupOne0001']!.adminIds).toEqual(['user-ben-0003']);
    await store.mute('cvGroupOne0001', 'user-ann-0002');
    expect(members()).toContain('Ann:member:muted');
    expect(t.calls.at(-1)).toEqual({ method: 'PUT', path: '/groups/cvGroupOne0001/mutes/user-ann-0002', body: {} });
    await store.unmute('cvGroupOne0001', 'user-ann-0002');
    expect(members()).toContain('Ann:member');

    const release = t.hold('DELETE /groups/cvGroupOne0001/members/user-ann-0002');
    const removing = store.removeMember('cvGroupOne0001', 'user-ann-0002');
    await new Promise((r) => setTimeout(r, 0));
    expect(members()).toEqual(['Me:owner', 'Ben:admin']);
    expect(store.group('cvGroupOne0001')!.members).toBe(2);
    release();
    await removing;

    t.route('POST', '/groups/:id/transfer', () => {
      throw new ImClientError('FORBIDDEN', 'not the owner', 403);
    });
    await expect(store.transfer('cvGroupOne0001', 'user-ben-0003')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(members()).toEqual(['Me:owner', 'Ben:admin']);
    expect(store.permissions('cvGroupOne0001').dissolve).toBe(true);
  });

  it('transfers: I become an admin; settings change at once; leave and dissolve drop the group', async () => {
    const { t, store } = world();
    await store.start();
    await store.open('cvGroupOne0001');
    await store.transfer('cvGroupOne0001', 'user-ann-0002');
    const g = store.snapshot.details['cvGroupOne0001']!;
    expect([g.ownerId, g.role, g.adminIds]).toEqual(['user-ann-0002', 'admin', [ME]]);
    expect(g.memberList.map((m) => `${m.nickname}:${m.role}`)).toEqual(['Ann:owner', 'Me:admin', 'Ben:member']);
    expect(store.permissions('cvGroupOne0001')).toMatchObject({ manage: true, dissolve: false, transfer: false, leave: true });

    const updating = store.update('cvGroupOne0001', { name: ' 新名字 ', muteAll: true });
    expect(store.group('cvGroupOne0001')).toMatchObject({ name: '新名字', muteAll: true });
    await updating;
    expect(t.calls.at(-1)!.body).toEqual({ name: '新名字', muteAll: true });
    // The reply carries no role: mine stays.
    expect(store.group('cvGroupOne0001')!.role).toBe('admin');

    await store.leave('cvGroupOne0001');
    expect(store.snapshot.groups.map((x) => x.id)).not.toContain('cvGroupOne0001');
    expect(store.snapshot.details['cvGroupOne0001']).toBeUndefined();
    t.route('DELETE', '/groups/:id', () => {
      throw new ImClientError('FORBIDDEN', 'owner only', 403);
    });
    await expect(store.dissolve('cvGroupTwo0002')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(store.snapshot.groups.map((x) => x.id)).toContain('cvGroupTwo0002');
  });

  it('invites (with approval some wait) and answers join requests, refetching the members', async () => {
    const { t, store } = world();
    t.route('POST', '/groups/:id/members', ({ body }) => ({ added: (body as { userIds: string[] }).userIds.slice(0, 1), requested: (body as { userIds: string[] }).userIds.slice(1) }));
    t.route('GET', '/groups/:id/join-requests', () => [{ id: 'gjRequest0001', groupId: 'cvGroupOne0001', user: { id: 'user-cy-00004', nickname: 'Cy', avatar: null }, inviterId: 'user-ann-0002', createdAt: 1 }]);
    t.route('POST', '/groups/:id/join-requests/:rid/approve', () => undefined);
    await store.start();
    await store.open('cvGroupOne0001');
    const fetched = () => t.calls.filter((c) => c.method === 'GET' && c.path === '/groups/cvGroupOne0001').length;
    const before = fetched();
    expect(await store.invite('cvGroupOne0001', ['user-cy-00004', 'user-dan-0005'])).toEqual({ added: ['user-cy-00004'], requested: ['user-dan-0005'] });
    expect(fetched()).toBe(before + 1);
    expect((await store.joinRequests('cvGroupOne0001')).map((r) => r.user.nickname)).toEqual(['Cy']);
    await store.answerJoinRequest('cvGroupOne0001', 'gjRequest0001', true);
    expect(t.calls.some((c) => c.method === 'POST' && c.path === '/groups/cvGroupOne0001/join-requests/gjRequest0001/approve')).toBe(true);
    expect(fetched()).toBe(before + 2);
  });

  it('follows im.group events: a rename, my removal, a dissolution', async () => {
    const { t, store } = world();
    await store.start();
    const fire = (payload: unknown) => t.fire('im.group', payload as Parameters<typeof t.fire<'im.group'>>[1]);
    fire({ group: { ...group('cvGroupTwo0002', 'Zoo Club 2'), role: undefined }, change: 'renamed', actorId: 'x' });
    expect(store.group('cvGroupTwo0002')).toMatchObject({ name: 'Zoo Club 2', role: 'member' });
    fire({ group: group('cvGroupTwo0002', 'Zoo Club 2'), change: 'removed', actorId: 'x', userIds: [ME] });
    expect(store.group('cvGroupTwo0002')).toBeUndefined();
    fire({ group: group('cvGroupOld0003', '旧群'), change: 'dissolved', actorId: 'x' });
    expect(store.snapshot.groups.map((g) => g.id)).toEqual(['cvGroupOne0001']);
  });
});

describe('group permissions', () => {
  const m = (userId: string, role: GroupMemberView['role']) => ({ userId, role });
  it('the owner acts on anyone else; an admin on plain members; a member on nobody', () => {
    const owner = permissions('owner', 'o');
    expect([owner.remove(m('a', 'admin')), owner.setAdmin(m('x', 'member')), owner.mute(m('o', 'owner')), owner.leave, owner.dissolve]).toEqual([true, true, false, false, true]);
    const admin = permissions('admin', 'a');
    expect([admin.remove(m('x', 'member')), admin.remove(m('b', 'admin')), admin.remove(m('o', 'owner')), admin.setAdmin(m('x', 'member')), admin.manage, admin.leave]).toEqual([true, false, false, false, true, true]);
    const plain = permissions('member', 'x');
    expect([plain.remove(m('y', 'member')), plain.manage, plain.invite, plain.leave]).toEqual([false, false, true, true]);
    const dissolved = permissions('owner', 'o', true);
    expect([dissolved.manage, dissolved.invite, dissolved.remove(m('x', 'member'))]).toEqual([false, false, false]);
  });

  it('export: any member by default; with exportAdminsOnly only the owner and admins; nobody outside', () => {
    expect([permissions('owner', 'o').export, permissions('admin', 'a').export, permissions('member', 'x').export]).toEqual([true, true, true]);
    expect([permissions('owner', 'o', false, true).export, permissions('admin', 'a', false, true).export, permissions('member', 'x', false, true).export]).toEqual([true, true, false]);
    expect(permissions(undefined, 'x').export).toBe(false);
  });

  it('exportAdminsOnly goes in the update and shows at once; a plain member then may not export', async () => {
    const { t, store } = world();
    await store.start();
    await store.open('cvGroupOne0001');
    const updating = store.update('cvGroupOne0001', { exportAdminsOnly: true });
    expect(store.group('cvGroupOne0001')).toMatchObject({ exportAdminsOnly: true });
    await updating;
    expect(t.calls.at(-1)).toMatchObject({ method: 'PATCH', path: '/groups/cvGroupOne0001', body: { exportAdminsOnly: true } });
    expect(store.permissions('cvGroupOne0001').export).toBe(true);
    expect(permissions('member', ME, false, store.group('cvGroupOne0001')!.exportAdminsOnly).export).toBe(false);
  });

  it('sets and removes the group photo: the file goes raw with its type, the new paths land in the list and the details', async () => {
    const { t, store } = world();
    const avatar = { small: '/api/v1/avatars/cvGroupOne0001/1/small.webp?sig=a', large: '/api/v1/avatars/cvGroupOne0001/1/large.webp?sig=b' };
    t.route('PUT', '/groups/:id/avatar', ({ body }) => {
      const upload = body as { type: string; bytes: Uint8Array };
      if (!upload.type.startsWith('image/')) throw new ImClientError('UNSUPPORTED_MEDIA_TYPE', 'send an image', 415);
      return { ...group('cvGroupOne0001', '项目组', 'owner'), avatar, role: undefined };
    });
    t.route('DELETE', '/groups/:id/avatar', () => ({ ...group('cvGroupOne0001', '项目组', 'owner'), role: undefined }));
    await store.refresh();
    await store.open('cvGroupOne0001');
    const set = await store.setAvatar('cvGroupOne0001', new Blob([new Uint8Array([1, 2, 3])], { type: 'image/jpeg' }));
    expect(set.avatar).toEqual(avatar);
    expect(t.calls.at(-1)).toMatchObject({ method: 'PUT', path: '/groups/cvGroupOne0001/avatar', body: { type: 'image/jpeg', bytes: new Uint8Array([1, 2, 3]) } });
    expect(store.group('cvGroupOne0001')).toMatchObject({ avatar, role: 'owner' });
    expect(store.snapshot.details['cvGroupOne0001']!.avatar).toEqual(avatar);
    await expect(store.setAvatar('cvGroupOne0001', new Blob(['x'], { type: 'text/plain' }))).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    await store.removeAvatar('cvGroupOne0001');
    expect(store.group('cvGroupOne0001')!.avatar).toBeNull();
    expect(store.snapshot.details['cvGroupOne0001']!.avatar).toBeNull();
  });

  it('orders members owner, admins, then by joining', () => {
    const list = [member('c', 'C', 'member', 3), member('a', 'A', 'admin', 5), member('o', 'O', 'owner', 9), member('b', 'B', 'member', 1)];
    expect(orderMembers(list).map((x) => x.userId)).toEqual(['o', 'a', 'b', 'c']);
  });
});
