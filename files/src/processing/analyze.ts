import { log as rootLog } from '@muster/kit/log';
import { analyzeAudio } from './audio.ts';
import { matroskaTrackKinds } from './matroskaTracks.ts';
import { readRange, type ByteSource } from './byteSource.ts';
import { ToolError } from './ffmpeg.ts';
import { analyzeImage, IMAGE_MAX_BYTES } from './images.ts';
import { serveOnLoopback } from './loopbackSource.ts';
import { probe } from './probe.ts';
import { OCTET_STREAM, SNIFF_BYTES, sniff, type Sniffed } from './sniff.ts';
import { analyzeVideo } from './video.ts';

export type { ByteSource } from './byteSource.ts';

/**
 * What an uploaded file is, and what the client needs to show it: called by
 * the files package once an upload is complete, before the file is offered
 * to anyone.
 *
 * Never throws for anything about the file (corrupt, hostile, too big to
 * decode, ffmpeg missing): the upload is kept, as a plain file with the
 * reason in `problem`. It throws only for a programming error (bad
 * arguments).
 */

export interface AnalyzeOptions {
  /** The name the uploader gave: only its extension is used, for `blockedTypes`. */
  declaredName: string;
  /** What the uploader's client claimed: never trusted, only logged when it disagrees. */
  declaredMime?: string;
  /** Keep a photo's GPS position (the sender chose to share it). */
  keepLocation?: boolean;
  /** Extensions ("exe", ".bat") or MIME types ("application/x-msdownload"), any case. */
  blockedTypes?: readonly string[];
}

export interface Analysis {
  mime: string;
  kind: 'image' | 'video' | 'audio' | 'other';
  extension?: string;
  /** The true type, or the declared name's extension, is in blockedTypes. */
  blocked?: boolean;
  width?: number;
  height?: number;
  durationMs?: number;
  /** 48 bars, integers 0–100. */
  waveform?: number[];
  thumbnail?: { bytes: Buffer; mime: 'image/webp' | 'image/jpeg' };
  /** The original re-encoded without its GPS EXIF (only when it had GPS and keepLocation is not set); auto-oriented, high quality, ICC kept. */
  replacement?: { bytes: Buffer; mime: string };
  /** Why it is only a plain file (decode limit, corrupt), for logs. */
  problem?: string;
}

const log = rootLog.child({ component: 'files.processing' });

export async function analyze(source: ByteSource, options: AnalyzeOptions): Promise<Analysis> {
  if (!source || typeof source.read !== 'function' || !Number.isSafeInteger(source.size) || source.size < 0) {
    throw new TypeError('analyze needs a ByteSource with a whole, non-negative size');
  }
  if (!options || typeof options.declaredName !== 'string') throw new TypeError('analyze needs options.declaredName');

  let sniffed: Sniffed;
  try {
    sniffed = await sniff(await readRange(source, 0, SNIFF_BYTES - 1));
  } catch (error) {
    // The stored bytes could not be read: nothing is known, and nothing is decoded.
    return finish({ mime: OCTET_STREAM, kind: 'other', problem: `could not read the file: ${message(error)}` }, options);
  }
  const base: Analysis = { mime: sniffed.mime, kind: 'other', ...(sniffed.extension ? { extension: sniffed.extension } : {}) };
  // A blocked file is refused by the caller: no CPU is spent decoding it.
  if (isBlocked(base, options)) return finish({ ...base, blocked: true }, options);

  try {
    if (sniffed.family === 'image') return finish(await image(source, base, options), options);
    if (sniffed.family === 'media') return finish(await media(source, sniffed, base), options);
    return finish(base, options);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) {
      // Most likely our own bug; still, losing the upload would be worse than a plain file. Logged loudly.
      log.error({ err: error, mime: base.mime }, 'file processing failed unexpectedly');
    }
    return finish({ ...base, problem: message(error) }, options);
  }
}

async function image(source: ByteSource, base: Analysis, options: AnalyzeOptions): Promise<Analysis> {
  if (source.size > IMAGE_MAX_BYTES) return { ...base, problem: `image is over ${IMAGE_MAX_BYTES / 1024 / 1024} MiB, not decoded` };
  const bytes = await readRange(source, 0, source.size - 1);
  const found = await analyzeImage(bytes, base.mime, { keepLocation: options.keepLocation });
  if ('problem' in found) return { ...base, problem: found.problem };
  return { ...base, kind: 'image', width: found.width, height: found.height, thumbnail: found.thumbnail, ...(found.replacement ? { replacement: found.replacement } : {}) };
}

/**
 * Audio or video: which one is decided by the tracks, not the container
 * (a browser's voice message is a WebM with audio only).
 */
