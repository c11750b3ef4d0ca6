import type { ContentCheck, ContentVerdict } from './ContentCheck.ts';

/** Text as the keyword list compares it: full-width and half-width alike, case and spaces ignored. */
export function foldForKeywords(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

/** Reasons name at most this many keywords found (the editors need the gist, not the list). */
const MAX_REASONS = 5;

/**
 * Flags text containing any keyword of a list (as a substring: Chinese has no
 * spaces between words). The list comes from `keywords()` on every check, so
 * the console's changes count at once, on every process.
 */
export class KeywordContentCheck implements ContentCheck {
  readonly #keywords: () => Promise<readonly string[]> | readonly string[];

  constructor(keywords: (() => Promise<readonly string[]> | readonly string[]) | readonly string[]) {
    this.#keywords = typeof keywords === 'function' ? keywords : () => keywords;
  }

  async check(text: string): Promise<ContentVerdict> {
    const folded = foldForKeywords(text);
    const found: string[] = [];
    for (const keyword of await this.#keywords()) {
      const key = foldForKeywords(keyword);
      if (key !== '' && folded.includes(key) && !found.includes(keyword)) found.push(keyword);
      if (found.length === MAX_REASONS) break;
    }
    return { flagged: found.length > 0, reasons: found.map((k) => `keyword: ${k}`) };
  }
}
