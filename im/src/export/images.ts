/**
 * Thumbnails the minutes show inline. Word and PDF embed JPEG and PNG (not
 * WebP), so the thumbnail port hands those; anything else is left out and
 * the image is a named line. The size comes from the image's own header.
 */

export interface Thumbnail {
  data: Buffer;
  type: 'png' | 'jpg';
  width: number;
  height: number;
}

/** A PNG or JPEG with its pixel size, or undefined for anything else (or a header cut short). */
export function readThumbnail(data: Buffer): Thumbnail | undefined {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47 && data.readUInt32BE(4) === 0x0d0a1a0a && data.toString('latin1', 12, 16) === 'IHDR') {
    const width = data.readUInt32BE(16);
    const height = data.readUInt32BE(20);
    return width > 0 && height > 0 ? { data, type: 'png', width, height } : undefined;
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    // Walk the markers to the first start-of-frame, which holds the size.
    let at = 2;
    while (at + 9 < data.length) {
      if (data[at] !== 0xff) return undefined;
      const marker = data[at + 1]!;
      if (marker === 0xff) {
        at++;
        continue;
      }
      const length = data.readUInt16BE(at + 2);
      const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) {
        const height = data.readUInt16BE(at + 5);
        const width = data.readUInt16BE(at + 7);
        return width > 0 && height > 0 ? { data, type: 'jpg', width, height } : undefined;
      }
      if (length < 2) return undefined;
      at += 2 + length;
    }
  }
  return undefined;
}

/** The size to draw a thumbnail at: within `max` × `max` points, never enlarged. */
export function fitWithin(t: Pick<Thumbnail, 'width' | 'height'>, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(t.width, t.height));
  return { width: Math.max(1, Math.round(t.width * scale)), height: Math.max(1, Math.round(t.height * scale)) };
}
