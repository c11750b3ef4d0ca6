/**
 * The headers and the Range handling of a download (RFC 9110): one range per
 * request (a multi-range request is served whole, as the RFC allows), 416
 * with `Content-Range: bytes *\/size` for a range that is invalid or outside
 * the file, If-Range against the ETag, If-None-Match for a 304.
 */
import type { FileKind } from '../protocol.ts';

/** Types a browser may show in place: raster images, audio, video. Anything else (SVG, HTML, PDF…) is downloaded. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp|heic|heif)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;

export function inlineAllowed(kind: FileKind, mime: string): boolean {
  return kind !== 'other' && INLINE.test(mime);
}

/** `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (or inline). */
export function contentDisposition(disposition: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_').replace(/[\r\n]/g, '') || 'file';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export type RangeAnswer = { kind: 'whole' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * The one range to serve for a Range header, or the whole file. `header`
 * undefined: whole. A unit other than bytes: ignored (whole). A bytes range
 * that does not parse, or lies outside the file: unsatisfiable (416).
 */
export function rangeOf(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'whole' };
  const match = /^\s*([A-Za-z]+)\s*=(.*)$/.exec(header);
  if (!match) return { kind: 'unsatisfiable' };
  if (match[1]!.toLowerCase() !== 'bytes') return { kind: 'whole' };
  const specs = match[2]!.split(',').map((s) => s.trim());
  if (specs.length > 1) return specs.every((s) => /^(\d+-\d*|-\d+)$/.test(s)) ? { kind: 'whole' } : { kind: 'unsatisfiable' };
  const spec = specs[0]!;
  const full = /^(\d{1,16})-(\d{0,16})$/.exec(spec);
  if (full) {
    const start = Number(full[1]);
    const end = full[2] === '' ? size - 1 : Math.min(Number(full[2]), size - 1);
    if (full[2] !== '' && Number(full[2]) < start) return { kind: 'unsatisfiable' };
    if (start >= size) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start, end };
  }
  const suffix = /^-(\d{1,16})$/.exec(spec);
  if (suffix) {
    const length = Number(suffix[1]);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  return { kind: 'unsatisfiable' };
}

/** Whether an If-None-Match header matches the ETag (weak comparison, as the RFC wants for it). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
