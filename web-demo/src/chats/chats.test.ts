/** The Chats tab's pure parts: list rows, history rows, permissions, the @mention being typed, the windowing arithmetic. */
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ConversationState } from '@muster/im/client';
import {
  badgeText,
  buildRows,
  canEdit,
  canRecall,
  conversationTitle,
  firstUnreadRow,
  insertMention,
  isSingleEmoji,
  listTime,
  mentionQuery,
  mentionRow,
  mentionsIn,
  messageSummary,
  previewText,
  splitMentions,
  titleWithCount,
  utf8Bytes,
} from './viewModel.ts';
import { anchorShift, offsetsOf, rowAt, visibleRange } from './windowing.ts';

const TZ = 'UTC';
const NOON = Date.UTC(2026, 11, 6, 12, 0);
const ME = 'me-000001';
const ANN = 'ann-00001';
const names: Record<string, string> = { [ME]: 'Me', [ANN]: 'Ann' };
const nameOf = (id: string) => names[id] ?? '?';

function m(seq: number, over: Partial<ChatMessage> = {}): ChatMessage {
  return { key: `k${seq}`, id: `msg${seq}`, conversationId: 'cv1', seq, senderId: ANN, type: 'text', text: `t${seq}`, sentAt: NOON, mine: false, ...over };
}

function conv(over: Partial<ConversationState> = {}): ConversationState {
  return { id: 'cv1', kind: 'direct', peer: { id: ANN, nickname: 'ann', avatar: null, musterId: null }, name: null, lastSeq: 3, readSeq: 1, unread: 2, lastMessage: m(3), updatedAt: NOON, ...over } as ConversationState;
}

describe('chat list rows', () => {
  it('names a conversation by my name for the peer, or the group name', () => {
    expect(conversationTitle(conv(), nameOf)).toBe('Ann');
    expect(conversationTitle(conv({ kind: 'group', peer: null, name: 'Team' }), nameOf)).toBe('Team');
  });

  it('shows typing, then a draft, then the last message (with the sender in groups, and an @ you mark)', () => {
    expect(previewText(conv(), { me: ME, nameOf, typing: true })).toEqual({ text: 'Typing…', tone: 'typing' });
    expect(previewText(conv({ draft: 'half' }), { me: ME, nameOf, typing: false })).toEqual({ text: '[Draft] half', tone: 'draft' });
    expect(previewText(conv(), { me: ME, nameOf, typing: false })).toEqual({ text: 't3', tone: 'plain' });
    expect(previewText(conv({ kind: 'group', name: 'G', lastMessage: m(3, { mentions: [ME] }) }), { me: ME, nameOf, typing: false })).toEqual({ text: '[@ you] Ann: t3', tone: 'mention' });
    expect(previewText(conv({ lastMessage: m(3, { recalled: { by: ANN, at: NOON } }) }), { me: ME, nameOf, typing: false }).text).toBe('Ann recalled a message');
    expect(messageSummary(m(3, { type: 'system', text: undefined, notice: { kind: 'renamed', actorId: ME, text: 'Lunch' } }), nameOf, ME)).toBe('You renamed the group to “Lunch”');
    expect(messageSummary(m(3, { type: 'system', text: undefined, notice: { kind: 'avatar', actorId: ANN } }), nameOf, ME)).toBe('Ann changed the group photo');
    expect(messageSummary(m(3, { type: 'system', text: undefined, notice: { kind: 'avatar', actorId: ME, detail: { removed: true } } }), nameOf, ME)).toBe('You removed the group photo');
  });

  it('says times as a list does, and counts unread in badges and the title', () => {
    expect(listTime(NOON - 3_600_000, NOON, TZ)).toBe('11:00');
    expect(listTime(NOON - 24 * 3_600_000, NOON, TZ)).toBe('Yesterday');
    expect(listTime(NOON - 3 * 24 * 3_600_000, NOON, TZ)).toBe('Thursday');
    expect(listTime(Date.UTC(2026, 0, 2), NOON, TZ)).toBe('2026-01-02');
    expect(badgeText(0)).toBe('');
    expect(badgeText(7)).toBe('7');
    expect(badgeText(120)).toBe('99+');
    expect(titleWithCount('Muster', 0)).toBe('Muster');
    expect(titleWithCount('Muster', 3)).toBe('(3) Muster');
  });
});

