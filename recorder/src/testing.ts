import { execFile } from 'node:child_process';

export const FFPROBE = process.env.FFPROBE_PATH || '/usr/bin/ffprobe';
export const FFMPEG = process.env.FFMPEG_PATH || '/usr/bin/ffmpeg';

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(bin, args, { maxBuffer: 32 << 20 }, (error, stdout, stderr) => (error ? reject(new Error(`${bin} ${args.join(' ')}: ${stderr}`)) : resolve(`${stdout}${stderr}`))),
  );
}

/** ffprobe's view of a file: its streams, duration, and how many video frames decode. */
export async function probe(file: string): Promise<{ duration: number; streams: { codec_type: string; codec_name: string; width?: number; height?: number }[]; videoFrames: number }> {
  const json = JSON.parse(await run(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file])) as {
    format: { duration?: string };
    streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
  };
  let videoFrames = 0;
  if (json.streams.some((s) => s.codec_type === 'video')) {
    const counted = await run(FFPROBE, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
    videoFrames = parseInt(counted.trim(), 10) || 0;
  }
  return { duration: Number(json.format.duration ?? NaN), streams: json.streams, videoFrames };
}

/** Decodes every stream of a file to nowhere; rejects if ffmpeg reports a decoding error. */
export async function decodesCleanly(file: string): Promise<void> {
  await run(FFMPEG, ['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-']);
}

/** The size (WxH) of every decoded video frame of a file, in order: a scalable stream must not switch between layers. */
export async function frameSizes(file: string): Promise<string[]> {
  const out = await run(FFPROBE, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-of', 'csv=p=0', file]);
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => line.trim().replace(',', 'x'));
}

/** The mean volume (dB) of a file's audio, as ffmpeg's volumedetect measures it. */
export async function meanVolume(file: string): Promise<number> {
  const log = await run(FFMPEG, ['-hide_banner', '-nostats', '-i', file, '-vn', '-af', 'volumedetect', '-f', 'null', '-']);
  const match = /mean_volume:\s*(-?[\d.]+|-inf) dB/.exec(log);
  return match && match[1] !== '-inf' ? Number(match[1]) : -Infinity;
}
