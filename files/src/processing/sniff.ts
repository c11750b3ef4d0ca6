import { fileTypeFromBuffer } from 'file-type';

/**
 * What a file really is, from its first bytes: never from its name or the
 * MIME type the uploader declared, both of which the uploader chose.
 */

/** How much of the start of a file is read to recognise it (file-type needs ~4 KiB; MP4 and ZIP family look further). */
export const SNIFF_BYTES = 64 * 1024;

/**
 * What processing can do with a type:
 * - `image`: decoded by sharp, shown inline by the client;
 * - `media`: an audio or video container probed by ffmpeg (which of the two
 *   it is depends on its tracks: a browser's WebM may carry audio only);
 * - `other`: stored and downloaded as it is.
 */
export type Family = 'image' | 'media' | 'other';

export interface Sniffed {
  mime: string;
  extension?: string;
  family: Family;
  /** For `media`: the ffmpeg demuxer forced onto the input, so ffmpeg never guesses a format (a playlist could make it open other files). */
  demuxer?: string;
}

export const OCTET_STREAM = 'application/octet-stream';

/** Raster images the client shows and sharp decodes (an APNG's thumbnail is its first frame; HEIC only where libvips has a decoder for it; otherwise decoding fails and the file stays `other`). */
const IMAGE_MIMES = new Set(['image/jpeg', 'image/png', 'image/apng', 'image/webp', 'image/gif', 'image/avif', 'image/heic', 'image/heif']);

/** Media containers by file-type's extension, and the ffmpeg demuxer that reads each. */
const MEDIA_DEMUXERS: Record<string, string> = {
  mp4: 'mov',
  m4a: 'mov',
  m4v: 'mov',
  m4b: 'mov',
  mov: 'mov',
  '3gp': 'mov',
  '3g2': 'mov',
  webm: 'matroska',
  mkv: 'matroska',
  mka: 'matroska',
  ogg: 'ogg',
  oga: 'ogg',
  ogv: 'ogg',
  opus: 'ogg',
  mp3: 'mp3',
  wav: 'wav',
  flac: 'flac',
  aac: 'aac',
};

/** The recognised type of `head` (the first SNIFF_BYTES of a file, or all of a shorter one). */
export async function sniff(head: Uint8Array): Promise<Sniffed> {
  if (head.length === 0) return { mime: OCTET_STREAM, family: 'other' };
  let found: { ext: string; mime: string } | undefined;
  try {
    found = await fileTypeFromBuffer(head);
  } catch {
    // A parser that trips on a malformed header: the type is simply unknown.
    found = undefined;
  }
  if (found) {
    if (found.mime === 'application/xml') return markup(head) ?? { mime: found.mime, extension: found.ext, family: 'other' };
    if (IMAGE_MIMES.has(found.mime)) return { mime: found.mime, extension: found.ext, family: 'image' };
    const demuxer = MEDIA_DEMUXERS[found.ext];
    // Parameters (`audio/ogg; codecs=opus`) are dropped: the stored type is the bare media type.
    const mime = found.mime.split(';')[0]!.trim();
    if (demuxer) return { mime, extension: found.ext, family: 'media', demuxer };
    return { mime, extension: found.ext, family: 'other' };
  }
  return markup(head) ?? (isUtf8Text(head) ? { mime: 'text/plain', extension: 'txt', family: 'other' } : { mime: OCTET_STREAM, family: 'other' });
}

/**
 * SVG and HTML: text that a browser runs scripts in. They are named for what
 * they are (so they can be blocked by type, and served as attachments), and
 * are never `image`, whatever the uploader called them.
 */
function markup(head: Uint8Array): Sniffed | undefined {
  if (!isUtf8Text(head)) return undefined;
  const text = new TextDecoder('utf-8').decode(head.subarray(0, 4096)).replace(/^\uFEFF/, '').trimStart().toLowerCase();
  const start = text.replace(/^(<\?xml[^>]*>\s*|<!--[\s\S]*?-->\s*)*/, '');
  if (start.startsWith('<svg') || (start.startsWith('<!doctype svg') && text.includes('<svg'))) return { mime: 'image/svg+xml', extension: 'svg', family: 'other' };
  if (/^<!doctype html|^<(html|head|body|script|iframe)[\s>]/.test(start)) return { mime: 'text/html', extension: 'html', family: 'other' };
  if (text.startsWith('<?xml')) return { mime: 'application/xml', extension: 'xml', family: 'other' };
  return undefined;
}

/**
 * Whether `head` reads as UTF-8 text: valid UTF-8 (a character cut by the end
 * of the head is fine) without control characters other than whitespace.
 */
function isUtf8Text(head: Uint8Array): boolean {
  let text: string;
  try {
    // stream: true leaves a trailing, incomplete character pending instead of failing on it.
    text = new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex
  return !/[\x00-\x08\x0B\x0E-\x1F\x7F]/.test(text);
}
