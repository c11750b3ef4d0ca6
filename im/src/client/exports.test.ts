import { describe, expect, it } from 'vitest';
import { ExportRequestSchema } from '../export/exportProtocol.ts';
import { attachmentHeader } from '../export/exportApi.ts';
import { AccountTransport } from './accountTransport.ts';
import { ChatExportClient, filenameOf, isoWithOffset } from './exports.ts';
import { FakeTransport } from './fakeTransport.ts';
import { ImClientError } from './transport.ts';

describe('isoWithOffset', () => {
  it('writes the moment in the given offset, which the export schema accepts and which names the same instant', () => {
    const ms = Date.UTC(2025, 2, 1, 1, 2, 3, 45);
    expect(isoWithOffset(ms, 480)).toBe('2025-03-01T09:02:03.045+08:00');
    expect(isoWithOffset(ms, -330)).toBe('2025-02-28T19:32:03.045-05:30');
    expect(isoWithOffset(ms, 0)).toBe('2025-03-01T01:02:03.045+00:00');
    for (const offset of [480, -330, 0, undefined]) expect(Date.parse(isoWithOffset(ms, offset))).toBe(ms);
    expect(ExportRequestSchema.safeParse({ from: isoWithOffset(ms, 480), to: isoWithOffset(ms + 1000), format: 'md' }).success).toBe(true);
  });
});

describe('filenameOf', () => {
  it('reads the server’s own header: the UTF-8 name first, the ASCII one else', () => {
    expect(filenameOf(attachmentHeader('作战协调组 2025-03-01.docx'), 'x.docx')).toBe('作战协调组 2025-03-01.docx');
    expect(filenameOf(attachmentHeader("Ann's (chat) 2025-03-01.md"), 'x.md')).toBe("Ann's (chat) 2025-03-01.md");
    expect(filenameOf('attachment; filename="minutes.pdf"', 'x.pdf')).toBe('minutes.pdf');
    expect(filenameOf('attachment; filename=plain.md', 'x.md')).toBe('plain.md');
  });

  it('falls back on a missing or unsafe name', () => {
    expect(filenameOf(null, 'chat-minutes.md')).toBe('chat-minutes.md');
    expect(filenameOf('attachment', 'chat-minutes.md')).toBe('chat-minutes.md');
    expect(filenameOf("attachment; filename*=UTF-8''..%2F..%2Fevil.md", 'x.md')).toBe('evil.md');
    expect(filenameOf("attachment; filename*=UTF-8''%E0%A4%A", 'x.md')).toBe('x.md');
    expect(filenameOf("attachment; filename*=UTF-8''..", 'x.md')).toBe('x.md');
  });
});

describe('ChatExportClient', () => {
  it('posts the range, format, picked ids, saveToChat and time zone; answers with the bytes, the file name, the count and the saved message', async () => {
    const t = new FakeTransport();
    t.route('POST', '/conversations/:id/export', () => ({
      body: '# 纪要',
      headers: { 'content-disposition': attachmentHeader('项目组 2025-03-01.md'), 'muster-export-count': '2', 'muster-export-message': 'msgSaved000001' },
    }));
    const exports = new ChatExportClient(t);
    const from = Date.UTC(2025, 2, 1);
    const done = await exports.exportChat('cvGroupOne0001', { from, to: '2025-03-01T23:59:59.999+08:00', format: 'md', messageIds: ['msgFirst00001', 'msgSecond0002'], saveToChat: true, timeZone: 'Asia/Shanghai', language: 'zh' });
    expect(t.calls.at(-1)).toMatchObject({ method: 'POST', path: '/conversations/cvGroupOne0001/export' });
    const body = t.calls.at(-1)!.body as Record<string, unknown>;
    expect(body).toEqual({ from: isoWithOffset(from), to: '2025-03-01T23:59:59.999+08:00', format: 'md', messageIds: ['msgFirst00001', 'msgSecond0002'], saveToChat: true, timeZone: 'Asia/Shanghai' });
    expect(ExportRequestSchema.safeParse(body).success).toBe(true);
    expect(t.fileHeaders.at(-1)).toEqual({ 'accept-language': 'zh' });
    expect(done).toMatchObject({ filename: '项目组 2025-03-01.md', count: 2, messageId: 'msgSaved000001', format: 'md' });
    expect(await done.blob.text()).toBe('# 纪要');
  });

  it('leaves out what is not asked; no saved message without saveToChat', async () => {
    const t = new FakeTransport();
    t.route('POST', '/conversations/:id/export', () => ({ body: new Uint8Array([80, 75]), headers: { 'muster-export-count': '0' } }));
    const done = await new ChatExportClient(t).exportChat('cv1', { from: new Date(0), to: new Date(1000), format: 'docx', timeZone: 'UTC' });
    expect(Object.keys(t.calls.at(-1)!.body as object).sort()).toEqual(['format', 'from', 'timeZone', 'to']);
    expect(t.fileHeaders.at(-1)).toEqual({});
    expect(done).toMatchObject({ filename: 'chat-minutes.docx', count: 0, messageId: null });
  });

  it('over the account transport: JSON out, bytes back, the server’s error codes as ImClientError', async () => {
    const seen: { path: string; init: RequestInit }[] = [];
    const replies: Response[] = [
      new Response(new Uint8Array([1, 2, 3]), { status: 200, headers: { 'content-disposition': attachmentHeader('聊天 2025-03-01.pdf'), 'muster-export-count': '7' } }),
      new Response(JSON.stringify({ error: { code: 'EXPORT_FONT_MISSING', message: 'no CJK font' } }), { status: 503 }),
      new Response(JSON.stringify({ error: { code: 'FORBIDDEN', message: 'owner and admins only' } }), { status: 403 }),
      new Response('<html>bad gateway</html>', { status: 404 }),
    ];
    const transport = new AccountTransport({
      fetch: async (path: string, init: RequestInit = {}) => {
        seen.push({ path, init });
        return replies.shift()!;
      },
    });
    const exports = new ChatExportClient(transport);
    const input = { from: '2025-03-01T00:00:00+08:00', to: '2025-03-01T23:59:59+08:00', format: 'pdf' as const, language: 'en' as const };
    const done = await exports.exportChat('cv1', input);
    expect(seen[0]!.path).toBe('/conversations/cv1/export');
    expect(seen[0]!.init.method).toBe('POST');
    expect(seen[0]!.init.headers).toMatchObject({ 'content-type': 'application/json', 'accept-language': 'en' });
    expect(JSON.parse(seen[0]!.init.body as string)).toMatchObject({ from: input.from, to: input.to, format: 'pdf' });
    expect(new Uint8Array(await done.blob.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect(done).toMatchObject({ filename: '聊天 2025-03-01.pdf', count: 7 });
    for (const [code, status] of [['EXPORT_FONT_MISSING', 503], ['FORBIDDEN', 403], ['NOT_FOUND', 404]] as const) {
      const error = await exports.exportChat('cv1', input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImClientError);
      expect(error).toMatchObject({ code, status });
    }
  });
});
