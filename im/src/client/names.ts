/**
 * Pinyin matching and ordering on the client, with the server's own rules
 * (domain/pinyinNames.ts, pure and browser-safe: it imports only pinyin-pro).
 * pinyin-pro's dictionary is about 300 KB, so it is loaded on first use, in
 * its own chunk in a browser bundle: until it is in, `NameMatcher` matches
 * the name itself (as typed) and keeps the order it was given, and
 * `whenReady` says when pinyin works.
 */
import type { NameIndex } from '../domain/pinyinNames.ts';

type PinyinNames = typeof import('../domain/pinyinNames.ts');

let loaded: PinyinNames | null = null;
let loading: Promise<PinyinNames> | null = null;

/** Loads the pinyin rules (once). */
export function loadPinyin(): Promise<PinyinNames> {
  loading ??= import('../domain/pinyinNames.ts').then((m) => (loaded = m));
  return loading;
}

/** The pinyin rules if loaded already, else null (and the load starts). */
export function pinyinIfLoaded(): PinyinNames | null {
  if (!loaded) void loadPinyin().catch(() => undefined);
  return loaded;
}

/** The A–Z rail: every letter, '#' last, whether or not a name starts with it. */
export const RAIL_LETTERS: readonly string[] = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '#'];

/**
 * Name indexes, cached by name (a list of 5,000 contacts is indexed once,
 * then filtered on every keystroke).
 */
export class NameMatcher {
  readonly #cache = new Map<string, NameIndex>();

  /** The name's index, or null while pinyin is loading. */
  index(name: string): NameIndex | null {
    const names = pinyinIfLoaded();
    if (!names) return null;
    let index = this.#cache.get(name);
    if (!index) {
      if (this.#cache.size > 50_000) this.#cache.clear();
      index = names.nameIndex(name);
      this.#cache.set(name, index);
    }
    return index;
  }

  /**
   * Whether the query finds any of these names: the name itself, its full
   * pinyin or its initials ("zs", "zhangs" find 张三). Before pinyin is in,
   * a case-insensitive part of the name. A blank query matches nothing.
   */
  matches(query: string, names: readonly (string | null | undefined)[]): boolean {
    return this.matcher(query)(names);
  }

  /**
   * `matches` with the query worked out once: for filtering a long list on
   * every keystroke, call this once per keystroke and the result per item.
   */
  matcher(query: string): (names: readonly (string | null | undefined)[]) => boolean {
    const q = query.trim();
    if (!q) return () => false;
    const rules = pinyinIfLoaded();
    if (!rules) {
      const lower = q.toLowerCase();
      return (names) => names.some((name) => !!name && name.toLowerCase().includes(lower));
    }
    const test = rules.nameMatcher(q);
    return (names) => names.some((name) => !!name && test(this.index(name)!));
  }

  /**
   * Indexes these names ahead of the first search, a slice at a time so a
   * long list does not hold up the page (pinyin-pro takes ~0.1 ms a name).
   */
  warm(names: readonly string[], slice = 400): void {
    let at = 0;
    const step = () => {
      if (!pinyinIfLoaded()) return void loadPinyin().then(step, () => undefined);
      const end = Math.min(names.length, at + slice);
      for (; at < end; at++) this.index(names[at]!);
      if (at < names.length) setTimeout(step, 0);
    };
    step();
  }

  /**
   * Contact-list order for these items by their names (pinyin, '#' last), or
   * null while pinyin is loading.
   */
  sort<T>(items: readonly T[], nameOf: (item: T) => string): T[] | null {
    const rules = pinyinIfLoaded();
    if (!rules) return null;
    return items
      .map((item) => ({ item, index: this.index(nameOf(item))! }))
      .sort((a, b) => rules.compareNames(a.index, b.index))
      .map((x) => x.item);
  }

  /** The rail letter of a name ('A'–'Z' or '#'), or null while pinyin is loading. */
  letter(name: string): string | null {
    return this.index(name)?.letter ?? null;
  }
}

/**
 * Sections for the A–Z rail from a list already in order, each with its
 * letter as the item says: one per letter present, in order of appearance.
 */
export function sectionsOf<T>(items: readonly T[], letterOf: (item: T) => string): { letter: string; items: T[] }[] {
  const sections: { letter: string; items: T[] }[] = [];
  for (const item of items) {
    const letter = letterOf(item);
    const last = sections[sections.length - 1];
    if (last && last.letter === letter) last.items.push(item);
    else sections.push({ letter, items: [item] });
  }
  return sections;
}
