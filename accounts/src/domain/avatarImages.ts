import sharp, { type Sharp } from 'sharp';
import { AccountError } from '../errors.ts';

export const AVATAR_SIZES = { small: 64, large: 256 } as const;
export type AvatarSize = keyof typeof AVATAR_SIZES;
/** An upload bigger than this is refused before decoding. */
export const AVATAR_MAX_BYTES = 10 * 1024 * 1024;
/**
 * Decoding stops past this many pixels (a small file can claim a huge image:
 * a PNG of a few hundred bytes may declare 50,000 × 50,000). Shared by every
 * sharp decode of untrusted bytes (avatars here, chat files in @muster/files).
 */
export const IMAGE_MAX_PIXELS = 50_000_000;

/**
 * Untrusted image bytes opened for decoding, the one way: the pixel limit
 * above, a hard failure on a decoding error (rather than a half-grey
 * picture), sequential reading where the operations allow it (less memory).
 * `animated`: every frame (GIF, WebP) instead of the first.
 */
export function openImage(image: Buffer, options: { animated?: boolean } = {}): Sharp {
  return sharp(image, { limitInputPixels: IMAGE_MAX_PIXELS, failOn: 'error', sequentialRead: true, pages: options.animated ? -1 : 1 });
}

/**
 * The one avatar image pipeline (a person's photo, a group's): any image
 * sharp reads (JPEG, PNG, WebP, GIF, AVIF, HEIF…), turned upright, cropped
 * to the middle square, as 64 and 256 px WebP. Metadata (GPS position in a
 * phone photo) is dropped. Refusals are coded: IMAGE_INVALID (empty, or not
 * an image), PAYLOAD_TOO_LARGE (over AVATAR_MAX_BYTES).
 */
export async function avatarImages(image: Buffer): Promise<{ small: Buffer; large: Buffer }> {
  if (image.length === 0) throw new AccountError('IMAGE_INVALID', 'the upload is empty');
  if (image.length > AVATAR_MAX_BYTES) throw new AccountError('PAYLOAD_TOO_LARGE', `an avatar is at most ${AVATAR_MAX_BYTES / 1024 / 1024} MiB`);
  try {
    const source = openImage(image).rotate();
    const square = (size: number) => source.clone().resize(size, size, { fit: 'cover', position: 'centre' }).webp({ quality: 82 }).toBuffer();
    const [small, large] = await Promise.all([square(AVATAR_SIZES.small), square(AVATAR_SIZES.large)]);
    return { small, large };
  } catch {
    throw new AccountError('IMAGE_INVALID', 'this file is not an image Muster can read (JPEG, PNG, WebP, GIF…)');
  }
}
