/**
 * Chat export through a whole server: `POST /conversations/:id/export`
 * answers with the document itself (DOCX and PDF read back with real
 * parsers, Markdown as text), with its name in Content-Disposition; a
 * non-member gets 404, a plain member of an exportAdminsOnly group 403; the
 * export is in the audit log; and a fuzz of the body gets coded 4xx
 * replies, never a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IM_ERROR_CODES, locateCjkFont } from '@muster/im';
import { entryStamps, readDocx, readPdf } from '@muster/im/export/testing';
import { mulberry32 } from '@muster/kit/testing';
import { startTestServer } from '../testing/index.ts';
import { imPeople } from './testing/people.ts';

describe('chat export over REST', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const { api, signup, befriend, closeAll } = imPeople(() => server);

  /** POST /export, the document's bytes and headers (or the coded error). */
  const exportChat = async (id: string, token: string | undefined, body: unknown, options: { raw?: boolean; headers?: Record<string, string> } = {}) => {
    const res = await fetch(`${server.url}/api/v1/conversations/${id}/export`, {
      method: 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...options.headers },
      body: options.raw && typeof body === 'string' ? body : JSON.stringify(body),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, bytes, error: type.startsWith('application/json') ? (JSON.parse(bytes.toString('utf8')) as { error: { code: string } }).error : undefined };
  };

  let owner: Awaited<ReturnType<typeof signup>>, member: Awaited<ReturnType<typeof signup>>, outsider: Awaited<ReturnType<typeof signup>>;
  let groupId: string;
  let from: string, to: string;

  beforeAll(async () => {
    server = await startTestServer();
    owner = await signup('+8613900000871', '指挥员');
    member = await signup('+8613900000872', '队员甲');
    outsider = await signup('+8613900000873', '路人');
    await befriend(owner, member);
    await befriend(owner, outsider);
    from = new Date(Date.now() - 60_000).toISOString();
    const made = await api('POST', '/groups', owner.accessToken, { name: '作战协调组', members: [member.user.id] });
    expect(made.status).toBe(201);
    groupId = made.body.id;
    const say = (who: typeof owner, n: number, text: string) => api('POST', `/conversations/${groupId}/messages`, who.accessToken, { clientMsgId: `export-rest-${n}`, type: 'text', text });
    expect((await say(owner, 1, '明天上午九点集合')).status).toBe(201);
    expect((await say(member, 2, '收到')).status).toBe(201);
    const recalled = await say(member, 3, '发错了，撤回');
    expect((await api('POST', `/conversations/${groupId}/messages/${recalled.body.id}/recall`, member.accessToken, {})).status).toBe(200);
    to = new Date(Date.now() + 60_000).toISOString();
  }, 60_000);
  afterAll(closeAll);

  it('answers DOCX, PDF and Markdown with the document itself, named "<group> <dates>.<ext>"; recalled messages left out', async () => {
    const docx = await exportChat(groupId, owner.accessToken, { from, to, format: 'docx', timeZone: 'Asia/Shanghai' });
    expect(docx.status).toBe(200);
    expect(docx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const disposition = docx.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment; filename="[ -~]+\.docx"; filename\*=UTF-8''/);
    const name = decodeURIComponent(disposition.split("filename*=UTF-8''")[1]!);
    expect(name).toMatch(/^作战协调组 \d{4}-\d\d-\d\d(~\d{4}-\d\d-\d\d)?\.docx$/);
    expect(docx.headers.get('muster-export-count')).toBe('2');
    const text = await readDocx(docx.bytes);
    expect(text.paragraphs[0]).toBe('作战协调组 聊天记录纪要');
    expect(text.paragraphs).toContain('明天上午九点集合');
    expect(text.paragraphs).toContain('共 2 条消息');
    expect(entryStamps(text.text)).toBe(2);
    expect(text.text).not.toContain('撤回');

    const md = await exportChat(groupId, member.accessToken, { from, to, format: 'md' });
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.bytes.toString('utf8')).toContain('**共 2 条消息**');
    const english = await exportChat(groupId, member.accessToken, { from, to, format: 'md' }, { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    expect(english.bytes.toString('utf8').split('\n')[0]).toBe('# 作战协调组 — Chat minutes');

    if (locateCjkFont() !== null) {
      const pdf = await exportChat(groupId, owner.accessToken, { from, to, format: 'pdf' });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      const read = await readPdf(pdf.bytes);
      expect(read.text.split('\n')).toContain('明天上午九点集合');
      expect(read.text).toContain('共 2 条消息');
      expect(entryStamps(read.text)).toBe(2);
    }

    const audit = (await server.db.audit.read({ limit: 1000 })).filter((e) => e.action === 'im.export' && e.target === groupId);
    expect(audit.map((e) => [e.actor, (e.details as { format: string }).format, (e.details as { messages: number }).messages])).toEqual(
      expect.arrayContaining([
        [owner.user.id, 'docx', 2],
        [member.user.id, 'md', 2],
      ]),
    );
    expect(JSON.stringify(audit)).not.toContain('集合');
  });

  it('a non-member gets 404 (as a malformed id), no token 401; a plain member of an exportAdminsOnly group 403', async () => {
    expect((await exportChat(groupId, outsider.accessToken, { from, to, format: 'md' })).error?.code).toBe('NOT_FOUND');
    expect((await exportChat(groupId, outsider.accessToken, { from, to, format: 'md' })).status).toBe(404);
    expect((await exportChat('not-an-id', owner.accessToken, { from, to, format: 'md' })).status).toBe(404);
    expect((await exportChat(groupId, undefined, { from, to, format: 'md' })).status).toBe(401);

    const set = await api('PATCH', `/groups/${groupId}`, owner.accessToken, { exportAdminsOnly: true });
    expect(set.status).toBe(200);
    expect(set.body.exportAdminsOnly).toBe(true);
    expect((await api('GET', `/groups/${groupId}`, member.accessToken)).body.exportAdminsOnly).toBe(true);
    expect((await api('PATCH', `/groups/${groupId}`, member.accessToken, { exportAdminsOnly: false })).status).toBe(403);
    const refused = await exportChat(groupId, member.accessToken, { from, to, format: 'md' });
    expect([refused.status, refused.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect((await exportChat(groupId, owner.accessToken, { from, to, format: 'md' })).status).toBe(200);
    expect((await api('PATCH', `/groups/${groupId}`, owner.accessToken, { exportAdminsOnly: false })).body.exportAdminsOnly).toBe(false);
    expect((await exportChat(groupId, member.accessToken, { from, to, format: 'md', messageIds: ['msgnosuchmessage1'] })).error?.code).toBe('NOT_FOUND');
  });

  it('fuzz: random JSON bodies get a coded 4xx, never a 5xx', async () => {
    const random = mulberry32(17);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const value = (depth: number): unknown => {
      switch (Math.floor(random() * (depth > 2 ? 6 : 8))) {
        case 0: return null;
        case 1: return random() < 0.5;
        case 2: return pick([0, -1, 1e308, 3.5, Number.MAX_SAFE_INTEGER, 1000, 10_001]);
        case 3: return pick(['', 'pdf', 'docx', 'md', 'html', '2025-03-01T09:00:00+08:00', '2025-03-01', 'Asia/Shanghai', 'Mars/Base', 'x'.repeat(5000), '明天', '\u0000', 'msgabcdefgh12']);
        case 4: return new Date(Date.now() + Math.floor((random() - 0.5) * 1e12)).toISOString();
        case 5: return pick([from, to]);
        case 6: return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
        default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(['from', 'to', 'format', 'messageIds', 'timeZone', 'saveToChat', '__proto__', 'x']), value(depth + 1)]));
      }
    };
    const bodies: { body: unknown; raw?: boolean }[] = [
      { body: 'not json', raw: true },
      { body: '{"from":', raw: true },
      { body: '[]', raw: true },
      { body: '"text"', raw: true },
      { body: 'null', raw: true },
      { body: `${'['.repeat(100)}${']'.repeat(100)}`, raw: true },
      { body: { from, to, format: 'md', messageIds: Array.from({ length: 1001 }, (_, i) => `msgabcdefgh${i}`) } },
      { body: { from: to, to: from, format: 'md' } },
      { body: { from: '2024-01-01T00:00:00Z', to: '2025-06-01T00:00:00Z', format: 'md' } },
    ];
    for (let i = 0; i < 150; i++) {
      const base: Record<string, unknown> = { from, to, format: pick(['md', 'docx', 'pdf']) };
      // Either a valid body with one field broken, or anything at all.
      bodies.push({ body: random() < 0.5 ? { ...base, [pick(['from', 'to', 'format', 'messageIds', 'timeZone', 'saveToChat', 'extra'])]: value(1) } : value(0) });
    }
    for (const { body, raw } of bodies) {
      const res = await exportChat(groupId, member.accessToken, body, raw ? { raw } : {});
      const what = `${res.status} for ${String(JSON.stringify(body)).slice(0, 120)}`;
      expect(res.status, what).toBeLessThan(500);
      if (res.status !== 200) {
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        expect(IM_ERROR_CODES, what).toContain(res.error?.code);
      }
    }
  });
});
