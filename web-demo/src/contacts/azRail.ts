/**
 * The A–Z index rail's arithmetic (pure): which letter a finger or pointer
 * is on, and where that letter takes the list. Every letter is on the rail,
 * as in WeChat; a letter with no contacts goes to the next one that has
 * some (or the last before it at the end).
 */
export { RAIL_LETTERS } from '@muster/im/client';

/** The rail letter under `y` (client px) on a rail spanning `top`…`top + height`, clamped to the ends. */
export function letterAt(y: number, top: number, height: number, letters: readonly string[]): string | null {
  if (letters.length === 0 || height <= 0) return null;
  const i = Math.floor(((y - top) / height) * letters.length);
  return letters[Math.min(letters.length - 1, Math.max(0, i))]!;
}

/** The section a rail letter scrolls to: itself, else the next present, else the last present before it; null with no sections. */
export function sectionFor(letter: string, rail: readonly string[], present: readonly string[]): string | null {
  if (present.length === 0) return null;
  if (present.includes(letter)) return letter;
  const at = rail.indexOf(letter);
  if (at < 0) return null;
  for (let i = at + 1; i < rail.length; i++) if (present.includes(rail[i]!)) return rail[i]!;
  for (let i = at - 1; i >= 0; i--) if (present.includes(rail[i]!)) return rail[i]!;
  return null;
}