async function media(source: ByteSource, sniffed: Sniffed, base: Analysis): Promise<Analysis> {
  const served = await serveOnLoopback(source);
  try {
    const demuxer = sniffed.demuxer!;
    // Audio alone (a voice message, nearly always): the decode that measures it is all it needs, without
    // an ffprobe run first. Anything it cannot settle goes the probing way below.
    if (await audioOnly(source, sniffed)) {
      const found = await analyzeAudio(served.url, demuxer).catch(() => undefined);
      if (found && found.durationMs > 0) return { ...retyped(base, 'audio'), kind: 'audio', durationMs: found.durationMs, waveform: found.waveform };
    }
    const probed = await probe(served.url, demuxer);
    if (probed.video) {
      const found = await analyzeVideo(served.url, demuxer, probed);
      if ('problem' in found) return { ...base, problem: found.problem };
      return { ...retyped(base, 'video'), kind: 'video', width: found.width, height: found.height, ...defined({ durationMs: found.durationMs, thumbnail: found.thumbnail }) };
    }
    if (probed.hasAudio) {
      try {
        const found = await analyzeAudio(served.url, demuxer);
        if (found.durationMs > 0) return { ...retyped(base, 'audio'), kind: 'audio', durationMs: found.durationMs, waveform: found.waveform };
        if (probed.durationMs === undefined) return { ...base, problem: 'no audio could be decoded' };
      } catch (error) {
        // A decode that timed out or broke midway: the container's duration, when it has one, still makes it playable audio.
        if (probed.durationMs === undefined) throw error;
        log.warn({ mime: base.mime, problem: message(error) }, 'audio decoded only in part; using the container duration');
      }
      return { ...retyped(base, 'audio'), kind: 'audio', durationMs: probed.durationMs };
    }
    return { ...base, problem: 'no audio or video track' };
  } finally {
    await served.close();
  }
}

/**
 * Whether the container says, without a probe, that it holds audio alone:
 * an audio type by its signature (MP3, Ogg Opus/Vorbis, WAV, FLAC), or
 * a WebM/Matroska whose header lists only audio tracks (a browser's voice
 * message).
 */
async function audioOnly(source: ByteSource, sniffed: Sniffed): Promise<boolean> {
  // An M4A's signature says nothing of its tracks (one may carry video): it is probed.
  if (sniffed.mime.startsWith('audio/') && sniffed.demuxer !== 'mov') return true;
  if (sniffed.demuxer !== 'matroska') return false;
  const kinds = matroskaTrackKinds(await readRange(source, 0, SNIFF_BYTES - 1));
  return kinds !== undefined && [...kinds].every((kind) => kind === 'audio');
}

/**
 * The media type for what the tracks turned out to be: a WebM, Matroska,
 * MP4 or Ogg is an audio type when it carries no video, and an M4A with a
 * video track is an MP4 video.
 */
function retyped(base: Analysis, kind: 'audio' | 'video'): Analysis {
  const [top, sub] = base.mime.split('/') as [string, string];
  if (top === kind) return base;
  if (kind === 'audio') {
    const audio: Record<string, { mime: string; extension: string }> = {
      'video/webm': { mime: 'audio/webm', extension: 'weba' },
      'video/mp4': { mime: 'audio/mp4', extension: 'm4a' },
      'video/quicktime': { mime: 'audio/mp4', extension: 'm4a' },
      'video/x-m4v': { mime: 'audio/mp4', extension: 'm4a' },
      'video/matroska': { mime: 'audio/matroska', extension: 'mka' },
      'video/ogg': { mime: 'audio/ogg', extension: 'ogg' },
      'video/3gpp': { mime: 'audio/3gpp', extension: '3gp' },
    };
    return { ...base, ...(audio[base.mime] ?? { mime: `audio/${sub}` }) };
  }
  const video: Record<string, { mime: string; extension: string }> = {
    'audio/x-m4a': { mime: 'video/mp4', extension: 'mp4' },
    'audio/mp4': { mime: 'video/mp4', extension: 'mp4' },
    'audio/ogg': { mime: 'video/ogg', extension: 'ogv' },
    'audio/webm': { mime: 'video/webm', extension: 'webm' },
  };
  return { ...base, ...(video[base.mime] ?? { mime: `video/${sub}` }) };
}

/**
 * Blocked when the true type (MIME or extension) or the extension of the
 * name the uploader gave is on the list: a renamed .exe is caught by its
 * bytes, and a script whose bytes are plain text by its name.
 */
export function isBlocked(analysis: Pick<Analysis, 'mime' | 'extension'>, options: Pick<AnalyzeOptions, 'declaredName' | 'blockedTypes'>): boolean {
  const blocked = new Set((options.blockedTypes ?? []).map((entry) => entry.trim().toLowerCase().replace(/^\./, '')).filter(Boolean));
  if (blocked.size === 0) return false;
  const declaredExtension = /\.([^./\\]+)$/.exec(options.declaredName.trim())?.[1]?.toLowerCase();
  const candidates = [analysis.mime.toLowerCase(), analysis.extension?.toLowerCase(), declaredExtension];
  return candidates.some((candidate) => candidate !== undefined && blocked.has(candidate));
}

/** Applies the block list to the final type (a WebM may have become audio/webm) and logs what deserves a line. */
function finish(analysis: Analysis, options: AnalyzeOptions): Analysis {
  if (!analysis.blocked && isBlocked(analysis, options)) analysis.blocked = true;
  // File names can be personal: the line carries types only. The caller logs `problem` with its file id; this is detail.
  if (analysis.problem) log.debug({ mime: analysis.mime, problem: analysis.problem }, 'file kept as a plain file');
  const declared = options.declaredMime?.split(';')[0]?.trim().toLowerCase();
  if (declared && declared !== analysis.mime && analysis.mime !== OCTET_STREAM) log.debug({ mime: analysis.mime, declaredMime: declared }, 'declared type differs from the content');
  return analysis;
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function message(error: unknown): string {
  if (error instanceof ToolError) return error.message;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
}

/**
 * The exact length of a voice message in milliseconds (decoded, since a
 * browser's recording carries no duration), or undefined when the bytes are
 * not audio. The IM layer compares it with its limit.
 */
export async function voiceDuration(source: ByteSource): Promise<number | undefined> {
  const analysis = await analyze(source, { declaredName: '' });
  return analysis.kind === 'audio' ? analysis.durationMs : undefined;
}
