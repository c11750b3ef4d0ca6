import { describe, expect, it } from 'vitest';
import { bestGrid, shouldContain } from './grid.ts';

describe('bestGrid', () => {
  it('gives one tile the whole (16:9 at most) space', () => {
    expect(bestGrid(1, 1600, 900)).toEqual({ cols: 1, w: 1600, h: 900 });
    expect(bestGrid(1, 2000, 900)).toEqual({ cols: 1, w: 1600, h: 900 });
  });

  it('lays people side by side on a wide screen and stacks them on a tall one', () => {
    expect(bestGrid(2, 1600, 600).cols).toBe(2);
    expect(bestGrid(2, 390, 700).cols).toBe(1);
    expect(bestGrid(4, 1600, 900).cols).toBe(2);
  });

  it('survives a screen with no room', () => {
    expect(bestGrid(3, 0, 0)).toEqual({ cols: 1, w: 0, h: 0 });
  });
});

describe('shouldContain', () => {
  it('shows a screen share whole, and crops a camera unless two thirds would go', () => {
    expect(shouldContain('screen', { width: 1280, height: 720 }, { width: 100, height: 100 })).toBe(true);
    expect(shouldContain('camera', { width: 1280, height: 720 }, { width: 400, height: 300 })).toBe(false);
    expect(shouldContain('camera', { width: 720, height: 1280 }, { width: 1600, height: 900 })).toBe(true);
    expect(shouldContain('camera', { width: 0, height: 0 }, { width: 1600, height: 900 })).toBe(false);
  });
});
