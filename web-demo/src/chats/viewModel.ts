/**
 * The Chats tab's pure parts: what a list row says, how a history becomes
 * rows (day separators, the "new messages" line), who may recall or edit
 * what, the @mention being typed. No DOM, no signals: tested in Node.
 */
import type { ChatMessage, ConversationState, MessageView, SystemNotice } from '@muster/im/client';
import { mediaSummary } from './media/viewModel.ts';

/** A person's name as this user shows it (remark, else nickname), or a fallback. */
export type NameOf = (userId: string) => string;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** How long after sending one may recall a message (the server's default; it is the judge). */
export const RECALL_WINDOW_MS = 2 * MINUTE;
/** The composer's limit, as the server counts it: bytes of UTF-8. */
export const MAX_TEXT_BYTES = 2048;

export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function conversationTitle(c: Pick<ConversationState, 'kind' | 'peer' | 'name'>, nameOf: NameOf): string {
  if (c.kind === 'direct') return c.peer ? nameOf(c.peer.id) || c.peer.nickname : 'Chat';
  return c.name || 'Group chat';
}

/** 99 at most, then "99+"; nothing for none. */
export function badgeText(n: number): string {
  return n <= 0 ? '' : n > 99 ? '99+' : String(n);
}

/** The tab's title with the unread count in front: "(3) Muster". */
export function titleWithCount(base: string, unread: number): string {
  return unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
}

function dayKey(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(at);
}

function clock(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(at);
}

/** A list row's time: "14:05" today, "Yesterday", a weekday this week, else the date. */
export function listTime(at: number, now: number, timeZone?: string): string {
  if (!at) return '';
  const key = dayKey(at, timeZone);
  if (key === dayKey(now, timeZone)) return clock(at, timeZone);
  if (key === dayKey(now - DAY, timeZone)) return 'Yesterday';
  if (now - at < 6 * DAY && at < now) return new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone }).format(at);
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(at);
}

/** A day separator: "Today", "Yesterday", else "Mon 3 Nov 2026". */
export function dayLabel(at: number, now: number, timeZone?: string): string {
  const key = dayKey(at, timeZone);
  if (key === dayKey(now, timeZone)) return 'Today';
  if (key === dayKey(now - DAY, timeZone)) return 'Yesterday';
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(at);
}

export function messageTime(at: number, timeZone?: string): string {
  return clock(at, timeZone);
}

/** What a system notice says, in English, naming people as this user does. */
export function noticeText(notice: SystemNotice, nameOf: NameOf, me: string | null): string {
  const who = (id: string) => (id === me ? 'You' : nameOf(id));
  const whom = (notice.userIds ?? []).map((id) => (id === me ? 'you' : nameOf(id))).join(', ');
  const actor = who(notice.actorId);
  switch (notice.kind) {
    case 'created':
      return `${actor} created the group`;
    case 'joined':
      return whom ? `${whom} joined` : `${actor} joined`;
    case 'left':
      return `${actor} left`;
    case 'removed':
      return `${actor} removed ${whom}`;
    case 'renamed':
      return `${actor} renamed the group to “${notice.text ?? ''}”`;
    case 'notice':
      return `${actor} changed the group notice`;
    case 'owner':
      return `${whom} is now the owner`;
    case 'admin':
      return `${whom} ${whom.includes(',') ? 'are' : 'is'} now an admin`;
    case 'muted':
      return whom ? `${actor} muted ${whom}` : `${actor} muted everyone`;
    case 'unmuted':
      return whom ? `${actor} unmuted ${whom}` : `${actor} unmuted everyone`;
    case 'recalled':
      return `${actor} recalled a message`;
    case 'dissolved':
      return `${actor} dissolved the group`;
    case 'expiring':
      return 'This temporary group will be cleared soon for lack of use';
    case 'call':
      return notice.text ?? 'Call';
    case 'avatar':
      return notice.detail?.removed ? `${actor} removed the group photo` : `${actor} changed the group photo`;
    default:
      return notice.text ?? '';
  }
}

/** A message in one line: a list row's preview, a reply's quote, a notification's body. */
export function messageSummary(m: Pick<MessageView, 'type' | 'text' | 'notice' | 'recalled' | 'senderId' | 'forward'> & Partial<Pick<MessageView, 'file'>>, nameOf: NameOf, me: string | null): string {
  if (m.recalled) return m.senderId === me ? 'You recalled a message' : `${nameOf(m.senderId)} recalled a message`;
  if (m.type === 'system' && m.notice) return noticeText(m.notice, nameOf, me);
  if (m.type === 'forward') return `[Chat history] ${m.forward?.title ?? ''}`.trim();
  if (m.type === 'call') return `[Call] ${m.text ?? ''}`.trim();
  const media = mediaSummary(m);
  if (media) return media;
  if (m.text) return m.text.replace(/\s+/g, ' ');
  return `[${m.type}]`;
}

/** A list row's second line. */
export function previewText(c: ConversationState, opts: { me: string | null; nameOf: NameOf; typing: boolean; viewing?: boolean }): { text: string; tone: 'typing' | 'draft' | 'mention' | 'plain' } {
  if (opts.typing) return { text: 'Typing…', tone: 'typing' };
  if (c.draft && !opts.viewing) return { text: `[Draft] ${c.draft}`, tone: 'draft' };
  const m = c.lastMessage;
  if (!m) return { text: '', tone: 'plain' };
  const summary = messageSummary(m, opts.nameOf, opts.me);
  const unreadMention = c.unread > 0 && m.senderId !== opts.me && mentionsMe(m, opts.me);
  const prefix = c.kind === 'group' && m.type !== 'system' && !m.recalled && m.senderId !== opts.me ? `${opts.nameOf(m.senderId)}: ` : '';
  return unreadMention ? { text: `[@ you] ${prefix}${summary}`, tone: 'mention' } : { text: prefix + summary, tone: 'plain' };
}

