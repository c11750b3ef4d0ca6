/**
 * Chat export as minutes with real accounts, groups and messages: DOCX and
 * PDF read back with real parsers (the Chinese is there, as text, and the
 * message count), Markdown's content, recalled messages left out, a picked
 * subset, who may export (members; owner and admins under
 * exportAdminsOnly), the audit entry (no content), the caps, saving to the chat.
 */
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { useTestDatabase } from '@muster/db/testing';
import { MemoryLimits } from '@muster/kit/limits';
import { ContactRepository } from '../store/ContactRepository.ts';
import { GroupRepository } from '../store/GroupRepository.ts';
import { imErrorCode, openImTestWorld, TestChatFiles } from '../testing/index.ts';
import { ChatExport, type ChatExportOptions } from './ChatExport.ts';
import { ExportRequestSchema } from './exportProtocol.ts';
import { locateCjkFont } from './fonts.ts';
import { entryStamps, readDocx, readPdf, solidPng } from './testing/index.ts';

const ZONE = 'Asia/Shanghai';
const iso = (ms: number) => new Date(ms).toISOString();

describe('chat export as minutes', () => {
  const testDb = useTestDatabase('sqlite');

  const setup = async (tuning: Partial<ChatExportOptions> = {}) => {
    const db = await testDb.open();
    const world = await openImTestWorld(db);
    const { im, t, person, befriend } = world;
    const files = new TestChatFiles();
    im.useFiles(files);
    files.readers = (fileId, accountId) => im.readsFile(fileId, accountId);
    const [zhang, li, wang, zhao] = [await person('张三'), await person('李四'), await person('王五'), await person('赵六')];
    await befriend(zhang, li);
    await befriend(zhang, wang);
    await befriend(zhang, zhao);
    const exports = new ChatExport({
      conversations: im.conversations,
      store: world.store,
      groups: new GroupRepository(db),
      contacts: new ContactRepository(db),
      accounts: t.accounts,
      audit: db.audit,
      limits: new MemoryLimits(),
      logger: db.logger,
      now: t.clock.now,
      ...tuning,
    });
    const png = solidPng(320, 200);
    const thumbs = new Set<string>();
    exports.useThumbnails({ readThumbnail: async (id) => (thumbs.has(id) ? png : undefined) });

    const start = t.clock.now();
    const group = await im.groups.create(zhang, { name: '作战协调组', members: [li.accountId, wang.accountId] });
    let n = 0;
    const step = () => t.clock.advance(60_000);
    const say = async (p: Principal, text: string, extra: { type?: 'text' | 'emoji'; replyTo?: string } = {}) => {
      step();
      return im.conversations.send(p, group.id, { clientMsgId: `c-${n++}-abcdefgh`, text, ...extra });
    };
    const media = async (p: Principal, type: 'image' | 'video' | 'voice' | 'file', file: Parameters<TestChatFiles['add']>[1]) => {
      step();
      const f = files.add(p.accountId, file);
      const sent = await im.conversations.send(p, group.id, { clientMsgId: `c-${n++}-abcdefgh`, type, fileId: f.id });
      return { ...sent, fileId: f.id };
    };
    const first = await say(zhang, '明天上午九点集合');
    const reply = await say(li, '收到，准时到', { replyTo: first.id });
    const emoji = await say(wang, '👍', { type: 'emoji' });
    const recalled = await say(li, '这条消息要撤回');
    await im.conversations.recall(li, group.id, recalled.id);
    const image = await media(li, 'image', { kind: 'image', name: '地图.png', mime: 'image/png', width: 1280, height: 800, thumbnail: true });
    thumbs.add(image.fileId);
    const voice = await media(wang, 'voice', { kind: 'audio', name: 'voice.ogg', mime: 'audio/ogg', durationMs: 12_000 });
    const video = await media(wang, 'video', { kind: 'video', name: 'clip.mp4', mime: 'video/mp4', durationMs: 65_000 });
    const plan = await media(zhang, 'file', { kind: 'other', name: '作战计划.pdf', mime: 'application/pdf', size: 1_234_567 });
    const old = await media(li, 'file', { kind: 'other', name: 'old-notes.zip', mime: 'application/zip', size: 2048 });
    files.expire(old.fileId);
    step();
    await im.groups.update(zhang, group.id, { name: '作战协调组', notice: '请大家按时到场' });
    // A merged forward from the one-to-one chat of 张三 and 李四.
    const direct = await im.conversations.openDirect(zhang, li.accountId);
    step();
    const d1 = await im.conversations.send(zhang, direct.id, { clientMsgId: 'direct-1-abcdefgh', text: '装备清单已发' });
    step();
    const d2 = await im.conversations.send(li, direct.id, { clientMsgId: 'direct-2-abcdefgh', text: '好的，已核对' });
    step();
    await im.conversations.forward(zhang, { clientMsgId: 'fwd-1-abcdefgh', from: direct.id, messageIds: [d1.id, d2.id], to: [group.id], mode: 'merged', title: '装备讨论' });
    step();
    const end = t.clock.now() + 60_000;
    const range = { from: iso(start - 60_000), to: iso(end), timeZone: ZONE };
    // text, reply, emoji, image, voice, video, 2 files, the notice's system line, the forward: recalled left out.
    const expected = 10;
    return { ...world, db, files, exports, zhang, li, wang, zhao, group, direct, range, expected, ids: { first, reply, emoji, recalled, image, voice, video, plan, old, d1 } };
  };

  it('exports a group as Markdown: title, range, speakers and members, summary, every message in order, recalled left out, files at the end', async () => {
    const { exports, zhang, group, range, expected } = await setup();
    const doc = await exports.export(zhang, group.id, { ...range, format: 'md' });
    const md = doc.bytes.toString('utf8');
    expect(doc.mime).toBe('text/markdown; charset=utf-8');
    expect(doc.count).toBe(expected);
    expect(doc.filename).toMatch(/^作战协调组 \d{4}-\d\d-\d\d(~\d{4}-\d\d-\d\d)?\.md$/);
    expect(md.split('\n')[0]).toBe('# 作战协调组 聊天记录纪要');
    expect(md).toContain(`**共 ${expected} 条消息**`);
    expect(md).toMatch(/\*\*时间范围\*\*: \d{4}-\d\d-\d\d \d\d:\d\d – \d{4}-\d\d-\d\d \d\d:\d\d \(Asia\/Shanghai\)/);
    expect(md).toContain('**发言人**: 张三、李四、王五');
    // The owner first, then the members (joined together here: in id order).
    expect(md).toMatch(/\*\*群成员（3 人）\*\*: 张三、(李四、王五|王五、李四)\n/);
    expect(entryStamps(md)).toBe(expected);
    // In order, with the quote, the emoji as text, the media lines, the notice, the forward.
    const order = ['明天上午九点集合', '> 回复 张三：明天上午九点集合', '收到，准时到', '👍', '图片 地图.png (1280×800)', '语音 0:12', '视频 1:05 clip.mp4', '文件 作战计划.pdf (1.2 MB)', '文件 old-notes.zip (2 KB) (已过期)', '张三 发布了群公告：请大家按时到场', '聊天记录: 装备讨论', '张三 ', ': 装备清单已发', '李四 ', ': 好的，已核对', '## 文件'];
    let at = 0;
    for (const piece of order) {
      const found = md.indexOf(piece, at);
      expect(found, piece).toBeGreaterThanOrEqual(0);
      at = found + piece.length;
    }
    expect(md).not.toContain('这条消息要撤回');
    expect(md).toContain('- 作战计划.pdf (1.2 MB) · 张三');
    expect(md).toContain('- old-notes.zip (2 KB) — 已过期 · 李四');
  });

  it('exports DOCX: opened with a zip reader, its XML holds the Chinese title, messages and count; the image is embedded', async () => {
    const { exports, zhang, group, range, expected } = await setup();
    const doc = await exports.export(zhang, group.id, { ...range, format: 'docx' });
    expect(doc.mime).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    const docx = await readDocx(doc.bytes);
    expect(docx.title).toBe('作战协调组 聊天记录纪要');
    expect(docx.paragraphs[0]).toBe('作战协调组 聊天记录纪要');
    expect(docx.paragraphs).toContain('明天上午九点集合');
    expect(docx.paragraphs).toContain('👍');
    expect(docx.paragraphs).toContain(`共 ${expected} 条消息`);
    expect(docx.paragraphs).toContain('回复 张三：明天上午九点集合');
    expect(docx.paragraphs).toContain('[语音 0:12]');
    expect(docx.paragraphs).toContain('[视频 1:05 clip.mp4]');
    expect(docx.text).not.toContain('这条消息要撤回');
    expect(entryStamps(docx.text)).toBe(expected);
    expect(docx.media).toHaveLength(1);
  });

  it.runIf(locateCjkFont() !== null)('exports PDF with the CJK font embedded: pdf.js extracts the Chinese back, and the count', async () => {
    const { exports, zhang, group, range, expected } = await setup();
    const doc = await exports.export(zhang, group.id, { ...range, format: 'pdf' });
    expect(doc.mime).toBe('application/pdf');
    expect(doc.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pdf = await readPdf(doc.bytes);
    const lines = pdf.text.split('\n');
    expect(lines[0]).toBe('作战协调组 聊天记录纪要');
    expect(lines).toContain('明天上午九点集合');
    expect(lines).toContain(`共 ${expected} 条消息`);
    expect(pdf.text).toContain('回复 张三：明天上午九点集合');
    expect(pdf.text).toContain('[视频 1:05 clip.mp4]');
    expect(pdf.text).not.toContain('这条消息要撤回');
    expect(entryStamps(pdf.text)).toBe(expected);
    expect(pdf.images).toBe(1);
    // Subset and ToUnicode: a font file far smaller than the 19 MB collection, and the text maps back.
    expect(doc.bytes.length).toBeLessThan(2_000_000);
    expect(doc.bytes.toString('latin1')).toContain('/ToUnicode');
  });

  it('without a CJK font a PDF is EXPORT_FONT_MISSING (nothing counted against the limit); DOCX and Markdown still work', async () => {
    const { exports, zhang, group, range } = await setup({ cjkFont: () => null });
    expect(await imErrorCode(exports.export(zhang, group.id, { ...range, format: 'pdf' }))).toBe('EXPORT_FONT_MISSING');
    expect((await exports.export(zhang, group.id, { ...range, format: 'md' })).count).toBeGreaterThan(0);
  });

  it('picked messages: only those, in seq order; a recalled pick is left out; another conversation’s message is NOT_FOUND', async () => {
    const { exports, wang, group, range, ids } = await setup();
    const doc = await exports.export(wang, group.id, { ...range, format: 'md', messageIds: [ids.video.id, ids.first.id, ids.recalled.id, ids.first.id] });
    const md = doc.bytes.toString('utf8');
    expect(doc.count).toBe(2);
    expect(md).toContain('**共 2 条消息（选中的消息）**');
    expect(md.indexOf('明天上午九点集合')).toBeLessThan(md.indexOf('视频 1:05 clip.mp4'));
    expect(md).not.toContain('收到，准时到');
    expect(md).toContain('**发言人**: 张三、王五');
    expect(await imErrorCode(exports.export(wang, group.id, { ...range, format: 'md', messageIds: [ids.d1.id] }))).toBe('NOT_FOUND');
  });

  it('a picked message sent outside the range is left out; a range with nothing in it is an empty document', async () => {
    const { exports, zhang, group, range, ids, t } = await setup();
    const later = { from: iso(t.clock.now() + 3_600_000), to: iso(t.clock.now() + 7_200_000), timeZone: ZONE };
    expect((await exports.export(zhang, group.id, { ...later, format: 'md', messageIds: [ids.first.id] })).count).toBe(0);
    const empty = await exports.export(zhang, group.id, { ...later, format: 'md' });
    expect(empty.count).toBe(0);
    expect(empty.bytes.toString('utf8')).toContain('共 0 条消息');
    expect((await exports.export(zhang, group.id, { ...range, format: 'md', messageIds: [ids.first.id] })).count).toBe(1);
  });

  it('only members export (NOT_FOUND otherwise); exportAdminsOnly keeps it to the owner and admins (FORBIDDEN); a one-to-one chat: both people', async () => {
    const { im, exports, zhang, li, wang, zhao, group, direct, range } = await setup();
    expect(await imErrorCode(exports.export(zhao, group.id, { ...range, format: 'md' }))).toBe('NOT_FOUND');
    expect(await imErrorCode(exports.export(zhao, 'cvnosuchconversation1', { ...range, format: 'md' }))).toBe('NOT_FOUND');
    const updated = await im.groups.update(zhang, group.id, { exportAdminsOnly: true });
    expect(updated.exportAdminsOnly).toBe(true);
    expect((await im.groups.get(li, group.id)).exportAdminsOnly).toBe(true);
    expect(await imErrorCode(im.groups.update(li, group.id, { exportAdminsOnly: false }))).toBe('FORBIDDEN');
    expect(await imErrorCode(exports.export(li, group.id, { ...range, format: 'md' }))).toBe('FORBIDDEN');
    await im.groups.setAdmin(zhang, group.id, wang.accountId, true);
    expect((await exports.export(wang, group.id, { ...range, format: 'md' })).count).toBeGreaterThan(0);
    expect((await exports.export(zhang, group.id, { ...range, format: 'md' })).count).toBeGreaterThan(0);
    await im.groups.update(zhang, group.id, { exportAdminsOnly: false });
    expect((await exports.export(li, group.id, { ...range, format: 'md' })).count).toBeGreaterThan(0);

    for (const p of [zhang, li]) {
      const doc = await exports.export(p, direct.id, { ...range, format: 'md' });
      expect(doc.count).toBe(2);
      expect(doc.filename.startsWith(p === zhang ? '张三 & 李四 ' : '李四 & 张三 ')).toBe(true);
      expect(doc.bytes.toString('utf8')).not.toContain('群成员');
    }
    expect(await imErrorCode(exports.export(wang, direct.id, { ...range, format: 'md' }))).toBe('NOT_FOUND');
  });

  it('audit-logs who, which conversation, the range, the format and the count, never the content', async () => {
    const { db, exports, zhang, group, range, expected } = await setup();
    await exports.export(zhang, group.id, { ...range, format: 'docx' });
    const entries = (await db.audit.read({ limit: 1000 })).filter((e) => e.action === 'im.export');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: zhang.accountId, target: group.id, details: { format: 'docx', from: range.from, to: range.to, messages: expected, picked: null } });
    expect(JSON.stringify(entries[0])).not.toMatch(/集合|作战|地图/);
    expect((await db.audit.verifyChain()).ok).toBe(true);
  });

  it('refuses more messages than one export takes (EXPORT_TOO_LARGE) and an 11th export in a minute (RATE_LIMITED)', async () => {
    const { exports, zhang, li, group, range, ids } = await setup({ maxMessages: 5 });
    expect(await imErrorCode(exports.export(zhang, group.id, { ...range, format: 'md' }))).toBe('EXPORT_TOO_LARGE');
    // A pick is not a range: it is bounded by its 1000 ids.
    for (let i = 0; i < 10; i++) expect((await exports.export(li, group.id, { ...range, format: 'md', messageIds: [ids.first.id] })).count).toBe(1);
    expect(await imErrorCode(exports.export(li, group.id, { ...range, format: 'md' }))).toBe('RATE_LIMITED');
  });

  it('makes at most maxInFlight exports at once per process: the next is BUSY, and counts nothing', async () => {
    const { exports, zhang, li, group, range } = await setup({ maxInFlight: 1 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reading: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (reading = resolve));
    exports.useThumbnails({ readThumbnail: async () => (reading(), await held, undefined) });
    const first = exports.export(zhang, group.id, { ...range, format: 'md' });
    await started;
    expect(await imErrorCode(exports.export(li, group.id, { ...range, format: 'md' }))).toBe('BUSY');
    release();
    expect((await first).count).toBeGreaterThan(0);
    expect((await exports.export(li, group.id, { ...range, format: 'md' })).count).toBeGreaterThan(0);
  });

  it('saveToChat stores the document as the exporter’s file and sends it into the conversation as a file message', async () => {
    const { im, files, exports, zhang, li, group, range, expected } = await setup();
    expect(await imErrorCode(exports.export(zhang, group.id, { ...range, format: 'md', saveToChat: true }))).toBe('BAD_REQUEST');
    const stored: { owner: string; name: string; bytes: Buffer; mime: string }[] = [];
    exports.useFiles({
      store: async (owner, name, bytes, mime) => {
        stored.push({ owner, name, bytes, mime });
        return files.add(owner, { kind: 'other', name, mime, size: bytes.length });
      },
    });
    const doc = await exports.export(zhang, group.id, { ...range, format: 'docx', saveToChat: true });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ owner: zhang.accountId, name: doc.filename, mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
    expect(stored[0]!.bytes.equals(doc.bytes)).toBe(true);
    const [last] = (await im.conversations.messages(li, group.id, { beforeSeq: 1_000_000, limit: 1 })).slice(-1);
    expect(last).toMatchObject({ id: doc.saved!.messageId, type: 'file', senderId: zhang.accountId, file: { id: doc.saved!.fileId, name: doc.filename } });
    expect(doc.count).toBe(expected);
  });

  it('English headings and lines when asked (lang: en)', async () => {
    const { exports, zhang, group, range, expected } = await setup();
    const md = (await exports.export(zhang, group.id, { ...range, format: 'md', lang: 'en' })).bytes.toString('utf8');
    expect(md.split('\n')[0]).toBe('# 作战协调组 — Chat minutes');
    expect(md).toContain(`**${expected} messages**`);
    expect(md).toContain('Voice 0:12');
    expect(md).toContain('Reply to 张三: 明天上午九点集合');
  });

  it('the request schema: ISO 8601 with an offset, from ≤ to, at most 366 days, at most 1000 ids, a real time zone, nothing else', () => {
    const ok = { from: '2025-03-01T09:00:00+08:00', to: '2025-03-01T18:00:00+08:00', format: 'pdf' };
    expect(ExportRequestSchema.safeParse(ok).success).toBe(true);
    expect(ExportRequestSchema.safeParse({ ...ok, timeZone: 'Asia/Shanghai', saveToChat: true, messageIds: ['msgabcdefgh12'] }).success).toBe(true);
    for (const bad of [
      { ...ok, from: '2025-03-01' },
      { ...ok, from: '2025-03-01T09:00:00' },
      { ...ok, from: ok.to, to: ok.from },
      { ...ok, to: '2026-03-03T09:00:00+08:00' },
      { ...ok, format: 'html' },
      { ...ok, timeZone: 'Mars/Olympus' },
      { ...ok, messageIds: [] },
      { ...ok, messageIds: Array.from({ length: 1001 }, (_, i) => `msgabcdefgh${i}`) },
      { ...ok, extra: 1 },
    ]) {
      expect(ExportRequestSchema.safeParse(bad).success, JSON.stringify(bad).slice(0, 80)).toBe(false);
    }
  });
});
