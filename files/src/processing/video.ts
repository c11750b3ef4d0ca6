import { runTool, ToolError } from './ffmpeg.ts';
import { IMAGE_MAX_PIXELS, THUMBNAIL_MAX_SIDE, webpThumbnail } from './images.ts';
import { inputArgs, type Probe } from './probe.ts';

/**
 * Video: its duration and a poster frame. ffmpeg reads the file over the
 * loopback URL (see loopbackSource.ts), seeking with Range requests.
 */

export const POSTER_TIMEOUT_MS = 30_000;
/** Reading a whole video's packets (no decoding) to find its duration when the container does not say. */
export const DURATION_SCAN_TIMEOUT_MS = 60_000;

export interface VideoFindings {
  width: number;
  height: number;
  durationMs?: number;
  thumbnail?: { bytes: Buffer; mime: 'image/webp' };
}

/** `probed.video` must be set. Rejects (ToolError) only when the video cannot be measured at all. */
export async function analyzeVideo(url: string, demuxer: string, probed: Probe): Promise<VideoFindings | { problem: string }> {
  const { width, height } = probed.video!;
  // ffmpeg allocates frames by the declared size: the same bound as images.
  if (width * height > IMAGE_MAX_PIXELS) return { problem: `video is ${width}×${height}, over the ${IMAGE_MAX_PIXELS / 1e6} megapixel decode limit` };
  const durationMs = probed.durationMs ?? (await scanDuration(url, demuxer).catch(() => undefined));
  const findings: VideoFindings = { width, height, durationMs };
  // A second in skips the black or fading first frame most recordings start with; a short clip uses its first.
  const at = durationMs !== undefined && durationMs > 2000 ? 1 : 0;
  const frame = (await posterFrame(url, demuxer, at).catch(() => undefined)) ?? (at > 0 ? await posterFrame(url, demuxer, 0).catch(() => undefined) : undefined);
  // No poster is not a reason to refuse a video that browsers may still play.
  if (frame && frame.length > 0) findings.thumbnail = await webpThumbnail(frame).catch(() => undefined);
  return findings;
}

/**
 * One frame at `seconds`, upright (ffmpeg applies the display rotation),
 * with square pixels, scaled down (never up) in ffmpeg already so the PNG stays small;
 * sharp makes the WebP thumbnail from it, as for images.
 */
async function posterFrame(url: string, demuxer: string, seconds: number): Promise<Buffer> {
  const side = THUMBNAIL_MAX_SIDE * 2;
  const filter = `scale='if(gt(sar,0),iw*sar,iw)':ih,setsar=1,scale=w='min(${side},iw)':h='min(${side},ih)':force_original_aspect_ratio=decrease`;
  return runTool(
    'ffmpeg',
    ['-ss', String(seconds), ...inputArgs(url, demuxer), '-map', '0:v:0', '-frames:v', '1', '-vf', filter, '-an', '-c:v', 'png', '-f', 'image2pipe', 'pipe:1'],
    { timeoutMs: POSTER_TIMEOUT_MS, maxStdoutBytes: 16 << 20, secrets: [url] },
  );
}

/**
 * The duration of a video whose container does not record it (a browser's
 * WebM recording): every packet is read, none decoded, and ffmpeg's progress
 * report gives the last timestamp.
 */
async function scanDuration(url: string, demuxer: string): Promise<number> {
  const out = await runTool('ffmpeg', [...inputArgs(url, demuxer), '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-progress', 'pipe:1', '-nostats', '-'], {
    timeoutMs: DURATION_SCAN_TIMEOUT_MS,
    maxStdoutBytes: 4 << 20,
    secrets: [url],
  });
  const times = [...out.toString('utf8').matchAll(/^out_time_us=(\d+)$/gm)];
  const micros = Number(times.at(-1)?.[1]);
  if (!Number.isFinite(micros) || micros <= 0) throw new ToolError('no duration');
  return Math.round(micros / 1000);
}
