import { describe, expect, it } from 'vitest';
import {
  accountChange,
  accountForm,
  addEditor,
  ChannelsConsole,
  createRequest,
  dailyCapValue,
  editorsChanged,
  emptyAccountForm,
  parseKeywords,
  removeEditor,
  MAX_EDITORS,
} from './console.ts';
import type { ChannelsTransport } from './transport.ts';

/** A transport that records the calls and answers from a table (a function throws, as a refusal). */
function fake(answers: Record<string, unknown> = {}) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const transport: Pick<ChannelsTransport, 'request'> = {
    request: async <T>(method: string, path: string, body?: unknown) => {
      calls.push({ method, path, body });
      const answer = answers[`${method} ${path}`];
      if (typeof answer === 'function') return (answer as () => T)();
      return answer as T;
    },
  };
  return { transport, calls };
}

const saved = { name: 'HR', description: 'Notices', kind: 'subscription' as const, dailyCap: 10, avatarFileId: null };
const person = (id: string, nickname = id) => ({ id, nickname, role: 'user', status: 'active' });

describe('ChannelsConsole', () => {
  it('calls the console routes with their paths and bodies', async () => {
    const { transport, calls } = fake({
      'GET /service-accounts?q=%E9%A3%9F%E5%A0%82': { accounts: [{ id: 'sa1' }] },
      'GET /service-accounts': { accounts: [] },
      'POST /service-accounts': { id: 'sa2' },
      'PUT /service-accounts/sa2/editors': { editors: [{ id: 'u1', nickname: 'Ann', avatar: null }] },
      'GET /admin/channels/settings': { keywords: ['x'] },
      'PUT /admin/channels/settings': { keywords: ['a', 'b'] },
    });
    const c = new ChannelsConsole(transport);
    expect(await c.accounts(' 食堂 ')).toEqual([{ id: 'sa1' }]);
    expect(await c.accounts()).toEqual([]);
    expect(await c.create({ name: 'Canteen', editors: ['u1'], kind: 'service', dailyCap: 20 })).toBe('sa2');
    await c.account('sa2');
    await c.update('sa2', { dailyCap: 30, avatarFileId: null });
    expect(await c.setEditors('sa2', ['u1'])).toEqual([{ id: 'u1', nickname: 'Ann', avatar: null }]);
    await c.delete('sa/2');
    expect(await c.settings()).toEqual({ keywords: ['x'] });
    expect(await c.updateSettings({ keywords: ['a', 'b'] })).toEqual({ keywords: ['a', 'b'] });
    expect(calls.map((x) => [x.method, x.path, x.body])).toEqual([
      ['GET', '/service-accounts?q=%E9%A3%9F%E5%A0%82', undefined],
      ['GET', '/service-accounts', undefined],
      ['POST', '/service-accounts', { name: 'Canteen', editors: ['u1'], kind: 'service', dailyCap: 20 }],
      ['GET', '/service-accounts/sa2', undefined],
      ['PATCH', '/service-accounts/sa2', { dailyCap: 30, avatarFileId: null }],
      ['PUT', '/service-accounts/sa2/editors', { editors: ['u1'] }],
      ['DELETE', '/service-accounts/sa%2F2', undefined],
      ['GET', '/admin/channels/settings', undefined],
      ['PUT', '/admin/channels/settings', { keywords: ['a', 'b'] }],
    ]);
  });

  it('passes refusals on with their code', async () => {
    const { transport } = fake({
      'GET /admin/channels/settings': () => {
        throw Object.assign(new Error('confirm it is you'), { code: 'SECOND_FACTOR_REQUIRED' });
      },
    });
    await expect(new ChannelsConsole(transport).settings()).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' });
  });
});

