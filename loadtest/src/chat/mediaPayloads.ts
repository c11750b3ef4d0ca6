/**
 * Real media for the rich-media mix, made once and reused (cached in the
 * temporary directory by their parameters):
 *
 * - images: JPEGs at sizes spread over the image range, made with sharp.
 *   Not pure noise: a smooth random base plus Gaussian grain, encoded at
 *   quality 85, comes out at about 0.3 bytes per pixel, as a phone photo
 *   does (a 2 MB image is about 6.6 megapixels), so the server decodes as
 *   many pixels per byte as it would in production;
 * - voice: WebM/Opus clips made by Debian's ffmpeg (`-f lavfi -i sine`,
 *   mono, 32 kb/s, loudness varying so the waveform has shape) at
 *   durations spread over the voice range;
 * - files: random bytes, made in each bot process (`filePool`).
 *
 * Each send draws its size uniformly within the range and takes the
 * payload nearest it.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { IMAGE_VARIANTS, seededRandom, spread, VOICE_VARIANTS, type MediaSizes } from './media.ts';

export interface ImagePayload {
  path: string;
  bytes: number;
  width: number;
  height: number;
}
export interface VoicePayload {
  path: string;
  seconds: number;
  bytes: number;
}
export interface PayloadManifest {
  dir: string;
  images: ImagePayload[];
  voices: VoicePayload[];
}

/** Bumped when the way payloads are made changes (a new cache directory). */
const RECIPE = 2;
/** JPEG quality and grain: about 0.3 bytes per pixel (measured with sharp 0.35). */
const QUALITY = 85;
const GRAIN_SIGMA = 15;
const BYTES_PER_PIXEL_GUESS = 0.3;

/** One JPEG of about `target` bytes (within 4 %, after at most 4 tries), 4:3. */
export async function makeJpeg(target: number, seed: number): Promise<{ data: Buffer; width: number; height: number }> {
  const random = seededRandom(seed);
  const base = Buffer.alloc(16 * 12 * 3);
  for (let i = 0; i < base.length; i++) base[i] = Math.floor(random() * 256);
  let pixels = target / BYTES_PER_PIXEL_GUESS;
  let best: { data: Buffer; width: number; height: number } | null = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const width = Math.max(16, Math.round(Math.sqrt((pixels * 4) / 3)));
    const height = Math.max(12, Math.round((width * 3) / 4));
    const smooth = await sharp(base, { raw: { width: 16, height: 12, channels: 3 } }).resize(width, height, { kernel: 'cubic' }).raw().toBuffer();
    const grain = await sharp({ create: { width, height, channels: 3, background: { r: 128, g: 128, b: 128 }, noise: { type: 'gaussian', mean: 128, sigma: GRAIN_SIGMA } } })
      .raw()
      .toBuffer();
    for (let i = 0; i < smooth.length; i++) {
      const v = smooth[i]! + grain[i]! - 128;
      smooth[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    const data = await sharp(smooth, { raw: { width, height, channels: 3 } }).jpeg({ quality: QUALITY }).toBuffer();
    if (!best || Math.abs(data.length - target) < Math.abs(best.data.length - target)) best = { data, width, height };
    if (Math.abs(data.length - target) / target < 0.04) break;
    pixels *= target / data.length;
  }
  return best!;
}

const FFMPEG = () => process.env.FFMPEG_PATH || 'ffmpeg';

/** One WebM/Opus voice clip of `seconds`. */
export async function makeVoice(file: string, seconds: number, frequency: number): Promise<void> {
  await promisify(execFile)(
    FFMPEG(),
    [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000:duration=${seconds.toFixed(3)}`,
      '-af', "volume='0.3+0.25*sin(2*PI*t*0.7)':eval=frame",
      '-ac', '1', '-c:a', 'libopus', '-b:a', '32k', '-f', 'webm', file,
    ],
    { timeout: 120_000 },
  );
}

/**
 * The images and voice clips for `sizes`, made once into a cache directory
 * (`dir`, default the temporary directory) and read back from it afterwards.
 */
export async function makePayloads(sizes: MediaSizes, options: { dir?: string; onProgress?: (line: string) => void } = {}): Promise<PayloadManifest> {
  const imageTargets = spread(sizes.imageBytes, IMAGE_VARIANTS).map(Math.round);
  const voiceTargets = spread(sizes.voiceSeconds, VOICE_VARIANTS);
  const key = crypto.createHash('sha256').update(JSON.stringify({ RECIPE, imageTargets, voiceTargets })).digest('hex').slice(0, 16);
  const dir = path.join(options.dir ?? path.join(os.tmpdir(), 'muster-loadtest-media'), key);
  const manifestFile = path.join(dir, 'manifest.json');
  const cached = cachedManifest(manifestFile);
  if (cached) return cached;
  // Made in a directory of this process's own, then renamed into place: two runs at once never see half a file.
  const building = `${dir}.${process.pid}.tmp`;
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(building, { recursive: true });
  const t = Date.now();
  const images: ImagePayload[] = [];
  for (const [i, target] of imageTargets.entries()) {
    const jpeg = await makeJpeg(target, 1000 + i);
    const file = path.join(dir, `photo-${i}.jpg`);
    fs.writeFileSync(path.join(building, path.basename(file)), jpeg.data);
    images.push({ path: file, bytes: jpeg.data.length, width: jpeg.width, height: jpeg.height });
  }
  const voices: VoicePayload[] = [];
  for (const [i, seconds] of voiceTargets.entries()) {
    const file = path.join(dir, `voice-${i}.webm`);
    await makeVoice(path.join(building, path.basename(file)), seconds, 180 + 20 * i);
    voices.push({ path: file, seconds, bytes: fs.statSync(path.join(building, path.basename(file))).size });
  }
  const manifest: PayloadManifest = { dir, images, voices };
  fs.writeFileSync(path.join(building, 'manifest.json'), JSON.stringify(manifest, null, 2));
  try {
    fs.renameSync(building, dir);
  } catch {
    // There is a directory already: another run's copy (the same payloads, made the same way), or a broken one left by a crash.
    if (cachedManifest(manifestFile)) fs.rmSync(building, { recursive: true, force: true });
    else {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(building, dir);
    }
  }
  options.onProgress?.(`made ${images.length} JPEGs and ${voices.length} WebM/Opus clips in ${((Date.now() - t) / 1000).toFixed(1)} s (${dir})`);
  return manifest;
}

/** The manifest in the cache when every payload it names is there whole; else null. */
function cachedManifest(manifestFile: string): PayloadManifest | null {
  try {
    const cached = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as PayloadManifest;
    return [...cached.images, ...cached.voices].every((p) => fs.statSync(p.path).size === p.bytes) ? cached : null;
  } catch {
    return null;
  }
}

/** Random bytes for the file sends: each takes a slice of the drawn size at a random offset. */
export function filePool(maxBytes: number): Buffer {
  return crypto.randomBytes(Math.ceil(maxBytes) + Math.min(Math.ceil(maxBytes), 1 << 20));
}