describe('history rows', () => {
  it('puts a separator at each day, the "new messages" line before the first unread, and names runs in groups', () => {
    const yesterday = NOON - 24 * 3_600_000;
    const messages = [m(1, { sentAt: yesterday }), m(2, { sentAt: yesterday + 1000 }), m(3, { senderId: ME, mine: true }), m(4), m(5, { mentions: [ME] })];
    const rows = buildRows(messages, { now: NOON, readSeqAtOpen: 3, group: true, timeZone: TZ });
    expect(rows.map((r) => (r.kind === 'message' ? `${r.message.seq}${r.showSender ? '+name' : ''}` : r.kind === 'day' ? r.label : 'NEW'))).toEqual([
      'Yesterday',
      '1+name',
      '2',
      'Today',
      '3',
      'NEW',
      '4+name',
      '5',
    ]);
    expect(firstUnreadRow(rows)).toBe(5);
    expect(mentionRow(rows, ME, 3)).toBe(7);
    expect(mentionRow(rows, ME, 5)).toBe(-1);
    // My own newer messages are not "new".
    expect(firstUnreadRow(buildRows([m(1, { mine: true, senderId: ME })], { now: NOON, readSeqAtOpen: 0, group: false }))).toBe(-1);
  });
});

describe('message actions', () => {
  it('recalls my messages within two minutes (any, for a group admin), edits my stored texts only', () => {
    const mine = m(4, { senderId: ME, mine: true, sentAt: NOON });
    expect(canRecall(mine, { me: ME, now: NOON + 60_000 })).toBe(true);
    expect(canRecall(mine, { me: ME, now: NOON + 3 * 60_000 })).toBe(false);
    expect(canRecall(m(4), { me: ME, now: NOON })).toBe(false);
    expect(canRecall(m(4), { me: ME, now: NOON + 3 * 60_000, admin: true })).toBe(true);
    expect(canRecall({ ...mine, id: '', seq: 0, state: 'sending' }, { me: ME, now: NOON })).toBe(false);
    expect(canEdit(mine, ME)).toBe(true);
    expect(canEdit({ ...mine, type: 'emoji' }, ME)).toBe(false);
    expect(canEdit(m(4), ME)).toBe(false);
  });

  it('finds the @mention being typed and puts the picked name in', () => {
    expect(mentionQuery('hi @an', 6)).toEqual({ start: 3, query: 'an' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('mail@example', 12)).toBeNull();
    expect(mentionQuery('@ann and', 8)).toBeNull();
    expect(insertMention('hi @an', 3, 6, 'Ann')).toEqual({ text: 'hi @Ann ', caret: 8 });
    expect(mentionsIn('hi @Ann ', new Map([[ANN, 'Ann'], ['x-0000001', 'Xu']]))).toEqual([ANN]);
  });

  it('marks the @mentions in a text', () => {
    expect(splitMentions('hi @Ann Lee and @Ann, @everyone', ['Ann', 'Ann Lee', 'everyone'])).toEqual([
      { text: 'hi ', mention: false },
      { text: '@Ann Lee', mention: true },
      { text: ' and ', mention: false },
      { text: '@Ann', mention: true },
      { text: ', ', mention: false },
      { text: '@everyone', mention: true },
    ]);
    expect(splitMentions('a.b @x.y', ['x.y'])).toEqual([
      { text: 'a.b ', mention: false },
      { text: '@x.y', mention: true },
    ]);
    expect(splitMentions('plain', [])).toEqual([{ text: 'plain', mention: false }]);
  });

  it('counts text in bytes of UTF-8 and knows a lone emoji', () => {
    expect(utf8Bytes('abc')).toBe(3);
    expect(utf8Bytes('会议')).toBe(6);
    expect(isSingleEmoji('👍')).toBe(true);
    expect(isSingleEmoji(' 👨‍👩‍👧 ')).toBe(true);
    expect(isSingleEmoji('👍👍')).toBe(false);
    expect(isSingleEmoji('ok')).toBe(false);
  });
});

describe('windowing', () => {
  const keys = ['a', 'b', 'c', 'd', 'e'];
  const heights = new Map([
    ['a', 100],
    ['c', 10],
  ]);

  it('places rows from measured heights and an estimate, and finds the rows a viewport shows', () => {
    const offsets = offsetsOf(keys, heights, 50);
    expect(offsets).toEqual([0, 100, 150, 160, 210, 260]);
    expect(rowAt(offsets, 0)).toBe(0);
    expect(rowAt(offsets, 100)).toBe(1);
    expect(rowAt(offsets, 155)).toBe(2);
    expect(rowAt(offsets, 9_999)).toBe(4);
    expect(visibleRange(offsets, 120, 40, 0)).toEqual({ start: 1, end: 3 });
    expect(visibleRange(offsets, 120, 40, 1000)).toEqual({ start: 0, end: 5 });
    expect(visibleRange([0], 0, 100, 0)).toEqual({ start: 0, end: 0 });
  });

  it('keeps the first row on screen in place when older rows arrive above it', () => {
    // 'c' was at 150 with the view 10 px into it; two rows of 50 come first now.
    const offsets = offsetsOf(['y', 'z', ...keys], heights, 50);
    expect(anchorShift('c', 150, ['y', 'z', ...keys], offsets)).toBe(100);
    expect(anchorShift('gone', 150, keys, offsets)).toBe(0);
  });
});
