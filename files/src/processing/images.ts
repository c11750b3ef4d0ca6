import { IMAGE_MAX_PIXELS, openImage } from '@muster/accounts';
import type { Metadata } from 'sharp';
import { readExif } from './exif.ts';
import { Gate } from './gate.ts';

/**
 * Images: size, a WebP thumbnail, and a copy without the location for a photo
 * that carries one. Decoding goes through the accounts' `openImage` (the one
 * way untrusted image bytes are opened: IMAGE_MAX_PIXELS, fail on errors,
 * sequential reads), so a decompression bomb is refused by its header.
 */

export { IMAGE_MAX_PIXELS };
/** Bigger images are stored and downloadable, but not decoded (their bytes are held in memory while decoding). */
export const IMAGE_MAX_BYTES = 50 * 1024 * 1024;
/** Thumbnails (images and video posters) fit in this square. */
export const THUMBNAIL_MAX_SIDE = 480;
/** Image decodes at once in this process: each may hold IMAGE_MAX_BYTES plus up to ~200 MB of pixels. */
export const IMAGE_MAX_DECODES = 2;

const decodes = new Gate(IMAGE_MAX_DECODES);

export interface ImageFindings {
  width: number;
  height: number;
  thumbnail: { bytes: Buffer; mime: 'image/webp' };
  replacement?: { bytes: Buffer; mime: string };
}

/** `mime`: the sniffed type. Resolves with a `problem` instead of throwing for anything about the file itself. */
export async function analyzeImage(bytes: Buffer, mime: string, options: { keepLocation?: boolean } = {}): Promise<ImageFindings | { problem: string }> {
  return decodes.run(async () => {
    let meta: Metadata;
    try {
      // The header only: no pixel is decoded yet.
      meta = await openImage(bytes).metadata();
    } catch (error) {
      // sharp checks the pixel limit on the header already.
      if (/pixel limit/i.test(message(error))) return { problem: `image is over the ${IMAGE_MAX_PIXELS / 1e6} megapixel decode limit` };
      return { problem: `image header unreadable: ${message(error)}` };
    }
    // One frame of an animation: sharp reports the whole strip's height unless told the page height.
    const frameHeight = meta.pageHeight ?? meta.height;
    if (!meta.width || !frameHeight) return { problem: 'image has no size' };
    if (meta.width * meta.height > IMAGE_MAX_PIXELS) {
      return { problem: `image is ${meta.width}×${meta.height}, over the ${IMAGE_MAX_PIXELS / 1e6} megapixel decode limit` };
    }
    const turned = (meta.orientation ?? 1) >= 5;
    const width = turned ? frameHeight : meta.width;
    const height = turned ? meta.width : frameHeight;
    try {
      const thumbnail = await webpThumbnail(bytes);
      const findings: ImageFindings = { width, height, thumbnail };
      if (!options.keepLocation && hasLocation(meta)) findings.replacement = await withoutLocation(bytes, mime, meta);
      return findings;
    } catch (error) {
      return { problem: `image could not be decoded: ${message(error)}` };
    }
  });
}

/**
 * A WebP of at most THUMBNAIL_MAX_SIDE on the long side, upright, never
 * enlarged; the first frame of an animation. sRGB and without metadata
 * (sharp's default output), so it carries no location either.
 */
export async function webpThumbnail(bytes: Buffer): Promise<{ bytes: Buffer; mime: 'image/webp' }> {
  const out = await openImage(bytes)
    .autoOrient()
    .resize(THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  return { bytes: out, mime: 'image/webp' };
}

/** A GPS IFD in the EXIF, or GPS coordinates in XMP (some editors write them there). */
function hasLocation(meta: Metadata): boolean {
  if (meta.exif && readExif(meta.exif).hasGps) return true;
  return meta.xmp !== undefined && /GPS(Latitude|Longitude)/.test(meta.xmp.toString('latin1'));
}

/**
 * The photo re-encoded at high quality, upright, its ICC profile kept, and
 * of its metadata only camera make, model and the time taken: no GPS, no XMP.
 * Same format when sharp can write it; HEIC (which it cannot) becomes JPEG.
 */
async function withoutLocation(bytes: Buffer, mime: string, meta: Metadata): Promise<{ bytes: Buffer; mime: string }> {
  const animated = (meta.pages ?? 1) > 1;
  let image = openImage(bytes, { animated }).keepIccProfile();
  // Orientation is baked into the pixels, so no Orientation tag is needed; an animation is left as it is.
  if (!animated) image = image.autoOrient();
  const summary = meta.exif ? readExif(meta.exif) : { hasGps: false };
  const ifd0: Record<string, string> = {};
  if (summary.make) ifd0.Make = summary.make;
  if (summary.model) ifd0.Model = summary.model;
  const exif = { IFD0: ifd0, ...(summary.dateTimeOriginal ? { IFD2: { DateTimeOriginal: summary.dateTimeOriginal } } : {}) };
  image = image.withExif(exif);
  switch (mime) {
    case 'image/png':
      return { bytes: await image.png({ compressionLevel: 9 }).toBuffer(), mime };
    case 'image/webp':
      return { bytes: await image.webp({ quality: 92 }).toBuffer(), mime };
    case 'image/avif':
      return { bytes: await image.avif({ quality: 80 }).toBuffer(), mime };
    default:
      // JPEG, and HEIC/HEIF which sharp cannot write.
      return { bytes: await image.jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer(), mime: 'image/jpeg' };
  }
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
}
