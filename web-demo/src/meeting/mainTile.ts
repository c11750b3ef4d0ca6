export type Layout = 'grid' | 'speaker';

/**
 * What the stage shows besides the tiles themselves: the layout, the pinned
 * tile, and the screen shares in the order they appeared (the newest takes
 * the main screen). Changed only through the pure functions below.
 */
export interface StageState {
  layout: Layout;
  /** The layout to return to when the screen share that switched to speaker view ends. */
  layoutBeforeShare: Layout | null;
  pinnedKey: string | null;
  /** Screen-share tile keys, oldest first. */
  screenOrder: string[];
}

export function initialStage(layout: Layout): StageState {
  return { layout, layoutBeforeShare: null, pinnedKey: null, screenOrder: [] };
}

/**
 * Follows the tile list: a new screen share from someone else switches to the
 * speaker layout (where it is the main screen) and drops a pin; when the last
 * such share ends, the layout goes back to what it was; a pinned tile that
 * went away is unpinned. Returns `state` itself when nothing changed.
 */
export function followTiles(state: StageState, tiles: readonly { key: string; kind: 'camera' | 'screen' }[]): StageState {
  const keys = new Set(tiles.map((t) => t.key));
  const newScreens = tiles.filter((t) => t.kind === 'screen' && !state.screenOrder.includes(t.key)).map((t) => t.key);
  const screenOrder = [...state.screenOrder.filter((k) => keys.has(k)), ...newScreens];
  let { layout, layoutBeforeShare, pinnedKey } = state;
  if (newScreens.some((k) => k !== 'screen:local')) {
    if (layout !== 'speaker') layoutBeforeShare = layout;
    layout = 'speaker';
    pinnedKey = null;
  } else if (layoutBeforeShare && !screenOrder.some((k) => k !== 'screen:local')) {
    layout = layoutBeforeShare;
    layoutBeforeShare = null;
  }
  if (pinnedKey && !keys.has(pinnedKey)) pinnedKey = null;
  const same = layout === state.layout && layoutBeforeShare === state.layoutBeforeShare && pinnedKey === state.pinnedKey && sameKeys(screenOrder, state.screenOrder);
  return same ? state : { layout, layoutBeforeShare, pinnedKey, screenOrder };
}

/** Pins a tile, or unpins it when it is the pinned one. Pinning only means something with a main screen: it switches to speaker view. */
export function togglePin(state: StageState, key: string): StageState {
  const pinnedKey = state.pinnedKey === key ? null : key;
  return { ...state, pinnedKey, layout: pinnedKey && state.layout === 'grid' ? 'speaker' : state.layout, layoutBeforeShare: null };
}

/** The person switched layouts: that choice stands, even when a screen share that changed it ends. */
export function toggleLayout(state: StageState): StageState {
  return { ...state, layout: state.layout === 'grid' ? 'speaker' : 'grid', layoutBeforeShare: null };
}

/**
 * The tile on the main screen: the pinned tile, else the newest screen share
 * from someone else, else whoever spoke last, else someone else, else you.
 * `keys` are the tiles there are now, in display order.
 */
export function chooseMainTile(state: StageState, keys: readonly string[], lastSpeakerId: string | null): string | null {
  const present = new Set(keys);
  if (state.pinnedKey && present.has(state.pinnedKey)) return state.pinnedKey;
  const screens = state.screenOrder.filter((k) => k !== 'screen:local' && present.has(k));
  if (screens.length) return screens[screens.length - 1]!;
  if (lastSpeakerId && present.has(`p:${lastSpeakerId}`)) return `p:${lastSpeakerId}`;
  const firstRemote = keys.find((k) => k.startsWith('p:'));
  return firstRemote ?? (present.has('local') ? 'local' : null);
}

/**
 * The shared screen to draw on when annotating: the one on the main screen,
 * else the first one shown (your own preview included).
 */
export function annotationTile(layout: Layout, mainKey: string | null, tiles: readonly { key: string; kind: 'camera' | 'screen' }[]): string | null {
  if (layout === 'speaker' && mainKey?.startsWith('screen:')) return mainKey;
  return tiles.find((t) => t.kind === 'screen')?.key ?? null;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
