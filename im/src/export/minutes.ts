/**
 * Chat minutes as a document model, before any format: the title, the time
 * range, the participants, a summary line, then one entry per message in
 * seq order (sender, time, what it said, the quote it answers, a merged
 * forward's items, an image's thumbnail), and the files at the end. Pure:
 * ChatExport gathers the messages, names and thumbnails; the renderers
 * (Markdown, DOCX, PDF) only lay this out.
 */
import type { FileView, MessageView, SystemNotice } from '../protocol.ts';
import type { Thumbnail } from './images.ts';

export type MinutesLang = 'zh' | 'en';

/** What the document is made from (the messages are the ones to show: no recalled ones). */
export interface MinutesInput {
  lang: MinutesLang;
  kind: 'direct' | 'group';
  /** The group's name, or the two people's names. */
  name: string;
  from: number;
  to: number;
  timeZone: string;
  messages: readonly MessageView[];
  /** user id → the name the exporter sees (their remark, else the nickname). */
  names: ReadonlyMap<string, string>;
  /** Groups: every member now, by display name. */
  members?: readonly string[];
  /** file id → a thumbnail to show inline (images). */
  thumbnails?: ReadonlyMap<string, Thumbnail>;
  /** Picked by multi-select (the document says so). */
  picked?: boolean;
}

/** One line of an entry. */
export type Block =
  | { kind: 'text'; text: string }
  | { kind: 'image'; label: string; thumbnail?: Thumbnail }
  | { kind: 'media'; text: string }
  | { kind: 'forward'; title: string; items: string[] };

export interface Entry {
  seq: number;
  time: string;
  sender: string;
  /** A system notice or call record: one readable line, no sender heading. */
  notice?: string;
  /** A reply: "回复 张三：excerpt". */
  quote?: string;
  blocks: Block[];
}

export interface FileItem {
  name: string;
  size: string;
  sender: string;
  time: string;
  expired: boolean;
}

export interface Minutes {
  lang: MinutesLang;
  /** "作战协调组 聊天记录纪要". */
  title: string;
  /** Labelled lines under the title: range, participants, members. */
  facts: { label: string; value: string }[];
  /** "共 N 条消息". */
  summary: string;
  count: number;
  entries: Entry[];
  filesHeading: string;
  files: FileItem[];
  /** The words the renderers need. */
  words: Words;
}

interface Words {
  minutes: string;
  range: string;
  participants: string;
  members: (n: number) => string;
  summary: (n: number, picked: boolean) => string;
  files: string;
  image: string;
  video: string;
  voice: string;
  file: string;
  expired: string;
  replyTo: (name: string) => string;
  quoteRecalled: string;
  forward: string;
  system: string;
  someone: string;
  list: string;
  notice: (n: SystemNotice, name: (id: string) => string) => string;
  call: (media: string, outcome: string, duration: string | null) => string;
  edited: string;
}

const ZH: Words = {
  minutes: '聊天记录纪要',
  range: '时间范围',
  participants: '发言人',
  members: (n) => `群成员（${n} 人）`,
  summary: (n, picked) => `共 ${n} 条消息${picked ? '（选中的消息）' : ''}`,
  files: '文件',
  image: '图片',
  video: '视频',
  voice: '语音',
  file: '文件',
  expired: '已过期',
  replyTo: (name) => `回复 ${name}：`,
  quoteRecalled: '（原消息已撤回）',
  forward: '聊天记录',
  system: '系统',
  someone: '某人',
  list: '、',
  edited: '（已编辑）',
  notice: (n, name) => {
    const a = name(n.actorId);
    const u = (n.userIds ?? []).map(name).join('、');
    const d = n.detail ?? {};
    switch (n.kind) {
      case 'created':
        return `${a} 创建了群聊`;
      case 'joined':
        return n.userIds?.length === 1 && n.userIds[0] === n.actorId ? `${a} 加入了群聊` : `${a} 邀请 ${u} 加入了群聊`;
      case 'left':
        return `${u || a} 退出了群聊`;
      case 'removed':
        return `${a} 将 ${u} 移出了群聊`;
      case 'renamed':
        return `${a} 将群名改为“${n.text ?? ''}”`;
      case 'notice':
        return `${a} 发布了群公告：${n.text ?? ''}`;
      case 'owner':
        return `${u} 成为新群主`;
      case 'admin':
        return d.granted === false ? `${a} 取消了 ${u} 的管理员身份` : `${a} 将 ${u} 设为管理员`;
      case 'muted':
        return d.everyone ? `${a} 开启了全员禁言` : `${a} 将 ${u} 禁言`;
      case 'unmuted':
        return d.everyone ? `${a} 关闭了全员禁言` : `${a} 解除了 ${u} 的禁言`;
      case 'recalled':
        return `${a} 撤回了一条消息`;
      case 'dissolved':
        return n.actorId === 'system' ? '群聊已到期解散' : `${a} 解散了群聊`;
      case 'expiring':
        return '临时群聊即将到期清除';
      case 'avatar':
        return d.removed ? `${a} 移除了群头像` : `${a} 更换了群头像`;
      case 'call':
        return n.text ?? '通话';
    }
  },
  call: (media, outcome, duration) => {
    const what = media === 'video' ? '视频通话' : '语音通话';
    switch (outcome) {
      case 'ended':
        return `${what} ${duration ?? ''}`.trim();
      case 'missed':
        return `未接${what}`;
      case 'declined':
        return `${what}已拒绝`;
      case 'cancelled':
        return `${what}已取消`;
      case 'busy':
        return `${what}：对方忙`;
      default:
        return what;
    }
  },
};

