/**
 * The pure parts of the export: the document model's lines (durations,
 * sizes, notices, calls, local times), Markdown escaping, thumbnail
 * headers, the font locator, file names and Content-Disposition.
 */
import { describe, expect, it } from 'vitest';
import type { MessageView } from '../protocol.ts';
import { safeName } from './ChatExport.ts';
import { attachmentHeader } from './exportApi.ts';
import { KNOWN_CJK_FONTS, locateCjkFont, parseFontSetting } from './fonts.ts';
import { fitWithin, readThumbnail } from './images.ts';
import { buildMinutes, byteSize, dateRange, duration, localTime } from './minutes.ts';
import { escapeMarkdown, renderMarkdown } from './renderMarkdown.ts';
import { solidPng } from './testing/index.ts';

const at = Date.UTC(2025, 2, 1, 1, 0, 0); // 09:00 in Shanghai
const message = (seq: number, m: Partial<MessageView>): MessageView => ({ id: `msg${seq}abcdefgh`, conversationId: 'cvabcdefgh', seq, senderId: 'u-ann', type: 'text', sentAt: at + seq * 1000, ...m });

describe('the minutes model', () => {
  it('formats durations, sizes and local times', () => {
    expect([duration(12_000), duration(65_000), duration(3_723_000), duration(400)]).toEqual(['0:12', '1:05', '1:02:03', '0:00']);
    expect([byteSize(512), byteSize(2048), byteSize(1_234_567), byteSize(25 * 1024 ** 3)]).toEqual(['512 B', '2 KB', '1.2 MB', '25 GB']);
    expect(localTime(at, 'Asia/Shanghai', 'second')).toBe('2025-03-01 09:00:00');
    expect(localTime(at, 'UTC')).toBe('2025-03-01 01:00');
    expect(dateRange(at, at + 3_600_000, 'Asia/Shanghai')).toBe('2025-03-01');
    expect(dateRange(at, at + 86_400_000, 'Asia/Shanghai')).toBe('2025-03-01~2025-03-02');
  });

  it('renders system notices and call records as readable lines, in Chinese or English', () => {
    const names = new Map([['u-ann', '安'], ['u-ben', '本']]);
    const messages = [
      message(1, { type: 'system', senderId: 'u-ann', notice: { kind: 'joined', actorId: 'u-ann', userIds: ['u-ben'] } }),
      message(2, { type: 'system', senderId: 'u-ann', notice: { kind: 'muted', actorId: 'u-ann', detail: { everyone: true } } }),
      message(3, { type: 'system', senderId: 'u-ann', notice: { kind: 'call', actorId: 'u-ann', text: 'Voice call · 1:05', detail: { media: 'audio', outcome: 'ended', durationMs: 65_000 } } }),
      message(4, { type: 'system', senderId: 'system', notice: { kind: 'dissolved', actorId: 'system', detail: { reason: 'idle' } } }),
      message(5, { text: 'gone', recalled: { by: 'u-ann', at } }),
    ];
    const zh = buildMinutes({ lang: 'zh', kind: 'group', name: '组', from: at, to: at + 10_000, timeZone: 'UTC', messages, names });
    expect(zh.entries.map((e) => e.notice)).toEqual(['安 邀请 本 加入了群聊', '安 开启了全员禁言', '安: 语音通话 1:05', '群聊已到期解散']);
    expect(zh.count).toBe(4);
    const en = buildMinutes({ lang: 'en', kind: 'group', name: 'G', from: at, to: at + 10_000, timeZone: 'UTC', messages, names });
    expect(en.entries.map((e) => e.notice)).toEqual(['安 added 本', '安 muted everyone', '安: Voice call 1:05', 'The group expired and was dissolved']);
    // Notices are not speakers.
    expect(en.facts[1]).toEqual({ label: 'Speakers', value: '—' });
  });

  it('shows a recalled quote as recalled, an edited text as edited, an unknown sender as someone', () => {
    const minutes = buildMinutes({
      lang: 'zh', kind: 'direct', name: '安 & 本', from: at, to: at + 10_000, timeZone: 'UTC', names: new Map([['u-ann', '安']]),
      messages: [message(1, { text: '对', quote: { id: 'msgx', seq: 0, senderId: 'u-ann', type: 'text', recalled: true }, editedAt: at }), message(2, { senderId: 'u-gone', text: 'hi' })],
    });
    expect(minutes.entries[0]).toMatchObject({ quote: '回复 安：（原消息已撤回）', blocks: [{ kind: 'text', text: '对（已编辑）' }] });
    expect(minutes.entries[1]!.sender).toBe('某人');
  });

  it('Markdown keeps people’s words as words: no heading, list, link, HTML or emphasis comes out of them', () => {
    expect(escapeMarkdown('# 标题')).toBe('\\# 标题');
    expect(escapeMarkdown('- item\n1. one\n+ plus')).toBe('\\- item  \n1\\. one  \n\\+ plus');
    expect(escapeMarkdown('[x](http://e.test) <b>*a*_b_`c`|~')).toBe('\\[x\\](http://e.test) \\<b\\>\\*a\\*\\_b\\_\\`c\\`\\|\\~');
    const md = renderMarkdown(buildMinutes({ lang: 'zh', kind: 'direct', name: '安 & 本', from: at, to: at, timeZone: 'UTC', names: new Map(), messages: [message(1, { text: '# not a heading\n<script>x</script>' })] })).toString('utf8');
    expect(md).toContain('\\# not a heading  \n\\<script\\>x\\</script\\>');
    expect(md).not.toMatch(/^# not/m);
  });
});

describe('thumbnails', () => {
  it('reads the size of a PNG and a JPEG; anything else is no thumbnail', () => {
    expect(readThumbnail(solidPng(30, 20))).toMatchObject({ type: 'png', width: 30, height: 20 });
    // A minimal JPEG header: SOI, an APP0 segment, then SOF0 with height 48 and width 64.
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x30, 0x00, 0x40, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(readThumbnail(jpeg)).toMatchObject({ type: 'jpg', width: 64, height: 48 });
    expect(readThumbnail(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBeUndefined();
    expect(readThumbnail(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(readThumbnail(Buffer.alloc(0))).toBeUndefined();
    expect(fitWithin({ width: 1280, height: 800 }, 200)).toEqual({ width: 200, height: 125 });
    expect(fitWithin({ width: 50, height: 40 }, 200)).toEqual({ width: 50, height: 40 });
  });
});

describe('the CJK font locator', () => {
  it('takes MUSTER_CJK_FONT (path, or path#face), else the first known place installed, else null', () => {
    const only = (...paths: string[]) => (p: string) => paths.includes(p);
    expect(locateCjkFont({ MUSTER_CJK_FONT: '/opt/fonts/x.ttc#NotoSansCJKtc-Regular' }, only('/opt/fonts/x.ttc'))).toEqual({ path: '/opt/fonts/x.ttc', family: 'NotoSansCJKtc-Regular' });
    expect(locateCjkFont({ MUSTER_CJK_FONT: '/opt/fonts/NotoSansCJK-Regular.ttc' }, only('/opt/fonts/NotoSansCJK-Regular.ttc'))).toEqual({ path: '/opt/fonts/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' });
    expect(locateCjkFont({ MUSTER_CJK_FONT: '/opt/fonts/simhei.ttf' }, only('/opt/fonts/simhei.ttf'))).toEqual({ path: '/opt/fonts/simhei.ttf' });
    // Set but missing: null, not another font behind the operator's back.
    expect(locateCjkFont({ MUSTER_CJK_FONT: '/missing.ttc' }, only(KNOWN_CJK_FONTS[0]!.path))).toBeNull();
    expect(locateCjkFont({}, only(KNOWN_CJK_FONTS[3]!.path))).toEqual(KNOWN_CJK_FONTS[3]);
    expect(locateCjkFont({}, only())).toBeNull();
    expect(parseFontSetting('/f/NotoSerifCJK-Regular.ttc')).toEqual({ path: '/f/NotoSerifCJK-Regular.ttc', family: 'NotoSerifCJKsc-Regular' });
  });
});

describe('file names', () => {
  it('keeps Chinese, drops what a file system refuses, and says it in Content-Disposition for old and new clients', () => {
    expect(safeName('作战/协调:组*?')).toBe('作战_协调_组__');
    expect(safeName('..')).toBe('chat');
    expect(safeName('')).toBe('chat');
    expect(Array.from(safeName('长'.repeat(200)))).toHaveLength(80);
    expect(attachmentHeader('作战协调组 2025-03-01.pdf')).toBe(`attachment; filename="2025-03-01.pdf"; filename*=UTF-8''${encodeURIComponent('作战协调组 2025-03-01.pdf')}`);
    expect(attachmentHeader('周会.md')).toBe(`attachment; filename="chat-minutes.md"; filename*=UTF-8''${encodeURIComponent('周会.md')}`);
    expect(attachmentHeader('Ann & Ben (1).docx')).toBe(`attachment; filename="Ann & Ben (1).docx"; filename*=UTF-8''Ann%20%26%20Ben%20%281%29.docx`);
  });
});
