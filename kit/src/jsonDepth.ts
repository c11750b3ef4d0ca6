/**
 * Whether JSON text nests arrays and objects at most `max` deep, in one
 * linear pass without parsing (brackets inside strings do not count). Run
 * before `JSON.parse` on untrusted text, so that deep nesting is refused for
 * the price of reading it once, never handed to a parser or a schema. Takes
 * the text or its UTF-8 bytes (the characters that matter are ASCII, which
 * never occur inside a multi-byte UTF-8 sequence).
 */
export function jsonDepthWithin(text: string | Uint8Array, max: number): boolean {
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i]!;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = at(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}
