/**
 * The SDK's contacts and groups stores against a whole server: a person
 * found by phone, a request with a greeting that reaches the other side
 * live (the "New friends" badge), accepted; both lists follow live, and so
 * does the person's second device; remark, pinyin search on the client and
 * the server, block, delete; a group made from contacts, its admin actions
 * and settings seen by the other members.
 */
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountClient, MemoryTokenStore } from '@muster/accounts/client';
import { ImClient, ImClientError, loadPinyin } from '@muster/im/client';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { imPeople } from './testing/people.ts';

describe('contacts and groups in the SDK against a server', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const { accountClient, onClose, closeAll } = imPeople(() => server);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(closeAll);

  async function person(phone: string, nickname: string): Promise<{ accounts: AccountClient; im: ImClient; id: string }> {
    const accounts = await accountClient(phone, nickname);
    const im = ImClient.connect(accounts, io, { url: server.url });
    onClose(() => im.close());
    await im.start();
    return { accounts, im, id: accounts.user!.id };
  }

  it('finds by phone, asks with a greeting, the badge shows live, accepted; remark, search, block, delete follow on both sides', async () => {
    await loadPinyin();
    const zhang = await person('+8613900000601', '张三');
    const li = await person('+8613900000602', '李四');

    expect(await zhang.im.contacts.lookup({ phone: '+86 139 0000 0602'.replace(/ /g, '') })).toMatchObject({ id: li.id, nickname: '李四' });
    expect(await zhang.im.contacts.lookup({ phone: '+8613900000699' })).toBeNull();
    expect(await zhang.im.contacts.sendRequest(li.id, '我是张三')).toMatchObject({ state: 'pending' });
    expect(zhang.im.contacts.snapshot.requests[0]).toMatchObject({ greeting: '我是张三', state: 'pending' });
    expect(zhang.im.contacts.snapshot.pending).toBe(0);

    // Li's badge, live.
    await waitUntil(() => li.im.contacts.snapshot.pending === 1, 10_000, 'Li’s badge');
    const request = li.im.contacts.snapshot.requests[0]!;
    expect(request).toMatchObject({ greeting: '我是张三', from: { id: zhang.id } });
    await li.im.contacts.accept(request.id);
    expect(li.im.contacts.snapshot.pending).toBe(0);
    expect(li.im.contacts.snapshot.contacts.map((c) => c.nickname)).toEqual(['张三']);
    await waitUntil(() => zhang.im.contacts.isContact(li.id), 10_000, 'Li in Zhang’s list, live');
    expect(zhang.im.contacts.contact(li.id)).toMatchObject({ letter: 'L', displayName: '李四' });

    // Zhang's second device (a phone) follows what his first does.
    const phone = new AccountClient({ store: new MemoryTokenStore(), baseUrl: server.url, autoRefresh: false });
    await phone.login({ phone: '+8613900000601', password: 'cedar-harbor-52' });
    const zhangPhone = ImClient.connect(phone, io, { url: server.url });
    onClose(() => phone.close(), () => zhangPhone.close());
    await zhangPhone.start();
    expect(zhangPhone.contacts.isContact(li.id)).toBe(true);

    // A remark re-letters and is searchable by its pinyin, here and on the server.
    const view = await zhang.im.contacts.setRemark(li.id, '老李');
    expect(view).toMatchObject({ remark: '老李', displayName: '老李', letter: 'L' });
    expect(zhang.im.contacts.filter('ll').map((c) => c.userId)).toEqual([li.id]);
    expect(zhang.im.contacts.filter('zs')).toEqual([]);
    expect((await zhang.im.contacts.search('laoli')).map((c) => c.userId)).toEqual([li.id]);
    expect(li.im.contacts.filter('zs').map((c) => c.userId)).toEqual([zhang.id]);
    await zhang.im.contacts.setTags(li.id, ['同事', '同事', 'golf']);
    expect(zhang.im.contacts.contact(li.id)!.tags).toEqual(['同事', 'golf']);
    await waitUntil(() => zhangPhone.contacts.contact(li.id)?.tags.length === 2, 10_000, 'the remark and tags on Zhang’s phone');
    expect(zhangPhone.contacts.contact(li.id)).toMatchObject({ remark: '老李', tags: ['同事', 'golf'] });

    // Block: Li can no longer ask Zhang; unblock; delete ends it on both sides, live.
    await zhang.im.contacts.loadBlocked();
    await zhang.im.contacts.block(li.id);
    expect(zhang.im.contacts.isBlocked(li.id)).toBe(true);
    await zhang.im.contacts.remove(li.id);
    await waitUntil(() => !li.im.contacts.isContact(zhang.id), 10_000, 'Zhang gone from Li’s list, live');
    const refused = await li.im.contacts.sendRequest(zhang.id, 'again?').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImClientError);
    expect((refused as ImClientError).code).toBe('REFUSED_BY_RECIPIENT');
    await zhang.im.contacts.unblock(li.id);
    expect((await zhang.im.contacts.loadBlocked()).length).toBe(0);
  });

  it('makes a group of three from contacts; admin actions and settings reach the others', async () => {
    await loadPinyin();
    const owner = await person('+8613900000611', '王五');
    const ann = await person('+8613900000612', 'Ann');
    const ben = await person('+8613900000613', 'Ben');
    for (const other of [ann, ben]) {
      const { id } = await owner.im.contacts.sendRequest(other.id, 'hi');
      await waitUntil(() => other.im.contacts.snapshot.pending === 1, 10_000, 'the request');
      await other.im.contacts.accept(id);
    }
    await waitUntil(() => owner.im.contacts.snapshot.contacts.length === 2, 10_000, 'two contacts');

    const group = await owner.im.groups.create({ name: '周末爬山', members: [ann.id, ben.id] });
    expect(group).toMatchObject({ name: '周末爬山', role: 'owner', members: 3 });
    expect(owner.im.groups.filter('zmps').map((g) => g.id)).toEqual([group.id]);
    await waitUntil(() => ann.im.groups.group(group.id), 10_000, 'the group in Ann’s list');

    const details = await owner.im.groups.open(group.id);
    // Owner first; members who joined together in any order.
    expect(details.memberList.map((m) => [m.nickname, m.role]).sort((a, b) => (a[1] === 'owner' ? -1 : b[1] === 'owner' ? 1 : a[0]!.localeCompare(b[0]!)))).toEqual([
      ['王五', 'owner'],
      ['Ann', 'member'],
      ['Ben', 'member'],
    ]);
    expect(owner.im.groups.permissions(group.id)).toMatchObject({ manage: true, dissolve: true, leave: false });

    await owner.im.groups.setAdmin(group.id, ann.id, true);
    await owner.im.groups.mute(group.id, ben.id);
    await owner.im.groups.update(group.id, { notice: '周六早上八点集合', muteAll: false });
    // The server agrees (a fresh fetch), and Ann sees her new role.
    const fresh = await owner.im.groups.open(group.id);
    expect(fresh.memberList.map((m) => [m.nickname, m.role, m.mutedUntil === undefined ? '' : 'muted'])).toEqual([
      ['王五', 'owner', ''],
      ['Ann', 'admin', ''],
      ['Ben', 'member', 'muted'],
    ]);
    expect(fresh.notice).toBe('周六早上八点集合');
    await waitUntil(async () => (await ann.im.groups.open(group.id)).role === 'admin', 10_000, 'Ann an admin');
    expect(ann.im.groups.permissions(group.id)).toMatchObject({ manage: true, dissolve: false });
    expect(ann.im.groups.permissions(group.id).remove({ userId: ben.id, role: 'member' })).toBe(true);

    // Ben is removed by the admin: the group leaves his list, live.
    await ann.im.groups.removeMember(group.id, ben.id);
    await waitUntil(() => ben.im.groups.group(group.id) === undefined, 10_000, 'the group gone from Ben’s list');
    // A plain refusal is put back: Ann may not dissolve.
    await expect(ann.im.groups.dissolve(group.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(ann.im.groups.group(group.id)).toBeDefined();

    // Transfer, then the old owner leaves.
    await owner.im.groups.transfer(group.id, ann.id);
    expect(owner.im.groups.permissions(group.id)).toMatchObject({ dissolve: false, leave: true });
    await owner.im.groups.leave(group.id);
    expect(owner.im.groups.group(group.id)).toBeUndefined();
    const last = await ann.im.groups.open(group.id);
    expect(last.memberList.map((m) => [m.nickname, m.role])).toEqual([['Ann', 'owner']]);
    await ann.im.groups.dissolve(group.id);
    expect(ann.im.groups.snapshot.groups.map((g) => g.id)).not.toContain(group.id);
  });
});