const EN: Words = {
  minutes: 'Chat minutes',
  range: 'Time range',
  participants: 'Speakers',
  members: (n) => `Members (${n})`,
  summary: (n, picked) => `${n} ${n === 1 ? 'message' : 'messages'}${picked ? ' (picked)' : ''}`,
  files: 'Files',
  image: 'Image',
  video: 'Video',
  voice: 'Voice',
  file: 'File',
  expired: 'expired',
  replyTo: (name) => `Reply to ${name}: `,
  quoteRecalled: '(the original message was recalled)',
  forward: 'Chat history',
  system: 'System',
  someone: 'someone',
  list: ', ',
  edited: ' (edited)',
  notice: (n, name) => {
    const a = name(n.actorId);
    const u = (n.userIds ?? []).map(name).join(', ');
    const d = n.detail ?? {};
    switch (n.kind) {
      case 'created':
        return `${a} created the group`;
      case 'joined':
        return n.userIds?.length === 1 && n.userIds[0] === n.actorId ? `${a} joined` : `${a} added ${u}`;
      case 'left':
        return `${u || a} left`;
      case 'removed':
        return `${a} removed ${u}`;
      case 'renamed':
        return `${a} renamed the group to “${n.text ?? ''}”`;
      case 'notice':
        return `${a} posted a notice: ${n.text ?? ''}`;
      case 'owner':
        return `${u} is the new owner`;
      case 'admin':
        return d.granted === false ? `${a} made ${u} a member again` : `${a} made ${u} an admin`;
      case 'muted':
        return d.everyone ? `${a} muted everyone` : `${a} muted ${u}`;
      case 'unmuted':
        return d.everyone ? `${a} unmuted everyone` : `${a} unmuted ${u}`;
      case 'recalled':
        return `${a} recalled a message`;
      case 'dissolved':
        return n.actorId === 'system' ? 'The group expired and was dissolved' : `${a} dissolved the group`;
      case 'expiring':
        return 'This temporary group is about to be cleared';
      case 'avatar':
        return d.removed ? `${a} removed the group photo` : `${a} changed the group photo`;
      case 'call':
        return n.text ?? 'Call';
    }
  },
  call: (media, outcome, duration) => {
    const what = media === 'video' ? 'Video call' : 'Voice call';
    switch (outcome) {
      case 'ended':
        return `${what} ${duration ?? ''}`.trim();
      case 'missed':
        return `Missed ${what.toLowerCase()}`;
      case 'declined':
        return `${what} declined`;
      case 'cancelled':
        return `${what} cancelled`;
      case 'busy':
        return `${what}: busy`;
      default:
        return what;
    }
  },
};

export const WORDS: Record<MinutesLang, Words> = { zh: ZH, en: EN };

