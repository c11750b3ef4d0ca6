/**
 * The rich-media mix of issue 17's benchmark (`--media-mix`): which share of
 * the messages is text, image, voice or file, the sizes each is drawn from
 * (uniform within its range), and a seeded generator so two runs draw the
 * same sequence. Pure (no I/O): the payloads themselves are made by
 * mediaPayloads.ts, the uploads by tusUpload.ts.
 */

export const MEDIA_TYPES = ['image', 'voice', 'file'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];
export const MESSAGE_TYPES = ['text', ...MEDIA_TYPES] as const;
export type MsgType = (typeof MESSAGE_TYPES)[number];

/** The customer's mix: share of all messages, by type (sums to 1). */
export const CUSTOMER_MIX: Readonly<Record<MsgType, number>> = { text: 0.6, image: 0.2, voice: 0.15, file: 0.05 };

export interface Range {
  min: number;
  max: number;
}

/** What each media type is drawn from: bytes for images and files, seconds for voice. */
export interface MediaSizes {
  imageBytes: Range;
  voiceSeconds: Range;
  fileBytes: Range;
}

const MB = 1_000_000;
/**
 * The customer's stated sizes. Voice stops just under 60 s: the server
 * measures a voice message from its audio and refuses one over 60,000 ms,
 * and an Opus stream of exactly 60 s can measure a few ms over.
 */
export const CUSTOMER_SIZES: Readonly<MediaSizes> = {
  imageBytes: { min: 0.2 * MB, max: 2 * MB },
  voiceSeconds: { min: 5, max: 59.5 },
  fileBytes: { min: 1 * MB, max: 20 * MB },
};

/** How many real images and voice clips are made for a run (each send picks the one nearest its drawn size). */
export const IMAGE_VARIANTS = 8;
export const VOICE_VARIANTS = 12;

/** "a-b" (or one number "a") into a range; null when it is not one. */
export function parseRange(text: string): Range | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$/.exec(text);
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (!Number.isFinite(min) || !Number.isFinite(max) || min <= 0 || max < min) return null;
  return { min, max };
}

/** "text=60,image=20,voice=15,file=5" into shares summing to 1 (types left out are 0); null when it is not one. */
export function parseMix(text: string): Record<MsgType, number> | null {
  const mix: Record<MsgType, number> = { text: 0, image: 0, voice: 0, file: 0 };
  for (const part of text.split(',')) {
    const m = /^\s*(text|image|voice|file)\s*[=:]\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) return null;
    mix[m[1] as MsgType] = Number(m[2]);
  }
  const sum = MESSAGE_TYPES.reduce((a, t) => a + mix[t], 0);
  if (!(sum > 0)) return null;
  for (const t of MESSAGE_TYPES) mix[t] /= sum;
  return mix;
}

/** The mix's draws come from the kit's seeded generator (mulberry32): the same seed, the same run. */
export { mulberry32 as seededRandom } from '@muster/kit/testing';

/** The type of the next message, by the mix's shares. */
export function pickType(mix: Readonly<Record<MsgType, number>>, r: number): MsgType {
  let acc = 0;
  for (const type of MESSAGE_TYPES) {
    acc += mix[type];
    if (r < acc) return type;
  }
  return 'text';
}

/** Uniform within the range. */
export const drawIn = (range: Range, r: number): number => range.min + (range.max - range.min) * r;

/** `count` points spread evenly over the range, ends included (the sizes the real payloads are made at). */
export function spread(range: Range, count: number): number[] {
  if (count <= 1 || range.max === range.min) return [range.min];
  return Array.from({ length: count }, (_, i) => range.min + ((range.max - range.min) * i) / (count - 1));
}

/** The index of the value nearest `x` (values need not be sorted). */
export function nearest(values: readonly number[], x: number): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i]! - x) < Math.abs(values[best]! - x)) best = i;
  return best;
}

/** The share of rich-media (non-text) messages in a mix. */
export const richShare = (mix: Readonly<Record<MsgType, number>>) => MEDIA_TYPES.reduce((a, t) => a + mix[t], 0);

/**
 * The client message id of a media send carries its times, so whichever bot
 * process receives it can measure latency without a shared table:
 * `lt<pid>x<n, base 36>_<sent µs, base 36>_<upload start µs, base 36>`
 * (≤ 64 characters, the id's alphabet; `_` is not a base-36 digit).
 */
export function mediaClientMsgId(pid: number, n: number, sentAtMs: number, uploadStartMs: number): string {
  const us = (ms: number) => Math.round(ms * 1000).toString(36);
  return `lt${pid}x${n.toString(36)}_${us(sentAtMs)}_${us(uploadStartMs)}`;
}

/** The times written by mediaClientMsgId, or null for any other id. */
export function parseMediaClientMsgId(id: string | undefined): { sentAtMs: number; uploadStartMs: number } | null {
  const m = id ? /^lt\d+x[0-9a-z]+_([0-9a-z]+)_([0-9a-z]+)$/.exec(id) : null;
  if (!m) return null;
  return { sentAtMs: Number.parseInt(m[1]!, 36) / 1000, uploadStartMs: Number.parseInt(m[2]!, 36) / 1000 };
}
