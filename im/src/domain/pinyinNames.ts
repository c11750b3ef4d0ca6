/**
 * Contact names for Chinese users, the way WeChat lists them: an A–Z rail
 * with '#' last, names sorted by pinyin with Latin names interleaved, and a
 * search box that finds 张三 from "张", "zs", "zhangs" or "zhang san".
 *
 * pinyin-pro is called once per name, in `nameIndex`; everything else works on
 * the index, so a list of 5,000 contacts is indexed once and then filtered on
 * every keystroke without touching the dictionary.
 */
import { pinyin } from 'pinyin-pro';

export interface NameIndex {
  /** The name as given. */
  name: string;
  /** Pinyin without tones, Latin words and digits, lower-case, no spaces: "zhangsan" for 张三, "lileitom" for 李雷Tom. */
  full: string;
  /** First letter of each syllable or word: "zs" for 张三. */
  initials: string;
  /** The rail letter: 'A'–'Z', or '#' when the name starts with anything but a Chinese character or a Latin letter. */
  letter: string;
  /**
   * Sorting by this with plain code-unit comparison (`<`, `Array#sort()`,
   * a binary collation), not `localeCompare`, gives the contact-list order;
   * it ends with the name itself, so two different names never tie.
   */
  sortKey: string;
  /**
   * The syllables and words that `full` is made of ("zhang", "san"). Kept
   * because `full` alone loses where one syllable ends, and a mixed query
   * such as "zhangs" is matched syllable by syllable.
   */
  syllables: readonly string[];
}

// sortKey separators, chosen below every character a syllable can contain
// ([a-z0-9]), so that a shorter key sorts before a longer one it starts:
// the end of the syllables before the next syllable, a syllable end before
// any letter.
const END = '\u0000';
const NEXT = '\u0001';
// Letter names first, '#' names after them, whatever the rest of the key.
const LETTER_GROUP = '0';
const OTHER_GROUP = '1';

const WORD_CHAR = /^[a-z0-9]$/;
const LATIN_LETTER = /^[a-z]$/;

/**
 * Full-width forms to ASCII (ＡＢＣ, as Chinese input methods type them),
 * accents dropped (Émile files under E), lower-case. ü becomes v first, the
 * way pinyin is typed on a keyboard and the way `nameIndex` spells 吕 (lv).
 */
function fold(text: string): string {
  return text
    .replace(/[üÜ]/g, 'v')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase();
}

/** Index a name: the one place pinyin-pro runs. */
export function nameIndex(name: string): NameIndex {
  const chars = pinyin(name, {
    type: 'all',
    toneType: 'none',
    // People's names: the first character(s) are read as a surname (单 shan,
    // 解 xie, 尉迟 yuchi), the rest as ordinary words. 'all' would read every
    // character as a surname (王单 would become wang shan instead of wang dan).
    surname: 'head',
    // lv, nv: what people type for 吕, 女 (the default keeps ü).
    v: true,
  });

  const syllables: string[] = [];
  let word = ''; // a run of Latin letters and digits, one "syllable"
  let letter: string | null = null; // decided by the first non-space character
  const endWord = () => {
    if (word) syllables.push(word);
    word = '';
  };
  for (const c of chars) {
    if (c.isZh) {
      endWord();
      const syllable = fold(c.result);
      letter ??= LATIN_LETTER.test(syllable[0] ?? '') ? syllable[0]!.toUpperCase() : '#';
      syllables.push(syllable);
      continue;
    }
    // pinyin-pro hands back anything it cannot read one code point at a time
    // (T, o, m; each half of an emoji sequence), so words are rebuilt here.
    const folded = fold(c.origin);
    if (letter === null && c.origin.trim() !== '') letter = LATIN_LETTER.test(folded[0] ?? '') ? folded[0]!.toUpperCase() : '#';
    for (const ch of folded) {
      if (WORD_CHAR.test(ch)) word += ch;
      else endWord(); // spaces, punctuation, emoji and other scripts separate words
    }
  }
  endWord();
  letter ??= '#';

  return {
    name,
    full: syllables.join(''),
    initials: syllables.map((s) => s[0]).join(''),
    letter,
    // Syllable by syllable rather than on `full`: 李 (li) then 连 (lian) is
    // dictionary order whatever follows, which "liang…" vs "lian" would not give.
    sortKey: (letter === '#' ? OTHER_GROUP : LETTER_GROUP) + syllables.join(NEXT) + END + name,
    syllables,
  };
}

/**
 * Whether a search-box query finds this name. Case-insensitive; matches a
 * part of the name itself ("张", "三"), any part of the full pinyin
 * ("zhangsan", "angsa"), a prefix of the initials ("zs"), and what users type
 * in between: each syllable from the first on given by a prefix of it
 * ("zhangs", "zhs", "zhang san"). A blank query matches nothing: callers
 * show the whole list when the box is empty.
 */
export function matchesName(query: string, index: NameIndex): boolean {
  return nameMatcher(query)(index);
}

/**
 * `matchesName` with the query worked out once, for filtering a long list
 * on every keystroke (5,000 contacts): the same rules, the query folded and
 * lower-cased once instead of once per name.
 */
export function nameMatcher(query: string): (index: NameIndex) => boolean {
  const trimmed = query.trim();
  if (!trimmed) return () => false;
  const lower = trimmed.toLowerCase();
  // Spaces only separate syllables, which the matching below finds by itself.
  const q = fold(trimmed).replace(/\s+/g, '');
  return (index) => {
    if (index.name.toLowerCase().includes(lower)) return true;
    if (!q) return false;
    if (index.full.includes(q)) return true;
    if (index.initials.startsWith(q)) return true;
    return matchesSyllablePrefixes(q, index.syllables);
  };
}

/**
 * Whether q splits into non-empty prefixes of the syllables, in order from
 * the first, one piece per syllable and ending anywhere: "zhangs" is zhang+s,
 * "zhs" is zh+s. Several splits can fit a prefix (xian = xi+an or xia+n), so
 * every reachable query position is carried forward, not just the longest.
 */
function matchesSyllablePrefixes(q: string, syllables: readonly string[]): boolean {
  // The first piece starts the first syllable: most names fail here, before any set is made.
  if (syllables.length === 0 || syllables[0]![0] !== q[0]) return false;
  let reached = new Set<number>([0]);
  for (const syllable of syllables) {
    const next = new Set<number>();
    for (const start of reached) {
      for (let length = 1; length <= syllable.length && start + length <= q.length; length++) {
        if (q[start + length - 1] !== syllable[length - 1]) break;
        if (start + length === q.length) return true;
        next.add(start + length);
      }
    }
    if (next.size === 0) return false;
    reached = next;
  }
  return false;
}

/** Contact-list order: by pinyin, Latin names among them by their letters, '#' last, ties by the name. */
export function compareNames(a: NameIndex, b: NameIndex): number {
  return a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0;
}

/**
 * The A–Z rail: one group per letter that has names, in order, '#' last, each
 * group sorted. `indexOf` is called once per item, so it may compute the
 * index or (better, for a list shown many times) return a cached one.
 */
export function groupByLetter<T>(items: T[], indexOf: (t: T) => NameIndex): { letter: string; items: T[] }[] {
  const indexed = items.map((item) => ({ item, index: indexOf(item) }));
  indexed.sort((a, b) => compareNames(a.index, b.index));
  const groups: { letter: string; items: T[] }[] = [];
  for (const { item, index } of indexed) {
    const last = groups[groups.length - 1];
    if (last && last.letter === index.letter) last.items.push(item);
    else groups.push({ letter: index.letter, items: [item] });
  }
  return groups;
}