/** "0:12", "1:05", "1:02:03". */
export function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** "512 B", "34 KB", "1.2 MB". */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : Math.round(value * 10) / 10} ${units[unit]}`;
}

/** `ms` in a time zone as "2025-03-01 09:05" (`seconds`: "09:05:07"); "date": "2025-03-01". */
export function localTime(ms: number, timeZone: string, precision: 'date' | 'minute' | 'second' = 'minute'): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const p = (type: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === type)?.value ?? '';
  const date = `${p('year')}-${p('month')}-${p('day')}`;
  if (precision === 'date') return date;
  return `${date} ${p('hour')}:${p('minute')}${precision === 'second' ? `:${p('second')}` : ''}`;
}

/** The title of the document: the name and "聊天记录纪要". */
export function minutesTitle(name: string, lang: MinutesLang): string {
  return lang === 'zh' ? `${name} ${ZH.minutes}` : `${name} — ${EN.minutes}`;
}

/** The range as a file name would carry it: "2025-03-01" or "2025-03-01~2025-03-07". */
export function dateRange(from: number, to: number, timeZone: string): string {
  const a = localTime(from, timeZone, 'date');
  const b = localTime(to, timeZone, 'date');
  return a === b ? a : `${a}~${b}`;
}

/** What a media message shows in place ("语音 0:12", "视频 1:05 clip.mp4", "文件 report.pdf (1.2 MB)"), expired or not. */
function mediaLine(w: Words, type: string, file: FileView | undefined): string {
  const expired = file?.expired ? ` (${w.expired})` : '';
  if (!file) return `[${type === 'image' ? w.image : type === 'video' ? w.video : type === 'voice' ? w.voice : w.file}]`;
  switch (type) {
    case 'voice':
      return `${w.voice} ${duration(file.durationMs ?? 0)}${expired}`;
    case 'video':
      return `${w.video} ${file.durationMs !== undefined ? `${duration(file.durationMs)} ` : ''}${file.name}${expired}`;
    case 'image':
      return `${w.image} ${file.name}${file.width && file.height ? ` (${file.width}×${file.height})` : ''}${expired}`;
    default:
      return `${w.file} ${file.name} (${byteSize(file.size)})${expired}`;
  }
}

/** The document model of these messages (see MinutesInput). */
export function buildMinutes(input: MinutesInput): Minutes {
  const w = WORDS[input.lang];
  const name = (id: string) => (id === 'system' ? w.system : (input.names.get(id) ?? w.someone));
  const entries: Entry[] = [];
  const files: FileItem[] = [];
  const speakers: string[] = [];
  const spoke = new Set<string>();
  for (const m of input.messages) {
    if (m.recalled) continue;
    const time = localTime(m.sentAt, input.timeZone, 'second');
    const sender = name(m.senderId);
    const entry: Entry = { seq: m.seq, time, sender, blocks: [] };
    if (m.type === 'system' || m.type === 'call') {
      const n = m.notice;
      if (n?.kind === 'call' && n.detail && typeof n.detail.outcome === 'string') {
        const ms = typeof n.detail.durationMs === 'number' ? duration(n.detail.durationMs) : null;
        entry.notice = `${sender}: ${w.call(String(n.detail.media ?? 'audio'), n.detail.outcome, ms)}`;
      } else entry.notice = n ? w.notice(n, name) : (m.text ?? '');
      entries.push(entry);
      continue;
    }
    if (!spoke.has(m.senderId)) {
      spoke.add(m.senderId);
      speakers.push(sender);
    }
    if (m.quote) {
      entry.quote = m.quote.recalled ? `${w.replyTo(name(m.quote.senderId))}${w.quoteRecalled}` : `${w.replyTo(name(m.quote.senderId))}${m.quote.excerpt ?? ''}`;
    }
    switch (m.type) {
      case 'image': {
        const thumbnail = m.file && !m.file.expired ? input.thumbnails?.get(m.file.id) : undefined;
        entry.blocks.push({ kind: 'image', label: mediaLine(w, 'image', m.file), ...(thumbnail ? { thumbnail } : {}) });
        break;
      }
      case 'video':
      case 'voice':
        entry.blocks.push({ kind: 'media', text: mediaLine(w, m.type, m.file) });
        break;
      case 'file':
        entry.blocks.push({ kind: 'media', text: mediaLine(w, 'file', m.file) });
        break;
      case 'forward': {
        const f = m.forward;
        const items = (f?.items ?? []).map((i) => `${i.senderName} ${localTime(i.sentAt, input.timeZone)}: ${i.text ?? `[${i.type}]`}`);
        entry.blocks.push({ kind: 'forward', title: `${w.forward}: ${f?.title ?? ''}`, items });
        break;
      }
      default:
        entry.blocks.push({ kind: 'text', text: `${m.text ?? ''}${m.editedAt !== undefined ? w.edited : ''}` });
    }
    if (m.type === 'file' && m.file) files.push({ name: m.file.name, size: byteSize(m.file.size), sender, time: localTime(m.sentAt, input.timeZone), expired: m.file.expired === true });
    entries.push(entry);
  }
  const count = entries.length;
  const facts = [
    { label: w.range, value: `${localTime(input.from, input.timeZone)} – ${localTime(input.to, input.timeZone)} (${input.timeZone})` },
    { label: w.participants, value: speakers.join(w.list) || '—' },
  ];
  if (input.kind === 'group' && input.members) facts.push({ label: w.members(input.members.length), value: input.members.join(w.list) });
  return {
    lang: input.lang,
    title: minutesTitle(input.name, input.lang),
    facts,
    summary: w.summary(count, input.picked === true),
    count,
    entries,
    filesHeading: w.files,
    files,
    words: w,
  };
}
