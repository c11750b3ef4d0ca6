/**
 * The chat media views' pure parts (no DOM, no signals; tested in
 * media.test.ts): bubble sizes from a picture's dimensions, durations,
 * voice bubbles and waveform bars, which voice message plays next, the
 * image viewer's pinch / double-tap / swipe math, the upload progress ring,
 * file sizes, speeds and type icons, the recorder's MIME choice.
 */
import type { ChatMessage, FileView, MediaType } from '@muster/im/client';

// ------------------------------------------------------------------ sizes and words

/**
 * A picture bubble's size: the longer side at most `max`, the shorter at
 * least `min` (a panorama is cropped, not a sliver); unknown dimensions
 * give a square.
 */
export function bubbleSize(width: number | undefined, height: number | undefined, max = 220, min = 72): { width: number; height: number } {
  if (!width || !height || width <= 0 || height <= 0) return { width: Math.round(max * 0.75), height: Math.round(max * 0.75) };
  const scale = Math.min(1, max / Math.max(width, height));
  let w = width * scale;
  let h = height * scale;
  if (w < min) w = min;
  if (h < min) h = min;
  return { width: Math.round(Math.min(max, w)), height: Math.round(Math.min(max, h)) };
}

/** "0:05", "1:02", "1:02:03"; whole seconds, rounded up from the first started one below a second (a 0.4 s voice is "0:01"). */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '0:00';
  const total = ms > 0 && ms < 1000 ? 1 : Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/** Bytes as people read them: "980 B", "12 KB", "3.4 MB", "1.2 GB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** An upload's speed: "1.2 MB/s"; nothing when unknown. */
