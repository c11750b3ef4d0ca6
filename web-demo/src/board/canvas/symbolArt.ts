import ms from 'milsymbol';
import type { SymbolModifiers } from '@muster/whiteboard/client';

/** Base symbol size in board units; objects scale from here. */
export const SYMBOL_BASE_SIZE = 40;

export interface SymbolArt {
  url: string;
  width: number;
  height: number;
  valid: boolean;
  image: HTMLImageElement;
}

const cache = new Map<string, SymbolArt>();

/**
 * The SVG of a symbol with its text modifiers, as an image the canvas can
 * draw. Cached per SIDC + modifiers: a board of 500 symbols usually has a few
 * dozen distinct ones, and the SVG stays vector when scaled or exported.
 */
export function symbolArt(sidc: string, modifiers: SymbolModifiers = {}, size = SYMBOL_BASE_SIZE): SymbolArt {
  const key = `${sidc}|${size}|${JSON.stringify(modifiers)}`;
  let art = cache.get(key);
  if (art) return art;
  const symbol = new ms.Symbol(sidc, { size, ...modifiers });
  const svg = symbol.asSVG();
  const { width, height } = symbol.getSize();
  const image = new Image(Math.ceil(width), Math.ceil(height));
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  image.src = url;
  art = { url, width: Math.ceil(width), height: Math.ceil(height), valid: symbol.isValid() === true, image };
  if (cache.size > 2000) cache.clear();
  cache.set(key, art);
  return art;
}
