/**
 * The contacts store against a fake transport: loading, rail sections,
 * local pinyin search, the "New friends" badge, optimistic answers, remarks
 * (re-sorted at once, put back on refusal), delete, block, lookup, and live
 * events from other devices.
 */
import { describe, expect, it } from 'vitest';
import type { ContactRequestView, ContactView } from '../protocol.ts';
import { ContactsStore, pendingCount } from './contacts.ts';
import { FakeTransport } from './fakeTransport.ts';
import { loadPinyin } from './names.ts';
import { ImClientError } from './transport.ts';

const ME = 'user-me-0001';
const person = (id: string, nickname: string) => ({ id, nickname, avatar: null, musterId: `m_${id.slice(-4)}` });
const contact = (userId: string, nickname: string, letter: string, remark: string | null = null): ContactView => ({
  userId,
  nickname,
  remark,
  displayName: remark ?? nickname,
  avatar: null,
  musterId: `m_${userId.slice(-4)}`,
  tags: [],
  letter,
  since: 1,
});
const request = (id: string, from: string, to: string, state: ContactRequestView['state'], createdAt: number): ContactRequestView => ({
  id,
  from: person(from, from === ME ? 'Me' : `N${from}`),
  to: person(to, to === ME ? 'Me' : `N${to}`),
  greeting: 'hi',
  state,
  createdAt,
  expiresAt: createdAt + 1e12,
});

function world() {
  const t = new FakeTransport();
  let contacts: ContactView[] = [
    contact('user-li-0004', '李四', 'L'),
    contact('user-shan-005', '单田芳', 'S'),
    contact('user-zhang-03', '张三', 'Z'),
    contact('user-bob-0002', 'Bob', 'B'),
  ];
  // The server's own order (the fake keeps it sorted by a fixed key).
  const order = ['Bob', '李四', '单田芳', '尉迟恭', '小张', '张三'];
  const sorted = () => [...contacts].sort((a, b) => order.indexOf(a.displayName) - order.indexOf(b.displayName));
  let requests: ContactRequestView[] = [request('fr-in-000000001', 'user-wang-06', ME, 'pending', 100), request('fr-out-00000002', ME, 'user-zhao-07', 'pending', 200), request('fr-in-000000003', 'user-qian-08', ME, 'declined', 50)];
  t.route('GET', '/contacts', () => sorted());
  t.route('GET', '/contacts/requests', () => requests);
  t.route('PATCH', '/contacts/:id', ({ params, body }) => {
    const c = contacts.find((x) => x.userId === params[0]);
    if (!c) throw new ImClientError('NOT_FOUND', 'no such contact', 404);
    const b = body as { remark?: string | null; tags?: string[] };
    const remark = b.remark === undefined ? c.remark : b.remark;
    const next = { ...c, remark, displayName: remark ?? c.nickname, tags: b.tags ?? c.tags, letter: remark === '小张' ? 'X' : c.letter };
    contacts = contacts.map((x) => (x.userId === c.userId ? next : x));
    return next;
  });
  t.route('DELETE', '/contacts/:id', ({ params }) => {
    contacts = contacts.filter((c) => c.userId !== params[0]);
  });
  t.route('POST', '/contacts/requests/:id/accept', ({ params }) => {
    const r = requests.find((x) => x.id === params[0])!;
    requests = requests.map((x) => (x.id === r.id ? { ...x, state: 'accepted' } : x));
    contacts = [...contacts, contact(r.from.id, '尉迟恭', 'Y')];
  });
  t.route('POST', '/contacts/requests/:id/decline', () => {
    throw new ImClientError('REQUEST_EXPIRED', 'answered on another device', 409);
  });
  t.route('POST', '/contacts/requests', ({ body }) => {
    const b = body as { to: string; greeting?: string };
    requests = [{ ...request('fr-new-00000009', ME, b.to, 'pending', 300), greeting: b.greeting ?? null }, ...requests];
    return { id: 'fr-new-00000009', state: 'pending' };
  });
  t.route('GET', '/users/lookup', ({ query }) => {
    if (query.get('phone') === '+8613800000001' || query.get('musterId') === 'zhang_san') return person('user-zhang-03', '张三');
    throw new ImClientError('NOT_FOUND', 'no such user', 404);
  });
  t.route('GET', '/contacts/blocked', () => []);
  t.route('PUT', '/contacts/blocked/:id', () => undefined);
  t.route('DELETE', '/contacts/blocked/:id', () => undefined);
  const store = new ContactsStore(t, { me: ME, now: () => 1000 });
  return { t, store, setRequests: (r: ContactRequestView[]) => (requests = r) };
}

