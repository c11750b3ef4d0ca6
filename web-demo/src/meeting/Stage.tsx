import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { bestGrid } from './grid.ts';
import type { TileModel } from './tiles.ts';

/**
 * Where the tiles live: an even grid, or one main tile with a filmstrip.
 * `renderTile` draws one tile (the meeting adds its handlers and, on a shared
 * screen being annotated, the annotation layer).
 *
 * A tile that changes container (a layout switch, a new main screen) is a
 * new element: Preact does not move elements between parents. Its video
 * restarts on the same, still running MediaStream, so the picture is back
 * with the next frame; the SFU hears about the new size at once
 * (`onRendered`).
 */
export function Stage(props: {
  layout: 'grid' | 'speaker';
  tiles: TileModel[];
  mainKey: string | null;
  renderTile(tile: TileModel, place: { isMain: boolean; inStrip: boolean }): ComponentChildren;
  onRendered(): void;
}) {
  const { layout, tiles } = props;
  const grid = useRef<HTMLDivElement>(null);
  const [gridSize, setGridSize] = useState({ width: 0, height: 0 });

  // Sized from the space there is, not from a table of "n people → k columns".
  useEffect(() => {
    const el = grid.current!;
    const observer = new ResizeObserver(() => setGridSize({ width: el.clientWidth, height: el.clientHeight }));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => props.onRendered());

  const main = layout === 'speaker' ? (tiles.find((t) => t.key === props.mainKey) ?? tiles[0]) : undefined;
  const gridTiles = layout === 'grid' ? tiles : [];
  const cell = gridTiles.length && gridSize.width && gridSize.height ? bestGrid(gridTiles.length, gridSize.width, gridSize.height) : null;
  const gridStyle = cell ? { '--tile-w': `${cell.w}px`, '--tile-h': `${cell.h}px` } : undefined;

  return (
    <main class={`stage${layout === 'speaker' && tiles.length <= 1 ? ' no-strip' : ''}`} data-layout={layout}>
      <div class="stage-grid" data-testid="grid" ref={grid} style={gridStyle}>
        {gridTiles.map((t) => props.renderTile(t, { isMain: false, inStrip: false }))}
      </div>
      <div class="stage-main" data-testid="main-screen">
        {main && props.renderTile(main, { isMain: true, inStrip: false })}
      </div>
      <div class="stage-strip" data-testid="filmstrip">
        {layout === 'speaker' && tiles.filter((t) => t !== main).map((t) => props.renderTile(t, { isMain: false, inStrip: true }))}
      </div>
    </main>
  );
}
