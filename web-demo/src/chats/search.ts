/**
 * The Chats tab's search, its pure parts and one signal: conversations
 * matched by name on this device (the name itself, its pinyin or initials),
 * the query's words marked in a server snippet, and the message to show when
 * a result opens its conversation ("jump to seq").
 */
import { signal } from '@preact/signals';
import type { ConversationState } from '@muster/im/client';
import { conversationTitle, type NameOf } from './viewModel.ts';

/** Typing waits this long before searching the server. */
export const SEARCH_DEBOUNCE_MS = 250;
/** Conversations shown under "Chats" before "more". */
export const CHAT_MATCHES = 5;

/** A message a search result opened: the conversation view scrolls to it and highlights it a moment. */
export interface JumpTarget {
  conversationId: string;
  seq: number;
  /** A new jump to the same message is a new request. */
  at: number;
}
export const jumpTarget = signal<JumpTarget | null>(null);

/** What is typed in the search box above the chat list ('' shows the list). */
export const chatQuery = signal('');

export function jumpTo(conversationId: string, seq: number, now = Date.now()): void {
  jumpTarget.value = { conversationId, seq, at: now };
}

/** Takes the jump meant for this conversation, if there is one (once). */
export function takeJump(conversationId: string): JumpTarget | null {
  const target = jumpTarget.peek();
  if (!target || target.conversationId !== conversationId) return null;
  jumpTarget.value = null;
  return target;
}

/**
 * Conversations whose title matches the query, in list order. `matches`
 * tests a title (pinyin-aware: NameMatcher#matcher from the SDK); without
 * it, a case-insensitive part of the title.
 */
export function matchConversations(
  list: readonly ConversationState[],
  query: string,
  nameOf: NameOf,
  matches?: (names: readonly string[]) => boolean,
): ConversationState[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const test = matches ?? ((names: readonly string[]) => names.some((n) => n.toLowerCase().includes(q)));
  return list.filter((c) => {
    const names = [conversationTitle(c, nameOf)];
    if (c.kind === 'direct' && c.peer?.nickname) names.push(c.peer.nickname);
    return test(names);
  });
}

export interface Part {
  text: string;
  hit: boolean;
}

const HAN = /\p{Script=Han}/u;

/**
 * The words to mark for a query: its space-separated words, and for a run
 * of Chinese that the snippet does not hold whole, its longest pieces (two
 * characters or more) that it does hold (the server cut "明天会议" into 明天
 * and 会议, so both are found, in any order).
 */
export function highlightTerms(snippet: string, query: string): string[] {
  const lower = snippet.toLowerCase();
  const terms: string[] = [];
  for (const word of query.toLowerCase().split(/\s+/).filter(Boolean)) {
    if (lower.includes(word)) {
      terms.push(word);
      continue;
    }
    if (!HAN.test(word)) continue;
    const chars = [...word];
    let i = 0;
    while (i < chars.length) {
      let found = 0;
      for (let len = chars.length - i; len >= 2; len--) {
        if (lower.includes(chars.slice(i, i + len).join(''))) {
          found = len;
          break;
        }
      }
      if (found) {
        terms.push(chars.slice(i, i + found).join(''));
        i += found;
      } else i++;
    }
  }
  return [...new Set(terms)].sort((a, b) => b.length - a.length);
}

/** The snippet in pieces, the query's words marked (case-insensitive, longest first, no overlaps). */
export function highlightParts(snippet: string, query: string): Part[] {
  const terms = highlightTerms(snippet, query);
  if (terms.length === 0) return snippet ? [{ text: snippet, hit: false }] : [];
  const lower = snippet.toLowerCase();
  const marked = new Array<boolean>(snippet.length).fill(false);
  for (const term of terms) {
    for (let at = lower.indexOf(term); at >= 0; at = lower.indexOf(term, at + term.length)) {
      if (marked.slice(at, at + term.length).some(Boolean)) continue;
      marked.fill(true, at, at + term.length);
    }
  }
  const parts: Part[] = [];
  for (let i = 0; i < snippet.length; i++) {
    const last = parts[parts.length - 1];
    if (last && last.hit === marked[i]) last.text += snippet[i];
    else parts.push({ text: snippet[i]!, hit: marked[i]! });
  }
  return parts;
}
