/**
 * Contacts with real accounts on a test database: requests and answers,
 * blocks (refused, nothing stored), guests, the pinyin-ordered list and its
 * search, remarks seen only by their owner.
 */
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '@muster/db/testing';
import { imErrorCode, openImTestWorld } from '../testing/index.ts';
import { REQUEST_TTL_MS } from './Contacts.ts';

describe('contacts', () => {
  const testDb = useTestDatabase('sqlite');
  const setup = async () => openImTestWorld(await testDb.open());

  it('a request, seen by both, accepted by the one asked, makes two contacts; only the one asked may answer', async () => {
    const { contacts, person } = await setup();
    const [zhang, li, wang] = [await person('张三'), await person('李四'), await person('王五')];
    const { id, state } = await contacts.request(zhang, li.accountId, '我是张三');
    expect(state).toBe('pending');
    expect((await contacts.requests(li)).map((r) => [r.from.nickname, r.to.nickname, r.greeting, r.state])).toEqual([['张三', '李四', '我是张三', 'pending']]);
    expect(await imErrorCode(contacts.answer(zhang, id, true))).toBe('NOT_FOUND');
    expect(await imErrorCode(contacts.answer(wang, id, true))).toBe('NOT_FOUND');
    await contacts.answer(li, id, true);
    expect(await imErrorCode(contacts.answer(li, id, false))).toBe('REQUEST_EXPIRED');
    expect((await contacts.list(zhang)).map((c) => c.nickname)).toEqual(['李四']);
    expect((await contacts.list(li)).map((c) => c.nickname)).toEqual(['张三']);
    expect(await imErrorCode(contacts.request(li, zhang.accountId))).toBe('ALREADY_CONTACTS');
    expect(await imErrorCode(contacts.request(zhang, zhang.accountId))).toBe('BAD_REQUEST');
    expect(await imErrorCode(contacts.request(zhang, 'u-nobody-at-all'))).toBe('NOT_FOUND');
  });

  it('asking someone who asked you accepts their request; an unanswered one lapses after 30 days', async () => {
    const { t, contacts, person } = await setup();
    const [a, b, c] = [await person('Ann'), await person('Ben'), await person('Cy')];
    const first = await contacts.request(a, b.accountId);
    expect(await contacts.request(b, a.accountId)).toEqual({ id: first.id, state: 'accepted' });
    const lapsing = await contacts.request(a, c.accountId);
    t.clock.advance(REQUEST_TTL_MS + 1);
    expect((await contacts.requests(c))[0]!.state).toBe('expired');
    expect(await imErrorCode(contacts.answer(c, lapsing.id, true))).toBe('REQUEST_EXPIRED');
  });

  it('a blocked person’s request is refused with REFUSED_BY_RECIPIENT and nothing is stored; guests cannot add friends', async () => {
    const { t, contacts, person } = await setup();
    const [a, b] = [await person('Ann'), await person('Ben')];
    await contacts.block(b, a.accountId);
    expect(await imErrorCode(contacts.request(a, b.accountId, 'hello?'))).toBe('REFUSED_BY_RECIPIENT');
    expect(await contacts.requests(b)).toEqual([]);
    expect(await contacts.mayReach(a.accountId, b.accountId)).toBe(false);
    expect(await contacts.mayReach(b.accountId, a.accountId)).toBe(true);
    expect((await contacts.blocked(b)).map((p) => p.nickname)).toEqual(['Ann']);
    await contacts.unblock(b, a.accountId);
    expect((await contacts.request(a, b.accountId)).state).toBe('pending');
    const [guest] = await t.accounts.admin.createGuests({ accountId: 'root', sessionId: 's', role: 'admin' }, ['Visitor'], t.clock.now() + 3_600_000);
    const session = await t.accounts.auth.guestLogin(guest!.link.split('#')[1]!, undefined, { address: '10.1.2.3' });
    const guestPrincipal = (await t.accounts.guard.authenticate(session.accessToken))!;
    expect(await imErrorCode(contacts.request(guestPrincipal, a.accountId))).toBe('FORBIDDEN');
    expect(await imErrorCode(contacts.request(a, guestPrincipal.accountId))).toBe('NOT_FOUND');
  });

  it('lists in pinyin order with A–Z letters and finds by name, full pinyin or initials; remarks are the owner’s alone', async () => {
    const { contacts, person } = await setup();
    const me = await person('我');
    const names = ['张三', '单雄信', 'Alice', '解缙', '尉迟恭', '曾国藩', '123'];
    const people = [];
    for (const name of names) {
      const p = await person(name);
      people.push(p);
      const { id } = await contacts.request(me, p.accountId);
      await contacts.answer(p, id, true);
    }
    const list = await contacts.list(me);
    expect(list.map((c) => [c.displayName, c.letter])).toEqual([
      ['Alice', 'A'],
      ['单雄信', 'S'],
      ['解缙', 'X'],
      ['尉迟恭', 'Y'],
      ['曾国藩', 'Z'],
      ['张三', 'Z'],
      ['123', '#'],
    ]);
    expect((await contacts.list(me, 'zs')).map((c) => c.displayName)).toEqual(['张三']);
    expect((await contacts.list(me, 'zhangs')).map((c) => c.displayName)).toEqual(['张三']);
    expect((await contacts.list(me, 'shan')).map((c) => c.displayName)).toContain('单雄信');
    expect((await contacts.list(me, 'yuchi')).map((c) => c.displayName)).toEqual(['尉迟恭']);
    // A remark: shown and searched (pinyin too), the nickname still found; the other side sees nothing of it.
    const zhang = people[0]!;
    const updated = await contacts.update(me, zhang.accountId, { remark: '老张', tags: ['同事', '同事'] });
    expect(updated).toMatchObject({ displayName: '老张', nickname: '张三', remark: '老张', tags: ['同事'], letter: 'L' });
    expect((await contacts.list(me, 'lz')).map((c) => c.nickname)).toEqual(['张三']);
    expect((await contacts.list(me, '张三')).map((c) => c.displayName)).toEqual(['老张']);
    expect((await contacts.list(zhang)).map((c) => c.remark)).toEqual([null]);
    expect(await imErrorCode(contacts.update(zhang, people[1]!.accountId, { remark: 'x' }))).toBe('NOT_FOUND');
    await contacts.remove(zhang, me.accountId);
    expect((await contacts.list(me)).map((c) => c.nickname)).not.toContain('张三');
    expect(await imErrorCode(contacts.remove(zhang, me.accountId))).toBe('NOT_FOUND');
  });
});
