import { runTool } from './ffmpeg.ts';

/**
 * What ffprobe says about a media container: its tracks (a WebM or MP4 may
 * hold audio only, video only, or both) and, when the container records it,
 * the duration. A browser's MediaRecorder output records none, so a missing
 * duration is normal, not an error.
 */

export const PROBE_TIMEOUT_MS = 20_000;
/** ffmpeg's own network timeout on the loopback input, so a stalled read fails instead of hanging until the kill. */
const IO_TIMEOUT_US = '15000000';

export interface Probe {
  durationMs?: number;
  /** The first real video track (cover art in an audio file does not count), with its display size. */
  video?: { width: number; height: number };
  hasAudio: boolean;
}

/**
 * The input options of every ffmpeg/ffprobe run on a loopback URL: the
 * demuxer forced to the sniffed one (ffmpeg does not guess, so bytes that
 * look like a playlist cannot make it open other files or URLs), and only
 * HTTP over TCP allowed as a protocol.
 */
export function inputArgs(url: string, demuxer: string): string[] {
  return ['-protocol_whitelist', 'http,tcp', '-rw_timeout', IO_TIMEOUT_US, '-f', demuxer, '-i', url];
}

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  duration?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

export async function probe(url: string, demuxer: string): Promise<Probe> {
  const stdout = await runTool('ffprobe', ['-print_format', 'json', '-show_format', '-show_streams', ...inputArgs(url, demuxer)], {
    timeoutMs: PROBE_TIMEOUT_MS,
    maxStdoutBytes: 1 << 20,
    secrets: [url],
  });
  let json: { format?: { duration?: string }; streams?: ProbeStream[] };
  try {
    json = JSON.parse(stdout.toString('utf8')) as typeof json;
  } catch {
    throw new Error('ffprobe gave no readable answer');
  }
  const streams = json.streams ?? [];
  const videoStream = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && s.width && s.height);
  const seconds = [json.format?.duration, videoStream?.duration].map(Number).find((n) => Number.isFinite(n) && n > 0);
  return {
    durationMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
    video: videoStream ? displaySize(videoStream) : undefined,
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
  };
}

/**
 * The size a player shows: the coded size stretched by a non-square sample
 * aspect ratio, and turned by the rotation a phone records (portrait video
 * is usually landscape pixels with a 90° display matrix).
 */
function displaySize(stream: ProbeStream): { width: number; height: number } {
  let width = stream.width!;
  const height = stream.height!;
  const sar = /^(\d+):(\d+)$/.exec(stream.sample_aspect_ratio ?? '');
  if (sar && Number(sar[1]) > 0 && Number(sar[2]) > 0) width = Math.round((width * Number(sar[1])) / Number(sar[2]));
  const rotation = Number(stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? stream.tags?.rotate ?? 0);
  return Math.abs(rotation) % 180 === 90 ? { width: height, height: width } : { width, height };
}
