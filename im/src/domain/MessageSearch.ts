import type { Principal } from '@muster/accounts';
import { ImError } from '../errors.ts';
import { MAX_SEARCH_PAGE, MAX_SEARCH_TOKENS, SEARCH_PAGE, type SearchHit, type SearchResults } from '../protocol.ts';
import type { ConversationRepository, StoredMessage } from '../store/ConversationRepository.ts';
import type { SearchCursor, SearchHitKey, SearchIndexRepository } from '../store/SearchIndexRepository.ts';
import { searchableText } from './SearchIndexer.ts';
import { tokenize } from './tokens.ts';

export interface MessageSearchOptions {
  index: SearchIndexRepository;
  conversations: ConversationRepository;
}

export interface SearchInput {
  q: string;
  conversationId?: string;
  beforeSeq?: number;
  before?: string;
  limit?: number;
}

/** Candidate pages looked at per search at most (each a limit + 1 long): what the index's lag can cost. */
const MAX_ROUNDS = 5;
const SNIPPET_CHARS = 80;
const SNIPPET_LEAD = 20;

/**
 * Search in messages, Chinese as well as English: the query is cut into
 * words as messages are (see tokens.ts), and a message matches when it has
 * every word. Only the person's own conversations are searched, without
 * what they deleted for themselves, and without recalled messages; another
 * person's conversation is NOT_FOUND.
 *
 * The index is keyed hashes of words, built off the send path, so it may
 * lag; every candidate is checked against the opened message, so an edit
 * or recall the index has not seen yet never shows stale text (a message
 * sent a moment ago may be missing until the indexer catches up).
 */
export class MessageSearch {
  readonly #index: SearchIndexRepository;
  readonly #store: ConversationRepository;

  constructor(options: MessageSearchOptions) {
    this.#index = options.index;
    this.#store = options.conversations;
  }

  async search(principal: Principal, input: SearchInput): Promise<SearchResults> {
    const tokens = tokenize(input.q);
    if (tokens.length === 0) throw new ImError('BAD_REQUEST', 'q: nothing to search for (no words in it)');
    if (tokens.length > MAX_SEARCH_TOKENS) throw new ImError('BAD_REQUEST', `q: at most ${MAX_SEARCH_TOKENS} words`);
    if (input.beforeSeq !== undefined && input.conversationId === undefined) throw new ImError('BAD_REQUEST', 'beforeSeq pages within one conversation: give conversationId');
    const limit = Math.min(input.limit ?? SEARCH_PAGE, MAX_SEARCH_PAGE);
    if (input.conversationId !== undefined && !(await this.#store.membership(input.conversationId, principal.accountId))) {
      throw new ImError('NOT_FOUND', 'no such conversation');
    }
    let before = input.before === undefined ? undefined : decodeCursor(input.before);
    const results: SearchHit[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const keys = await this.#index.search({
        userId: principal.accountId,
        tokens,
        ...(input.conversationId !== undefined ? { conversationId: input.conversationId } : {}),
        ...(input.beforeSeq !== undefined ? { beforeSeq: input.beforeSeq } : {}),
        ...(before ? { before } : {}),
        limit: limit + 1,
      });
      const opened = await this.#open(keys);
      for (const key of keys) {
        const message = opened.get(`${key.conversationId}/${key.seq}`);
        if (!message) continue;
        const text = searchableText(message);
        const words = new Set(tokenize(text));
        if (!tokens.every((t) => words.has(t))) continue;
        results.push(hit(message, text, tokens));
        if (results.length > limit) return { results: results.slice(0, limit), next: encodeCursor(results[limit - 1]!) };
      }
      if (keys.length <= limit) return { results, next: null };
      before = keys.at(-1)!;
    }
    // Many candidates were stale (the index behind edits and recalls): the client asks on from here.
    return { results, next: before ? encodeCursor(before) : null };
  }

  async #open(keys: readonly SearchHitKey[]): Promise<Map<string, StoredMessage>> {
    const opened = new Map<string, StoredMessage>();
    for (const message of await this.#store.byKeys(keys)) opened.set(`${message.conversationId}/${message.seq}`, message);
    return opened;
  }
}

function hit(message: StoredMessage, text: string, tokens: readonly string[]): SearchHit {
  return {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    senderId: message.senderId,
    type: message.type,
    snippet: snippet(text, tokens),
    sentAt: message.sentAt,
    ...(message.body.editedAt !== undefined ? { editedAt: message.body.editedAt } : {}),
  };
}

/** At most ~80 characters of the text, around the first place a word of the query is found. */
export function snippet(text: string, tokens: readonly string[]): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  if (chars.length <= SNIPPET_CHARS) return chars.join('');
  const lower = chars.map((c) => c.normalize('NFKC').toLowerCase());
  let first = -1;
  for (const token of tokens) {
    const at = findChars(lower, Array.from(token));
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  const start = Math.max(0, Math.min(first < 0 ? 0 : first - SNIPPET_LEAD, chars.length - SNIPPET_CHARS));
  const end = Math.min(chars.length, start + SNIPPET_CHARS);
  return `${start > 0 ? '…' : ''}${chars.slice(start, end).join('')}${end < chars.length ? '…' : ''}`;
}

function findChars(haystack: readonly string[], needle: readonly string[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The cursor: the last hit's place in the order (time sent, conversation, seq), base64url. */
function encodeCursor(at: { sentAt: number; conversationId: string; seq: number }): string {
  return Buffer.from(JSON.stringify([at.sentAt, at.conversationId, at.seq]), 'utf8').toString('base64url');
}

function decodeCursor(value: string): SearchCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      Number.isSafeInteger(parsed[0]) &&
      typeof parsed[1] === 'string' &&
      /^[A-Za-z0-9_-]{1,64}$/.test(parsed[1]) &&
      Number.isSafeInteger(parsed[2])
    ) {
      return { sentAt: parsed[0] as number, conversationId: parsed[1], seq: parsed[2] as number };
    }
  } catch {
    // Not base64url JSON: refused below.
  }
  throw new ImError('BAD_REQUEST', 'before: not a search cursor');
}