describe('ContactsStore', () => {
  it('loads the list in the server’s order, in rail sections, with the badge for requests to me that wait', async () => {
    const { store } = world();
    const snapshots: number[] = [];
    store.subscribe((s) => snapshots.push(s.contacts.length));
    await store.start();
    expect(store.snapshot.loaded).toBe(true);
    expect(store.snapshot.contacts.map((c) => c.displayName)).toEqual(['Bob', '李四', '单田芳', '张三']);
    expect(store.sections().map((s) => [s.letter, s.items.map((c) => c.nickname)])).toEqual([
      ['B', ['Bob']],
      ['L', ['李四']],
      ['S', ['单田芳']],
      ['Z', ['张三']],
    ]);
    // Newest first; only the pending request to me counts (not mine to others, not a declined one).
    expect(store.snapshot.requests.map((r) => r.id)).toEqual(['fr-out-00000002', 'fr-in-000000001', 'fr-in-000000003']);
    expect(store.snapshot.pending).toBe(1);
    expect(snapshots.at(-1)).toBe(4);
    store.stop();
  });

  it('finds contacts by name, full pinyin and initials, locally', async () => {
    const { store } = world();
    await store.start();
    await loadPinyin();
    const names = (q: string) => store.filter(q).map((c) => c.nickname);
    expect(names('zs')).toEqual(['张三']);
    expect(names('zhangs')).toEqual(['张三']);
    expect(names('张')).toEqual(['张三']);
    expect(names('shan')).toEqual(['单田芳']); // 单 as a surname is shan
    expect(names('BO')).toEqual(['Bob']);
    expect(names('m_-003')).toEqual([]);
    expect(names('   ')).toEqual([]);
    expect(names('qqq')).toEqual([]);
  });

  it('accepts at once (the badge drops before the server answers) and then lists the new friend', async () => {
    const { t, store } = world();
    await store.start();
    const release = t.hold('POST /contacts/requests/fr-in-000000001/accept');
    const accepting = store.accept('fr-in-000000001');
    await new Promise((r) => setTimeout(r, 0));
    expect(store.snapshot.pending).toBe(0);
    expect(store.snapshot.requests.find((r) => r.id === 'fr-in-000000001')!.state).toBe('accepted');
    release();
    await accepting;
    expect(store.snapshot.contacts.map((c) => c.nickname)).toContain('尉迟恭');
  });

  it('puts a refused answer back and takes the server’s word', async () => {
    const { store } = world();
    await store.start();
    await expect(store.decline('fr-in-000000001')).rejects.toMatchObject({ code: 'REQUEST_EXPIRED' });
    expect(store.snapshot.requests.find((r) => r.id === 'fr-in-000000001')!.state).toBe('pending');
    expect(store.snapshot.pending).toBe(1);
  });

  it('a remark renames and re-sorts at once, and a refused one is put back', async () => {
    const { t, store } = world();
    await store.start();
    await loadPinyin();
    const release = t.hold('PATCH /contacts/user-zhang-03');
    const renaming = store.setRemark('user-zhang-03', ' 小张 ');
    await new Promise((r) => setTimeout(r, 0));
    // 小张 is xiao zhang: before 张三 would be, and under X.
    expect(store.contact('user-zhang-03')).toMatchObject({ remark: '小张', displayName: '小张', letter: 'X' });
    expect(store.snapshot.contacts.map((c) => c.displayName)).toEqual(['Bob', '李四', '单田芳', '小张']);
    release();
    expect(await renaming).toMatchObject({ displayName: '小张' });
    expect(t.calls.at(-1)).toEqual({ method: 'PATCH', path: '/contacts/user-zhang-03', body: { remark: '小张' } });

    await store.setRemark('user-zhang-03', '');
    expect(store.contact('user-zhang-03')).toMatchObject({ remark: null, displayName: '张三' });

    t.route('PATCH', '/contacts/:id', () => {
      throw new ImClientError('BAD_REQUEST', 'too long', 400);
    });
    await expect(store.setTags('user-li-0004', ['work', 'work', ' '])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(store.contact('user-li-0004')!.tags).toEqual([]);
    expect(t.calls.at(-1)!.body).toEqual({ tags: ['work'] });
  });

  it('deletes, blocks and unblocks optimistically', async () => {
    const { t, store } = world();
    await store.start();
    await store.loadBlocked();
    await store.block('user-li-0004');
    expect(store.isBlocked('user-li-0004')).toBe(true);
    expect(store.snapshot.blocked!.map((b) => b.nickname)).toEqual(['李四']);
    await store.unblock('user-li-0004');
    expect(store.isBlocked('user-li-0004')).toBe(false);

    t.route('PUT', '/contacts/blocked/:id', () => {
      throw new ImClientError('NETWORK', 'offline');
    });
    await expect(store.block('user-bob-0002')).rejects.toMatchObject({ code: 'NETWORK' });
    expect(store.isBlocked('user-bob-0002')).toBe(false);

    await store.remove('user-bob-0002');
    expect(store.isContact('user-bob-0002')).toBe(false);
    expect(t.calls.some((c) => c.method === 'DELETE' && c.path === '/contacts/user-bob-0002')).toBe(true);
  });

  it('looks people up by phone or Muster ID (none is null) and sends a request with a greeting', async () => {
    const { t, store } = world();
    await store.start();
    expect(await store.lookup({ phone: ' +8613800000001 ' })).toMatchObject({ nickname: '张三' });
    expect(t.calls.at(-1)!.path).toBe('/users/lookup?phone=%2B8613800000001');
    expect(await store.lookup({ musterId: 'zhang_san' })).toMatchObject({ id: 'user-zhang-03' });
    expect(await store.lookup({ musterId: 'nobody' })).toBeNull();
    expect(await store.sendRequest('user-zhou-10', '  我是张三  ')).toEqual({ id: 'fr-new-00000009', state: 'pending' });
    expect(t.calls.find((c) => c.method === 'POST' && c.path === '/contacts/requests')!.body).toEqual({ to: 'user-zhou-10', greeting: '我是张三' });
    expect(store.snapshot.requests[0]!.id).toBe('fr-new-00000009');
    expect(store.snapshot.pending).toBe(1); // mine to others never counts
  });

  it('follows live events and reconnections; stop unsubscribes', async () => {
    const { t, store, setRequests } = world();
    await store.start();
    let changes = 0;
    store.subscribe(() => changes++);
    t.fire('im.contactRequest', request('fr-live-0000010', 'user-sun-11', ME, 'pending', 500));
    expect(store.snapshot.pending).toBe(2);
    expect(store.snapshot.requests[0]!.id).toBe('fr-live-0000010');
    // A late "pending" echo does not undo an answer.
    t.fire('im.contactRequest', { ...request('fr-live-0000010', 'user-sun-11', ME, 'declined', 500) });
    t.fire('im.contactRequest', request('fr-live-0000010', 'user-sun-11', ME, 'pending', 500));
    expect(store.snapshot.requests[0]!.state).toBe('declined');

    setRequests([]);
    const before = t.calls.length;
    t.reconnect();
    t.fire('im.contacts', { change: 'added', userId: 'user-sun-11' });
    await store.refresh();
    expect(t.calls.length).toBeGreaterThan(before);
    expect(store.snapshot.requests).toEqual([]);
    expect(store.snapshot.pending).toBe(0);
    expect(changes).toBeGreaterThan(0);
    store.stop();
    expect(t.listening('im.contactRequest')).toBe(0);
  });

  it('counts only pending, unexpired requests to me', () => {
    const r = request('fr-x-0000000001', 'user-a-000001', ME, 'pending', 0);
    expect(pendingCount([r], ME, 10)).toBe(1);
    expect(pendingCount([{ ...r, expiresAt: 5 }], ME, 10)).toBe(0);
    expect(pendingCount([r], null, 10)).toBe(0);
    expect(pendingCount([r], 'someone-else', 10)).toBe(0);
  });
});
