import { describe, expect, it } from 'vitest';
import { modifierText, PaletteState, readModifiers } from './paletteState.ts';

describe('symbol palette state', () => {
  it('reads the modifier fields: trimmed, empty ones left out, a direction only within 0–360', () => {
    expect(readModifiers({ uniqueDesignation: ' 3/7 ', higherFormation: '', direction: '45', dtg: '241200ZNOV26' })).toEqual({ uniqueDesignation: '3/7', direction: 45, dtg: '241200ZNOV26' });
    expect(readModifiers({ direction: '400' })).toEqual({});
    expect(readModifiers({ direction: 'north' })).toEqual({});
    expect(readModifiers({ additionalInformation: 'x'.repeat(300) }).additionalInformation).toHaveLength(200);
  });

  it('turns a symbol’s modifiers back into field text', () => {
    expect(modifierText({ uniqueDesignation: '3/7', direction: 0 })).toEqual({ uniqueDesignation: '3/7', direction: '0' });
  });

  it('stamps what is chosen, and shows a selected symbol for editing', () => {
    const palette = new PaletteState();
    palette.modifiers.value = { quantity: '2' };
    expect(palette.stamp.value).toEqual({ sidc: 'SFGPUCI--------', modifiers: { quantity: '2' } });
    palette.edit({ sidc: 'SHGPUCA----E---', modifiers: { direction: 90 } });
    expect(palette.editing.value).toBe(true);
    expect(palette.stamp.value).toEqual({ sidc: 'SHGPUCA----E---', modifiers: { direction: 90 } });
    palette.edit(null);
    expect(palette.editing.value).toBe(false);
    expect(palette.sidc.value).toBe('SHGPUCA----E---');
  });
});
