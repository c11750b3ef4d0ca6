/**
 * Room codes people can read aloud and type on a phone: three groups of
 * consonant–vowel syllables ("bamo-kite-ruso"). 15 consonants × 5 vowels per
 * syllable over six syllables is ~1.8·10¹¹ codes: unguessable enough for a
 * link-shared meeting on a private network, and still easy to dictate.
 */
const CONSONANTS = 'bdfghjkmnprstvz';
const VOWELS = 'aeiou';

export function generateRoomCode(random: (n: number) => number = secureRandom): string {
  const syllable = () => CONSONANTS[random(CONSONANTS.length)]! + VOWELS[random(VOWELS.length)]!;
  return [0, 1, 2].map(() => syllable() + syllable()).join('-');
}

function secureRandom(n: number): number {
  // Rejection sampling keeps the distribution uniform for any n.
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const buf = new Uint32Array(1);
  do crypto.getRandomValues(buf);
  while (buf[0]! >= limit);
  return buf[0]! % n;
}

/** Mirrors RoomIdSchema in the protocol, so a bad code fails here rather than on join. */
const ROOM_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isValidRoomCode(code: string): boolean {
  return ROOM_ID.test(code);
}

/**
 * Accepts what people paste: a bare code, "/m/code", or a full meeting link.
 * Returns null when nothing usable is in it.
 */
export function parseRoomInput(input: string): string | null {
  let text = input.trim();
  if (!text) return null;
  const linkMatch = /\/m\/([^/?#\s]+)/.exec(text);
  if (linkMatch) text = decodeURIComponent(linkMatch[1]!);
  text = text.replace(/\s+/g, '-');
  return isValidRoomCode(text) ? text : null;
}