describe('the account form', () => {
  it('refuses a daily cap below 10 (or not a whole number, or above 1000) before anything is sent', () => {
    expect(dailyCapValue('9')).toEqual({ ok: false, error: 'The daily cap is at least 10 articles a day.' });
    expect(dailyCapValue('0')).toMatchObject({ ok: false });
    expect(dailyCapValue('10.5')).toMatchObject({ ok: false });
    expect(dailyCapValue('-12')).toMatchObject({ ok: false });
    expect(dailyCapValue('')).toMatchObject({ ok: false });
    expect(dailyCapValue('1001')).toEqual({ ok: false, error: 'The daily cap is at most 1000 articles a day.' });
    expect(dailyCapValue(' 10 ')).toEqual({ ok: true, value: 10 });
    expect(dailyCapValue('1000')).toEqual({ ok: true, value: 1000 });
    expect(accountChange(saved, { ...accountForm(saved), dailyCap: '9' })).toEqual({ ok: false, error: 'The daily cap is at least 10 articles a day.' });
  });

  it('builds the create body from the form and the editors', () => {
    const form = { ...emptyAccountForm(), name: ' 食堂 ', kind: 'service' as const, dailyCap: '25' };
    expect(createRequest(form, [{ id: 'u1' }])).toEqual({ ok: true, value: { name: '食堂', kind: 'service', dailyCap: 25, editors: ['u1'] } });
    expect(createRequest({ ...form, description: ' Menus ', avatarFileId: 'fl1' }, [])).toEqual({
      ok: true,
      value: { name: '食堂', kind: 'service', dailyCap: 25, editors: [], description: 'Menus', avatarFileId: 'fl1' },
    });
    expect(createRequest({ ...form, name: '  ' }, [])).toEqual({ ok: false, error: 'Give the account a name.' });
    expect(createRequest({ ...form, name: '字'.repeat(31) }, [])).toMatchObject({ ok: false });
    expect(createRequest({ ...form, name: '字'.repeat(30) }, [])).toMatchObject({ ok: true });
    expect(createRequest({ ...form, description: 'x'.repeat(121) }, [])).toMatchObject({ ok: false });
  });

  it('sends only what changed', () => {
    expect(accountChange(saved, accountForm(saved))).toEqual({ ok: true, value: {} });
    expect(accountChange(saved, { ...accountForm(saved), name: 'HR news', kind: 'service', dailyCap: '40', avatarFileId: 'fl1' })).toEqual({
      ok: true,
      value: { name: 'HR news', kind: 'service', dailyCap: 40, avatarFileId: 'fl1' },
    });
    expect(accountChange({ ...saved, avatarFileId: 'fl1' }, { ...accountForm(saved), description: '' })).toEqual({ ok: true, value: { description: '', avatarFileId: null } });
  });
});

describe('the editors list', () => {
  it('adds people once, refuses guests and inactive accounts, removes, and tells a change', () => {
    const one = addEditor([], person('u1', 'Ann'));
    expect(one).toEqual({ ok: true, value: [{ id: 'u1', nickname: 'Ann', avatar: null }] });
    if (!one.ok) throw new Error('unreachable');
    expect(addEditor(one.value, person('u1', 'Ann'))).toEqual({ ok: false, error: 'Ann is already an editor.' });
    expect(addEditor(one.value, { ...person('g1', 'Visitor'), role: 'guest' })).toMatchObject({ ok: false });
    expect(addEditor(one.value, { ...person('p1', 'Pending'), status: 'pending' })).toMatchObject({ ok: false });
    const full = Array.from({ length: MAX_EDITORS }, (_, i) => ({ id: `u${i}`, nickname: `N${i}`, avatar: null }));
    expect(addEditor(full, person('x1'))).toEqual({ ok: false, error: 'At most 50 editors.' });
    const two = addEditor(one.value, person('u2', 'Bo'));
    if (!two.ok) throw new Error('unreachable');
    expect(removeEditor(two.value, 'u1').map((e) => e.id)).toEqual(['u2']);
    expect(editorsChanged(one.value, one.value)).toBe(false);
    expect(editorsChanged(one.value, two.value)).toBe(true);
    expect(editorsChanged(two.value, [...two.value].reverse())).toBe(false);
    expect(editorsChanged(two.value, removeEditor(two.value, 'u2'))).toBe(true);
  });
});

describe('the keyword list', () => {
  it('takes one a line or comma-separated, trimmed, without blanks or repeats', () => {
    expect(parseKeywords(' spam \n\n广告, spam，赌博\n')).toEqual({ ok: true, value: ['spam', '广告', '赌博'] });
    expect(parseKeywords('')).toEqual({ ok: true, value: [] });
    expect(parseKeywords('x'.repeat(41))).toMatchObject({ ok: false });
    expect(parseKeywords(Array.from({ length: 1001 }, (_, i) => `k${i}`).join('\n'))).toEqual({ ok: false, error: 'At most 1000 keywords.' });
  });
});
