import { describe, expect, it } from 'vitest';
import { annotationTile, chooseMainTile, followTiles, initialStage, togglePin, toggleLayout, type StageState } from './mainTile.ts';

const camera = (key: string) => ({ key, kind: 'camera' as const });
const screen = (key: string) => ({ key, kind: 'screen' as const });

describe('chooseMainTile', () => {
  const stage = (over: Partial<StageState> = {}): StageState => ({ ...initialStage('speaker'), ...over });

  it('puts the pinned tile on the main screen while it exists', () => {
    expect(chooseMainTile(stage({ pinnedKey: 'local', screenOrder: ['screen:bob'] }), ['screen:bob', 'local', 'p:bob'], 'bob')).toBe('local');
    expect(chooseMainTile(stage({ pinnedKey: 'p:gone' }), ['local', 'p:bob'], null)).toBe('p:bob');
  });

  it('else the newest screen share from someone else (never your own preview)', () => {
    const s = stage({ screenOrder: ['screen:bob', 'screen:local', 'screen:cy'] });
    expect(chooseMainTile(s, ['screen:bob', 'screen:cy', 'screen:local', 'local', 'p:bob', 'p:cy'], 'bob')).toBe('screen:cy');
    expect(chooseMainTile(stage({ screenOrder: ['screen:local'] }), ['screen:local', 'local', 'p:bob'], null)).toBe('p:bob');
  });

  it('else whoever spoke last, else the first other person, else you', () => {
    expect(chooseMainTile(stage(), ['local', 'p:bob', 'p:cy'], 'cy')).toBe('p:cy');
    expect(chooseMainTile(stage(), ['local', 'p:bob', 'p:cy'], 'gone')).toBe('p:bob');
    expect(chooseMainTile(stage(), ['local'], null)).toBe('local');
    expect(chooseMainTile(stage(), [], null)).toBe(null);
  });
});

describe('followTiles', () => {
  it('switches to the speaker layout for someone else’s new screen share, and back when it ends', () => {
    let s = initialStage('grid');
    s = followTiles(s, [camera('local'), camera('p:bob')]);
    expect(s.layout).toBe('grid');
    s = togglePin(s, 'p:bob');
    s = { ...s, layout: 'grid' };
    s = followTiles(s, [screen('screen:bob'), camera('local'), camera('p:bob')]);
    expect(s).toEqual({ layout: 'speaker', layoutBeforeShare: 'grid', pinnedKey: null, screenOrder: ['screen:bob'] });
    s = followTiles(s, [camera('local'), camera('p:bob')]);
    expect(s).toEqual({ layout: 'grid', layoutBeforeShare: null, pinnedKey: null, screenOrder: [] });
  });

  it('leaves the layout alone for your own screen share', () => {
    const s = followTiles(initialStage('grid'), [screen('screen:local'), camera('local')]);
    expect(s.layout).toBe('grid');
    expect(s.screenOrder).toEqual(['screen:local']);
  });

  it('keeps the layout the person chose during a share when the share ends', () => {
    let s = followTiles(initialStage('grid'), [screen('screen:bob'), camera('local')]);
    s = toggleLayout(s); // back to grid by hand
    s = toggleLayout(s); // and to speaker again
    s = followTiles(s, [camera('local')]);
    expect(s.layout).toBe('speaker');
  });

  it('stays in speaker view while another share from someone else is still on', () => {
    let s = followTiles(initialStage('grid'), [screen('screen:bob'), camera('local')]);
    s = followTiles(s, [screen('screen:bob'), screen('screen:cy'), camera('local')]);
    s = followTiles(s, [screen('screen:cy'), camera('local')]);
    expect(s).toMatchObject({ layout: 'speaker', layoutBeforeShare: 'grid', screenOrder: ['screen:cy'] });
  });

  it('unpins a tile that went away, and returns the same state when nothing changed', () => {
    const pinned = togglePin(initialStage('speaker'), 'p:bob');
    expect(followTiles(pinned, [camera('local')]).pinnedKey).toBe(null);
    const tiles = [camera('local'), camera('p:bob')];
    expect(followTiles(pinned, tiles)).toBe(pinned);
  });
});

describe('pinning and layouts', () => {
  it('pinning in the grid switches to speaker view; pinning the pinned tile unpins it', () => {
    const s = togglePin(initialStage('grid'), 'p:bob');
    expect(s).toMatchObject({ layout: 'speaker', pinnedKey: 'p:bob' });
    expect(togglePin(s, 'p:bob')).toMatchObject({ layout: 'speaker', pinnedKey: null });
  });

  it('a layout switch by hand forgets the layout to return to', () => {
    const s = followTiles(initialStage('grid'), [screen('screen:bob')]);
    expect(toggleLayout(s)).toMatchObject({ layout: 'grid', layoutBeforeShare: null });
  });
});

describe('annotationTile', () => {
  const tiles = [screen('screen:bob'), screen('screen:local'), camera('local')];
  it('draws on the shared screen on the main screen, else on the first one shown', () => {
    expect(annotationTile('speaker', 'screen:local', tiles)).toBe('screen:local');
    expect(annotationTile('speaker', 'p:bob', tiles)).toBe('screen:bob');
    expect(annotationTile('grid', 'screen:local', tiles)).toBe('screen:bob');
    expect(annotationTile('grid', null, [camera('local')])).toBe(null);
  });
});
