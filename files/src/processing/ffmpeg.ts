import { spawn } from 'node:child_process';
import { ffprobeBeside, resolveFfmpegPath } from '@muster/kit/ffmpeg-path';
import { Gate } from './gate.ts';

/**
 * Running Debian's ffmpeg and ffprobe on untrusted media: never more than
 * FFMPEG_MAX_PROCESSES at once in this process, killed at a deadline, output
 * bounded, and error text scrubbed of the loopback URL (which is a secret for
 * as long as the file is being served).
 */

/** ffmpeg/ffprobe processes this Node process runs at once; more wait. */
export const FFMPEG_MAX_PROCESSES = 2;

const processes = new Gate(FFMPEG_MAX_PROCESSES);

/** Why a tool gave no usable answer: it becomes the Analysis' `problem`. */
export class ToolError extends Error {
  override name = 'ToolError';
}

let tools: Promise<{ ffmpeg: string; ffprobe: string }> | undefined;

/** FFMPEG_PATH / FFPROBE_PATH, as the recorder resolves them (kit's one rule). */
function toolPaths(): Promise<{ ffmpeg: string; ffprobe: string }> {
  tools ??= resolveFfmpegPath().then((ffmpeg) => ({ ffmpeg, ffprobe: ffprobeBeside(ffmpeg) }));
  return tools;
}

export interface RunOptions {
  /** The process is killed (SIGKILL) after this long; a hostile file can make a demuxer spin. */
  timeoutMs: number;
  /** stdout is collected up to this many bytes; more kills the process. Ignored with `onStdout`. */
  maxStdoutBytes?: number;
  /** Receives stdout as it comes instead of collecting it (decoded PCM can be long). */
  onStdout?: (chunk: Buffer) => void;
  /** Strings never to appear in an error message (the loopback URL). */
  secrets?: readonly string[];
}

/** The common head of every command line: quiet, no stdin, errors only. */
const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

/**
 * Runs ffmpeg or ffprobe once a slot is free; resolves with stdout (empty
 * when streamed to `onStdout`), rejects with a ToolError.
 */
export async function runTool(tool: 'ffmpeg' | 'ffprobe', args: readonly string[], options: RunOptions): Promise<Buffer> {
  const paths = await toolPaths();
  const head = tool === 'ffmpeg' ? QUIET : QUIET.filter((a) => a !== '-nostdin');
  return processes.run(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        const child = spawn(paths[tool], [...head, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        const chunks: Buffer[] = [];
        let stdoutBytes = 0;
        let stderrTail = '';
        let failure: string | undefined;
        const stop = (why: string) => {
          failure ??= why;
          child.kill('SIGKILL');
        };
        const timer = setTimeout(() => stop(`${tool} took longer than ${Math.round(options.timeoutMs / 1000)} s`), options.timeoutMs);
        child.stdout!.on('data', (chunk: Buffer) => {
          if (options.onStdout) {
            try {
              options.onStdout(chunk);
            } catch (error) {
              stop(`reading ${tool}'s output failed: ${(error as Error).message}`);
            }
            return;
          }
          stdoutBytes += chunk.length;
          if (stdoutBytes > (options.maxStdoutBytes ?? 16 << 20)) return stop(`${tool} wrote more output than expected`);
          chunks.push(chunk);
        });
        child.stderr!.setEncoding('utf8');
        child.stderr!.on('data', (text: string) => {
          stderrTail = (stderrTail + text).slice(-4096);
        });
        child.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(new ToolError(error.code === 'ENOENT' ? `${tool} is not installed (apt-get install ffmpeg, or FFMPEG_PATH)` : `${tool} could not run: ${error.code ?? error.message}`));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (failure) return reject(new ToolError(failure));
          if (code !== 0) return reject(new ToolError(`${tool} failed (${signal ?? `exit ${code}`}): ${lastLine(scrub(stderrTail, options.secrets)) || 'no message'}`));
          resolve(Buffer.concat(chunks));
        });
      }),
  );
}

/** `text` without the secrets, and without any loopback URL in case it was quoted in part. */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('<input>');
  return out.replace(/https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/\S*/gi, '<input>');
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 300);
}
