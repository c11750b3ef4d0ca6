import path from 'node:path';

/**
 * Where the ffmpeg and ffprobe binaries are, for every package that runs them
 * (the recorder, file processing): one rule, so FFMPEG_PATH means the same
 * thing everywhere.
 *
 * ffmpeg: FFMPEG_PATH, else @ffmpeg-installer/ffmpeg when it is installed,
 * else `ffmpeg` from PATH (Debian's package).
 */
export async function resolveFfmpegPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  try {
    // Optional: only present where someone chose to install it.
    const moduleName = '@ffmpeg-installer/ffmpeg';
    const installer = (await import(moduleName)) as { path?: string; default?: { path?: string } };
    const found = installer.path ?? installer.default?.path;
    if (found) return found;
  } catch {
    // not installed
  }
  return 'ffmpeg';
}

/** ffprobe beside the chosen ffmpeg, unless FFPROBE_PATH says otherwise. */
export function ffprobeBeside(ffmpegPath: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.FFPROBE_PATH) return env.FFPROBE_PATH;
  if (ffmpegPath === 'ffmpeg') return 'ffprobe';
  const dir = path.dirname(ffmpegPath);
  return path.join(dir, path.basename(ffmpegPath).replace(/ffmpeg/, 'ffprobe'));
}
