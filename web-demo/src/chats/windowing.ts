/**
 * The arithmetic of a windowed list of rows of different heights (pure):
 * where each row starts, which rows a viewport shows (plus a margin drawn
 * ahead), and how far to move the scroll position so that what was on screen
 * stays there when rows are added above it or measured anew.
 */

/** Where each row starts, and the total height: `offsets[i]` is row i's top; `offsets[n]` the end. */
export function offsetsOf(keys: readonly string[], heights: ReadonlyMap<string, number>, estimate: number): number[] {
  const offsets = new Array<number>(keys.length + 1);
  let y = 0;
  for (let i = 0; i < keys.length; i++) {
    offsets[i] = y;
    y += heights.get(keys[i]!) ?? estimate;
  }
  offsets[keys.length] = y;
  return offsets;
}

/** The first row whose bottom is below `y` (binary search). */
export function rowAt(offsets: readonly number[], y: number): number {
  const n = offsets.length - 1;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! <= y) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, Math.max(0, n - 1));
}

/** The rows to draw: those within the viewport, and `overscan` pixels either side. `end` is exclusive. */
export function visibleRange(offsets: readonly number[], scrollTop: number, viewport: number, overscan: number): { start: number; end: number } {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const start = rowAt(offsets, Math.max(0, scrollTop - overscan));
  const last = rowAt(offsets, Math.max(0, scrollTop + viewport + overscan - 1));
  return { start, end: Math.min(n, last + 1) };
}

/**
 * How much the scroll position must move so the row that was first on
 * screen (`anchorKey`, at `anchorOffset` from the top before) stays put
 * after rows changed: rows prepended above it, or rows above it measured.
 */
export function anchorShift(anchorKey: string | null, anchorTopBefore: number, keys: readonly string[], offsets: readonly number[]): number {
  if (anchorKey === null) return 0;
  const i = keys.indexOf(anchorKey);
  if (i < 0) return 0;
  return offsets[i]! - anchorTopBefore;
}