export function mentionsMe(m: Pick<MessageView, 'mentions' | 'mentionAll'>, me: string | null): boolean {
  return !!me && (!!m.mentionAll || (m.mentions ?? []).includes(me));
}

export type Row =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'unread'; key: string }
  | { kind: 'message'; key: string; message: ChatMessage; showSender: boolean; showTime: boolean };

/**
 * A history as rows: a separator at each new day, a "new messages" line
 * before the first unread one (seq > `readSeqAtOpen`, not mine), and the
 * sender's name on a group message that starts a run.
 */
export function buildRows(messages: readonly ChatMessage[], opts: { now: number; readSeqAtOpen?: number; group: boolean; timeZone?: string }): Row[] {
  const rows: Row[] = [];
  let lastDay = '';
  let lastSender = '';
  let lastAt = 0;
  let unreadPlaced = opts.readSeqAtOpen === undefined;
  for (const m of messages) {
    const day = dayKey(m.sentAt, opts.timeZone);
    if (day !== lastDay) {
      rows.push({ kind: 'day', key: `day:${day}`, label: dayLabel(m.sentAt, opts.now, opts.timeZone) });
      lastDay = day;
      lastSender = '';
    }
    if (!unreadPlaced && m.seq > opts.readSeqAtOpen! && !m.mine && m.seq > 0) {
      rows.push({ kind: 'unread', key: 'unread' });
      unreadPlaced = true;
    }
    const system = m.type === 'system';
    rows.push({
      kind: 'message',
      key: m.key,
      message: m,
      showSender: opts.group && !m.mine && !system && (m.senderId !== lastSender || m.sentAt - lastAt > 5 * MINUTE),
      showTime: m.sentAt - lastAt > 5 * MINUTE || m.senderId !== lastSender,
    });
    lastSender = system ? '' : m.senderId;
    lastAt = m.sentAt;
  }
  return rows;
}

/** The row of the first unread message ("new messages" line), or -1. */
export function firstUnreadRow(rows: readonly Row[]): number {
  return rows.findIndex((r) => r.kind === 'unread');
}

/** The row of the first message after `afterSeq` that @mentions me, or -1. */
export function mentionRow(rows: readonly Row[], me: string | null, afterSeq: number): number {
  return rows.findIndex((r) => r.kind === 'message' && r.message.seq > afterSeq && !r.message.mine && mentionsMe(r.message, me));
}

export function canRecall(m: ChatMessage, opts: { me: string | null; now: number; admin?: boolean; windowMs?: number }): boolean {
  if (!m.id || m.recalled || m.type === 'system' || m.seq <= 0) return false;
  if (opts.admin) return true;
  return m.senderId === opts.me && opts.now - m.sentAt <= (opts.windowMs ?? RECALL_WINDOW_MS);
}

export function canEdit(m: ChatMessage, me: string | null): boolean {
  return !!m.id && m.seq > 0 && !m.recalled && m.type === 'text' && m.senderId === me;
}

/** The @mention being typed at the caret: the text after "@" up to the caret (no spaces), or null. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return null;
  if (at > 0 && !/\s/.test(before[at - 1]!)) return null;
  const query = before.slice(at + 1);
  if (/\s/.test(query) || query.length > 20) return null;
  return { start: at, query };
}

/** The text with the @query at `start` replaced by "@Name ", and where the caret goes. */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** The mentions that are still in the text (a name deleted by hand is no mention). */
export function mentionsIn(text: string, picked: ReadonlyMap<string, string>): string[] {
  return [...picked].filter(([, name]) => text.includes(`@${name}`)).map(([id]) => id);
}

/** A text in pieces, the @mentions of these names marked (longest names first, so "@Ann Lee" wins over "@Ann"). */
export function splitMentions(text: string, names: readonly string[]): { text: string; mention: boolean }[] {
  const wanted = [...new Set(names.filter(Boolean))].sort((a, b) => b.length - a.length);
  if (wanted.length === 0) return [{ text, mention: false }];
  const pattern = new RegExp(`@(?:${wanted.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'g');
  const out: { text: string; mention: boolean }[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) out.push({ text: text.slice(last, match.index), mention: false });
    out.push({ text: match[0], mention: true });
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), mention: false });
  return out;
}

/** A message that is one emoji and nothing else is sent as an `emoji` message (shown big). */
export function isSingleEmoji(text: string): boolean {
  const t = text.trim();
  if (!t || t.length > 16) return false;
  const segments = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(t)];
  return segments.length === 1 && /\p{Extended_Pictographic}/u.test(t);
}

/** The composer's emoji: a built-in list, no download. */
export const EMOJI: readonly string[] = [
  ...'😀😃😄😁😆😅😂🤣😊😇🙂🙃😉😌😍🥰😘😗😙😚😋😛😝😜🤪🤨🧐🤓😎🥳😏😒😞😔😟😕🙁😣😖😫😩🥺😢😭😤😠😡🤯😳🥵🥶😱😨😰😥😓🤗🤔🤭🤫🤥😶😐😑😬🙄😯😦😧😮😲🥱😴🤤😪😵🤐🥴🤢🤮🤧😷🤒🤕',
  ...'👍👎👌✌🤞🤟🤘🤙👈👉👆👇☝✋🤚🖐🖖👋🤝🙏💪👏🙌👐🤲',
  ...'❤🧡💛💚💙💜🖤🤍💔💯💢💥💫💦💨🔥✨🎉🎊🎁🎂☕🍵🍺🍻🍰🌹🌸⭐🌙☀⚡❄🌈',
].filter((e) => e.trim() !== '' && e !== '\ufe0f');
