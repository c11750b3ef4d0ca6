/** The Chats tab's search (pure parts): chats matched by name, the query's words marked in a snippet, the jump to a message; and the presence line. */
import { describe, expect, it } from 'vitest';
import type { ConversationState } from '@muster/im/client';
import { presenceText } from './presence.tsx';
import { highlightParts, highlightTerms, jumpTarget, jumpTo, matchConversations, takeJump } from './search.ts';

const conv = (id: string, over: Partial<ConversationState>): ConversationState => ({ id, kind: 'group', name: null, peer: null, ...over }) as ConversationState;
const names: Record<string, string> = { 'u-ann': 'Ann (work)', 'u-ben': 'Ben' };
const nameOf = (id: string) => names[id] ?? '?';

describe('chat search', () => {
  it('matches conversations by their title (my remark, the peer nickname, a group name), in list order', () => {
    const list = [
      conv('c1', { kind: 'direct', peer: { id: 'u-ann', nickname: 'Annie' } as ConversationState['peer'] }),
      conv('c2', { name: '项目会议' }),
      conv('c3', { kind: 'direct', peer: { id: 'u-ben', nickname: 'Benjamin' } as ConversationState['peer'] }),
    ];
    expect(matchConversations(list, 'ann', nameOf).map((c) => c.id)).toEqual(['c1']);
    expect(matchConversations(list, 'annie', nameOf).map((c) => c.id)).toEqual(['c1']);
    expect(matchConversations(list, '会议', nameOf).map((c) => c.id)).toEqual(['c2']);
    expect(matchConversations(list, '  ', nameOf)).toEqual([]);
    // A pinyin-aware test (NameMatcher#matcher) is used when given.
    expect(matchConversations(list, 'xmhy', nameOf, (n) => n.includes('项目会议')).map((c) => c.id)).toEqual(['c2']);
  });

  it('marks the query’s words in the snippet, Chinese by the pieces the snippet holds', () => {
    expect(highlightParts('明天的会议改到三点', '会议')).toEqual([
      { text: '明天的', hit: false },
      { text: '会议', hit: true },
      { text: '改到三点', hit: false },
    ]);
    expect(highlightTerms('明天的会议改到三点', '明天会议')).toEqual(['明天', '会议']);
    expect(highlightParts('The Meeting moved; meeting at 3', 'meeting 3').filter((p) => p.hit).map((p) => p.text)).toEqual(['Meeting', 'meeting', '3']);
    expect(highlightParts('nothing here', 'absent')).toEqual([{ text: 'nothing here', hit: false }]);
    expect(highlightParts('', 'x')).toEqual([]);
  });

  it('a jump is taken once, by its conversation only', () => {
    jumpTo('c1', 42, 1);
    expect(takeJump('c2')).toBeNull();
    expect(takeJump('c1')).toEqual({ conversationId: 'c1', seq: 42, at: 1 });
    expect(takeJump('c1')).toBeNull();
    expect(jumpTarget.value).toBeNull();
  });

  it('says Online, Last seen …, or nothing', () => {
    const now = Date.UTC(2026, 11, 6, 12);
    expect(presenceText({ userId: 'u', online: true, lastSeenAt: null }, now)).toBe('Online');
    expect(presenceText({ userId: 'u', online: false, lastSeenAt: now - 5 * 60_000 }, now)).toBe('Last seen 5 minutes ago');
    expect(presenceText({ userId: 'u', online: false, lastSeenAt: now + 500 }, now)).toBe('Last seen just now');
    expect(presenceText({ userId: 'u', online: false, lastSeenAt: null }, now)).toBe('');
    expect(presenceText(null, now)).toBe('');
    expect(presenceText(undefined, now)).toBe('');
  });
});
