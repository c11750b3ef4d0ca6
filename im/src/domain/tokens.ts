import { createRequire } from 'node:module';
import type { Jieba } from '@node-rs/jieba';

/**
 * The words of a text for message search, one function for indexing and
 * for querying (so both sides cut the same way):
 *
 * - NFKC first (full-width Ｌａｔｉｎ and digits become ASCII), then lower case;
 * - Chinese is cut by jieba in search mode (long words also give their
 *   dictionary sub-words: 中华人民共和国 → 中华, 人民, 共和国…), so a
 *   2-character word such as 会议 is a token of 明天的会议改到三点;
 * - jieba runs without its HMM guesser: the guesser glues unknown words to
 *   their neighbours by context (张三说 as one word), so a query for 张三
 *   alone would not find them; dictionary-only cutting splits both the same way;
 * - Latin words and numbers are tokens as they are (jieba keeps them whole);
 *   punctuation, spaces, symbols and emoji are dropped.
 *
 * The tokens of a text are distinct, in first-seen order.
 */
export function tokenize(text: string): string[] {
  const normalised = text.normalize('NFKC').toLowerCase();
  if (normalised.trim() === '') return [];
  const seen = new Set<string>();
  for (const piece of segmenter().cutForSearch(normalised, false)) {
    // jieba keeps a run of letters and digits together; split off anything else it left inside.
    for (const word of piece.match(WORD) ?? []) {
      if (word.length <= MAX_TOKEN_CHARS) seen.add(word);
    }
  }
  return [...seen];
}

/** A token longer than this is not indexed (a pasted hash or URL part; nobody searches for it by word). */
export const MAX_TOKEN_CHARS = 64;

/** Letters (any script), digits, and the combining marks of letters. */
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu;

let jieba: Jieba | undefined;

/**
 * One jieba per process, with the dictionary bundled in @node-rs/jieba
 * (read from the package on first use, ~0.2 s; never from the network).
 */
function segmenter(): Jieba {
  if (!jieba) {
    const require = createRequire(import.meta.url);
    const { Jieba: JiebaClass } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    jieba = JiebaClass.withDict(dict);
  }
  return jieba;
}

/** Loads the dictionary now rather than on the first message (a server warms it at start). */
export function warmTokenizer(): void {
  segmenter();
}
