const GAP = 8;
/**
 * Tiles stretch between 16:9 and 4:3 (3:4 on a portrait screen, where tall
 * tiles fill a phone far better) and the video crops to fit: a face survives
 * a modest crop, while letterboxed slivers waste the screen.
 */
const MAX_ASPECT = 16 / 9;

/**
 * Picks the column count that gives each tile the largest area. A fixed
 * table of "n people → k columns" looks wrong on either a phone in portrait
 * or an ultra-wide monitor; measuring the space does not.
 */
export function bestGrid(count: number, width: number, height: number, gap = GAP): { cols: number; w: number; h: number } {
  const minAspect = height > width ? 3 / 4 : 4 / 3;
  let best = { cols: 1, w: 0, h: 0 };
  let bestArea = -1;
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    let w = (width - gap * (cols - 1)) / cols;
    let hgt = (height - gap * (rows - 1)) / rows;
    if (w <= 0 || hgt <= 0) continue;
    if (w / hgt > MAX_ASPECT) w = hgt * MAX_ASPECT;
    if (w / hgt < minAspect) hgt = w / minAspect;
    const area = w * hgt;
    if (area > bestArea + 1) {
      bestArea = area;
      best = { cols, w: Math.floor(w), h: Math.floor(hgt) };
    }
  }
  return best;
}

/**
 * Whether a video should be shown whole (contained) rather than cropped to
 * cover its tile: always for a screen share, and for a camera when covering
 * would cut away two thirds of the picture (a phone's portrait video in a
 * landscape tile).
 */
export function shouldContain(kind: 'camera' | 'screen', video: { width: number; height: number }, tile: { width: number; height: number }): boolean {
  if (kind === 'screen') return true;
  if (!video.width || !video.height || !tile.width || !tile.height) return false;
  const va = video.width / video.height;
  const ta = tile.width / tile.height;
  return Math.min(va / ta, ta / va) < 0.34;
}