export function formatSpeed(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(Math.round(bytesPerSecond))}/s` : '';
}

/** What a media message says in one line (list previews, quotes, notifications). */
export function mediaSummary(m: Pick<ChatMessage, 'type' | 'file'>): string | null {
  switch (m.type) {
    case 'image':
      return '[Photo]';
    case 'video':
      return '[Video]';
    case 'voice':
      return `[Voice] ${formatDuration(m.file?.durationMs)}`;
    case 'file':
      return `[File] ${m.file?.name ?? ''}`.trim();
    default:
      return null;
  }
}

// ------------------------------------------------------------------ sending

/** What a picked file is sent as: an image or a video by its declared type, anything else a file. */
export function mediaTypeOf(file: { type: string; name: string }): Exclude<MediaType, 'voice'> {
  const type = file.type.toLowerCase();
  if (/^image\/(jpeg|png|gif|webp|avif|heic|heif|bmp)$/.test(type)) return 'image';
  if (/^video\/(mp4|webm|quicktime|x-matroska|ogg)$/.test(type)) return 'video';
  if (!type) {
    const ext = extensionOf(file.name);
    if (['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic', 'avif'].includes(ext)) return 'image';
    if (['mp4', 'mov', 'webm', 'm4v', 'mkv'].includes(ext)) return 'video';
  }
  return 'file';
}

/** The recording format: Opus in WebM (Chromium, Firefox), else Opus in Ogg, else AAC in MP4 (Safari); null when none. */
export function pickRecorderMime(isTypeSupported: (mime: string) => boolean): string | null {
  for (const mime of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4']) {
    try {
      if (isTypeSupported(mime)) return mime;
    } catch {
      // An old browser that throws on unknown types: try the next.
    }
  }
  return null;
}

/** The file name a recording is uploaded under. */
export function voiceFileName(mime: string, at: number): string {
  const ext = mime.startsWith('audio/webm') ? 'webm' : mime.startsWith('audio/ogg') ? 'ogg' : 'm4a';
  return `voice-${new Date(at).toISOString().replace(/[:.]/g, '-')}.${ext}`;
}

/** A voice message's limit in the client (the server refuses longer: VOICE_TOO_LONG). */
export const VOICE_LIMIT_MS = 60_000;
/** Shorter than this is a slip of the finger, not a message. */
export const VOICE_MIN_MS = 700;
/** A phone's hold-to-talk: sliding this far up (px) cancels. */
export const VOICE_CANCEL_DY = 80;

/** A hold-to-talk gesture's outcome for a finger `dy` px below where it started (negative: up). */
export function holdOutcome(dy: number, cancelDy = VOICE_CANCEL_DY): 'send' | 'cancel' {
  return dy <= -cancelDy ? 'cancel' : 'send';
}

/** Levels (0…1) sampled while recording, as the 48 bars (0–100) the server gives a voice message. */
export function levelsToWaveform(levels: readonly number[], bars = 48): number[] {
  if (levels.length === 0) return new Array<number>(bars).fill(0);
  const out: number[] = [];
  for (let i = 0; i < bars; i++) {
    const from = Math.floor((i * levels.length) / bars);
    const to = Math.max(from + 1, Math.floor(((i + 1) * levels.length) / bars));
    let peak = 0;
    for (let j = from; j < to && j < levels.length; j++) peak = Math.max(peak, levels[j]!);
    out.push(Math.max(0, Math.min(100, Math.round(peak * 100))));
  }
  return out;
}

// ------------------------------------------------------------------ voice

/** A voice bubble's width (px): longer messages, wider bubbles, as WeChat, between `min` and `max`. */
export function voiceBubbleWidth(durationMs: number | undefined, min = 96, max = 240): number {
  const s = Math.min(60, Math.max(1, (durationMs ?? 0) / 1000));
  return Math.round(min + ((max - min) * Math.log(s)) / Math.log(60));
}

/**
 * `count` bars (heights 0…1, at least `floor`) from the server's waveform
 * (48 values, 0–100), resampled by the peak of each stretch; a flat line
 * when there is none.
 */
export function waveformBars(waveform: readonly number[] | undefined, count: number, floor = 0.12): number[] {
  if (!waveform || waveform.length === 0) return new Array<number>(count).fill(floor);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * waveform.length) / count);
    const to = Math.max(from + 1, Math.floor(((i + 1) * waveform.length) / count));
    let peak = 0;
    for (let j = from; j < to && j < waveform.length; j++) peak = Math.max(peak, waveform[j]!);
    out.push(Math.max(floor, Math.min(1, peak / 100)));
  }
  return out;
}

/** How many bars a voice bubble of this width draws (3 px apart, 4 to 40). */
export function barCount(bubbleWidth: number): number {
  return Math.max(4, Math.min(40, Math.floor((bubbleWidth - 64) / 4)));
}

/** Whether a voice message shows the unplayed dot: someone else's, stored, not played on this account. */
export function isUnplayed(m: Pick<ChatMessage, 'type' | 'mine' | 'id' | 'recalled' | 'file'>, played: ReadonlySet<string>): boolean {
  return m.type === 'voice' && !m.mine && !!m.id && !m.recalled && !m.file?.expired && !played.has(m.id);
}

/**
 * The voice message to play when one finishes: the next unplayed one after
 * it in the conversation (by seq), as WeChat; null when none.
 */
export function nextUnplayed(messages: readonly ChatMessage[], finishedId: string, played: ReadonlySet<string>): ChatMessage | null {
  const at = messages.findIndex((m) => m.id === finishedId);
  if (at < 0) return null;
  for (let i = at + 1; i < messages.length; i++) {
    const m = messages[i]!;
    if (isUnplayed(m, played) && m.id !== finishedId) return m;
  }
  return null;
}

/** The played ids kept for an account: newest last, at most `cap` (old ones fall off). */
export function addPlayed(played: readonly string[], id: string, cap = 2000): string[] {
  const next = played.filter((p) => p !== id);
  next.push(id);
  return next.length > cap ? next.slice(next.length - cap) : next;
}

export function parsePlayed(raw: string | null): string[] {
  try {
    const v = JSON.parse(raw ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

// ------------------------------------------------------------------ files

export type FileIcon = 'image' | 'video' | 'audio' | 'pdf' | 'doc' | 'sheet' | 'slides' | 'archive' | 'text' | 'code' | 'other';

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : '';
}

/** A file card's icon: by the server's kind first, then the name's extension. */
export function fileIconOf(file: Pick<FileView, 'name' | 'kind'> & { mime?: string }): FileIcon {
  if (file.kind === 'image') return 'image';
  if (file.kind === 'video') return 'video';
  if (file.kind === 'audio') return 'audio';
  const ext = extensionOf(file.name);
  if (ext === 'pdf') return 'pdf';
  if (['doc', 'docx', 'odt', 'rtf', 'pages'].includes(ext)) return 'doc';
  if (['xls', 'xlsx', 'ods', 'csv', 'numbers'].includes(ext)) return 'sheet';
  if (['ppt', 'pptx', 'odp', 'key'].includes(ext)) return 'slides';
  if (['zip', 'rar', '7z', 'tar', 'gz', 'tgz', 'bz2', 'xz'].includes(ext)) return 'archive';
  if (['txt', 'md', 'log'].includes(ext)) return 'text';
  if (['js', 'ts', 'json', 'py', 'go', 'rs', 'c', 'cpp', 'java', 'html', 'css', 'sh', 'yml', 'yaml', 'xml'].includes(ext)) return 'code';
  return 'other';
}

/** The short label on a file card's icon: its extension (at most 4 letters), else the icon's word. */
export function fileBadge(name: string): string {
  const ext = extensionOf(name);
  return ext && ext.length <= 4 ? ext.toUpperCase() : 'FILE';
}

// ------------------------------------------------------------------ progress ring

/** The SVG progress ring's dash for a fraction 0…1 on a circle of `radius`. */
export function progressRing(fraction: number, radius: number): { circumference: number; dashOffset: number; percent: number } {
  const f = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const circumference = 2 * Math.PI * radius;
  return { circumference, dashOffset: circumference * (1 - f), percent: Math.floor(f * 100) };
}

// ------------------------------------------------------------------ the image viewer

export interface Zoom {
  scale: number;
  /** Translation of the picture's centre from the screen's centre (px). */
  x: number;
  y: number;
}

export interface Point {
  x: number;
  y: number;
}

export const ZOOM_MIN = 1;
export const ZOOM_MAX = 5;
export const DOUBLE_TAP_SCALE = 2.5;
export const IDENTITY: Zoom = { scale: 1, x: 0, y: 0 };

/**
 * Keeps a zoomed picture on screen: at scale 1 centred; larger, moved at
 * most so its edges do not leave the view (`view`: the viewport size,
 * `fit`: the picture's size at scale 1).
 */
export function clampZoom(z: Zoom, view: { width: number; height: number }, fit: { width: number; height: number }): Zoom {
  const scale = Math.max(ZOOM_MIN, Math.min(ZOOM_MAX, z.scale));
  const maxX = Math.max(0, (fit.width * scale - view.width) / 2);
  const maxY = Math.max(0, (fit.height * scale - view.height) / 2);
  return { scale, x: Math.max(-maxX, Math.min(maxX, z.x)) + 0, y: Math.max(-maxY, Math.min(maxY, z.y)) + 0 };
}

/**
 * Two fingers: the zoom that keeps the picture's point under the fingers'
 * midpoint under it, scaled by how far apart they moved. Points are
 * relative to the view's centre; `start` is the zoom when both touched.
 */
export function pinchZoom(start: Zoom, from: [Point, Point], to: [Point, Point]): Zoom {
  const d0 = Math.hypot(from[1].x - from[0].x, from[1].y - from[0].y);
  const d1 = Math.hypot(to[1].x - to[0].x, to[1].y - to[0].y);
  const ratio = d0 > 0 ? d1 / d0 : 1;
  const scale = Math.max(ZOOM_MIN * 0.8, Math.min(ZOOM_MAX, start.scale * ratio));
  const k = scale / start.scale;
  const m0 = { x: (from[0].x + from[1].x) / 2, y: (from[0].y + from[1].y) / 2 };
  const m1 = { x: (to[0].x + to[1].x) / 2, y: (to[0].y + to[1].y) / 2 };
  // The picture point p under m0: m0 = t0 + s0·p → after, m1 = t1 + s1·p.
  return { scale, x: m1.x - (m0.x - start.x) * k, y: m1.y - (m0.y - start.y) * k };
}

/** A double tap: zoomed out, zoom in on the tapped point (relative to the centre); zoomed in, back to fit. */
export function doubleTapZoom(current: Zoom, at: Point, scale = DOUBLE_TAP_SCALE): Zoom {
  if (current.scale > 1.01) return IDENTITY;
  const k = scale / current.scale;
  return { scale, x: at.x - (at.x - current.x) * k, y: at.y - (at.y - current.y) * k };
}

/** Two taps this close in time (ms) and place (px) are a double tap. */
export function isDoubleTap(first: { at: number; x: number; y: number } | null, second: { at: number; x: number; y: number }, withinMs = 300, withinPx = 30): boolean {
  return !!first && second.at - first.at <= withinMs && Math.hypot(second.x - first.x, second.y - first.y) <= withinPx;
}

/**
 * Where a horizontal swipe at scale 1 goes: to the next picture (+1) or the
 * previous (−1) when it moved more than a fifth of the view (or flicked),
 * else back (0); never past either end.
 */
export function swipeTarget(dx: number, viewWidth: number, index: number, count: number, velocity = 0): -1 | 0 | 1 {
  const far = Math.abs(dx) > viewWidth / 5 || Math.abs(velocity) > 0.5;
  if (!far) return 0;
  if (dx < 0 && index < count - 1) return 1;
  if (dx > 0 && index > 0) return -1;
  return 0;
}

/** The conversation's pictures the viewer swipes through, in order (sent and being sent), and where this one is. */
export function viewerItems(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.filter((m) => m.type === 'image' && !m.recalled && (m.file?.id || m.local?.previewUrl));
}

// ------------------------------------------------------------------ the media cache

/** Files larger than this stay out of the media cache (lib/mediaCache.ts): they play from their signed links, streamed. */
export const CACHE_MAX_BYTES = 50 * 1024 * 1024;

/**
 * Whether a voice message or video plays through the media cache (its bytes
 * downloaded whole, kept, played from a blob: URL) rather than streamed from
 * its signed link: known to be at most `max` bytes. An unknown size (0)
 * counts as small only for a voice message (a minute of Opus at most).
 */
export function playsFromCache(file: { size: number } | undefined, type: 'voice' | 'video', max = CACHE_MAX_BYTES): boolean {
  const size = file?.size ?? 0;
  if (!Number.isFinite(size) || size < 0) return false;
  if (size === 0) return type === 'voice';
  return size <= max;
}

/** A voice message's progress 0…1: by the element's duration when it knows one (a recording's WebM often does not), else the message's. */
export function playProgress(currentTime: number, elementDuration: number, durationMs: number | undefined): number {
  const d = Number.isFinite(elementDuration) && elementDuration > 0 ? elementDuration : durationMs && durationMs > 0 ? durationMs / 1000 : 0;
  return d > 0 ? Math.max(0, Math.min(1, currentTime / d)) : 0;
}

/** Landscape lock makes sense for a video wider than tall, on a phone. */
export function wantsLandscape(width: number | undefined, height: number | undefined, coarsePointer: boolean): boolean {
  return coarsePointer && !!width && !!height && width > height;
}

/**
 * Whether a picked file is the one an unfinished upload was of: its name and
 * size (a browser gives nothing surer across a reload; the upload's own
 * fingerprint then also checks the type and the modification time).
 */
export function isSameFile(file: { name: string; size: number }, unfinished: { name: string; size: number | null }): boolean {
  return file.name === unfinished.name && (unfinished.size === null || file.size === unfinished.size);
}
