import { h } from '../lib/dom.ts';
import type { Tile } from './tile.ts';

export type Layout = 'grid' | 'speaker';

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

/** Where the tiles live: an even grid, or one main tile with a filmstrip. */
export class Stage {
  readonly el: HTMLElement;
  readonly #grid: HTMLElement;
  readonly #main: HTMLElement;
  readonly #strip: HTMLElement;
  #layout: Layout = 'grid';
  #gridCount = 0;
  readonly #observer: ResizeObserver;

  constructor() {
    this.#grid = h('div', { class: 'stage-grid', 'data-testid': 'grid' });
    this.#main = h('div', { class: 'stage-main', 'data-testid': 'main-screen' });
    this.#strip = h('div', { class: 'stage-strip', 'data-testid': 'filmstrip' });
    this.el = h('main', { class: 'stage', 'data-layout': 'grid' }, this.#grid, this.#main, this.#strip);
    this.#observer = new ResizeObserver(() => this.#sizeGrid());
    this.#observer.observe(this.#grid);
  }

  get layout(): Layout {
    return this.#layout;
  }

  /** Places tiles: `ordered` is the display order, `mainKey` the tile for the main screen. */
  render(layout: Layout, ordered: Tile[], mainKey: string | null): void {
    this.#layout = layout;
    this.el.dataset.layout = layout;
    const main = layout === 'speaker' ? (ordered.find((t) => t.key === mainKey) ?? ordered[0]) : undefined;
    if (layout === 'grid') {
      place(this.#grid, ordered);
      place(this.#main, []);
      place(this.#strip, []);
      this.#gridCount = ordered.length;
      this.#sizeGrid();
    } else {
      place(this.#grid, []);
      place(this.#main, main ? [main] : []);
      place(this.#strip, ordered.filter((t) => t !== main));
      this.#gridCount = 0;
    }
    this.el.classList.toggle('no-strip', layout === 'speaker' && ordered.length <= 1);
    for (const tile of ordered) {
      tile.el.classList.toggle('is-main', tile === main);
      tile.ensurePlaying();
    }
  }

  #sizeGrid(): void {
    if (this.#layout !== 'grid' || this.#gridCount === 0) return;
    const { clientWidth, clientHeight } = this.#grid;
    if (!clientWidth || !clientHeight) return;
    const { w, h: height } = bestGrid(this.#gridCount, clientWidth, clientHeight);
    this.#grid.style.setProperty('--tile-w', `${w}px`);
    this.#grid.style.setProperty('--tile-h', `${height}px`);
  }

  destroy(): void {
    this.#observer.disconnect();
  }
}

/**
 * Puts exactly `tiles`, in order, into `container`, touching only what moved:
 * moving a playing <video> is cheap but not free.
 */
function place(container: HTMLElement, tiles: Tile[]): void {
  const wanted = new Set(tiles.map((t) => t.el));
  for (const child of [...container.children]) if (!wanted.has(child as HTMLElement)) child.remove();
  tiles.forEach((tile, i) => {
    if (container.children[i] !== tile.el) container.insertBefore(tile.el, container.children[i] ?? null);
  });
}
