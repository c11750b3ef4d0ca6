import path from 'node:path';
import { ffprobeBeside, resolveFfmpegPath } from '@muster/kit/ffmpeg-path';

export type ComposeMode = 'live' | 'after';
export type CompositeLayout = 'grid' | 'speaker';

export interface RecorderConfig {
  /** Where recordings are kept (local disk storage). */
  dir: string;
  ffmpegPath: string;
  ffprobePath: string;
  /**
   * `live`: the composite is encoded while the meeting runs, one segment
   * window at a time, so it is ready moments after the stop; `after`: it is
   * encoded once, after the recording stops (no encoding load during the
   * meeting, a wait afterwards).
   */
  compose: ComposeMode;
  /** Per-track segments (and live composite windows) are this long: memory and the loss from a crash stay bounded. */
  segmentSeconds: number;
  /** Composite frame size and rate. */
  width: number;
  height: number;
  fps: number;
  /** x264 preset of the composite: `ultrafast` costs least CPU per meeting. */
  preset: string;
  /** Recording stops (and the host is told) when the disk has less free space than this. */
  minFreeBytes: number;
  /**
   * Several app hosts: where the other hosts reach this one (its relay URL),
   * stamped on each recording made here as where its files are (`filesAt`).
   * Absent on one host.
   */
  filesAt?: string;
  /**
   * The key download links are signed with (32 bytes or more), the same on
   * every host so that a link made on one opens the file on another; by
   * default a random one per process (a restart invalidates the links).
   */
  linkKey?: Buffer;
}

// Where ffmpeg and ffprobe are is one rule shared with file processing (kit/src/ffmpegPath.ts).
export { resolveFfmpegPath, ffprobeBeside };

function intEnv(value: string | undefined, fallback: number, min: number): number {
  const n = value === undefined || value === '' ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`expected an integer ≥ ${min}, got ${value}`);
  return n;
}

/** The recorder's settings from the environment (see docs/operations.md). */
export async function recorderConfigFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<RecorderConfig> {
  const ffmpegPath = await resolveFfmpegPath(env);
  const compose = env.RECORDING_COMPOSE ?? 'after';
  if (compose !== 'live' && compose !== 'after') throw new Error(`RECORDING_COMPOSE must be live or after, got ${compose}`);
  return {
    dir: env.RECORDINGS_DIR ? path.resolve(env.RECORDINGS_DIR) : path.join(dataDir, 'recordings'),
    ffmpegPath,
    ffprobePath: ffprobeBeside(ffmpegPath, env),
    compose,
    segmentSeconds: intEnv(env.RECORDING_SEGMENT_SECONDS, 300, 2),
    width: intEnv(env.RECORDING_WIDTH, 1280, 64),
    height: intEnv(env.RECORDING_HEIGHT, 720, 64),
    fps: intEnv(env.RECORDING_FPS, 15, 1),
    preset: env.RECORDING_PRESET ?? 'veryfast',
    minFreeBytes: intEnv(env.RECORDING_MIN_FREE_MB, 500, 0) * 1024 * 1024,
  };
}
