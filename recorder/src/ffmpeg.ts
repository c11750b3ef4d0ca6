import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import type { PlainRtpParameters } from '@muster/media';

/**
 * The SDP that tells ffmpeg what arrives on a UDP port. ffmpeg also binds
 * port + 1 for RTCP; the SFU sends none (no receiver reports are needed).
 */
export function sdpFor(port: number, rtp: PlainRtpParameters): string {
  const [, codec] = rtp.mimeType.split('/');
  const channels = rtp.channels ? `/${rtp.channels}` : '';
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=muster-recording',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=${rtp.kind} ${port} RTP/AVP ${rtp.payloadType}`,
    `a=rtpmap:${rtp.payloadType} ${codec}/${rtp.clockRate}${channels}`,
    'a=recvonly',
    '',
  ].join('\n');
}

/**
 * Codecs recorded into WebM without re-encoding: VP8 and Opus by ffmpeg's
 * RTP input, VP9 and AV1 by the recorder's depacketizer (depacketize/).
 */
export function recordableCodec(mimeType: string): boolean {
  return ['video/vp8', 'video/vp9', 'video/av1', 'audio/opus'].includes(mimeType.toLowerCase());
}

async function bindable(port: number): Promise<boolean> {
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    try {
      socket.close();
    } catch {
      // never bound
    }
  }
}

/** An even UDP port whose successor is free too (RTP and RTCP for ffmpeg). */
export async function freeRtpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 20_000);
    if ((await bindable(port)) && (await bindable(port + 1))) return port;
  }
  throw new Error('no free UDP port pair for ffmpeg');
}

/**
 * Resolves once something listens on UDP `port` (ffmpeg has opened its
 * input), so no packet is sent into the void: a track's timeline starts at
 * the first packet ffmpeg receives. Linux's /proc; elsewhere a short wait.
 */
export async function waitForUdpListener(port: number, timeoutMs = 5_000): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      // ffmpeg may open an IPv6 (dual-stack) socket: both tables count.
      const tables = await Promise.all(['/proc/net/udp', '/proc/net/udp6'].map((f) => fs.promises.readFile(f, 'utf8').catch(() => '')));
      if (!tables[0] && !tables[1]) throw new Error('no /proc/net/udp');
      const local = (line: string) => line.trim().split(/\s+/)[1] ?? '';
      if (tables.some((table) => table.split('\n').some((line) => local(line).endsWith(hex.trim())))) return true;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
      return true;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

export interface ProbeResult {
  durationSeconds: number;
  streams: { index: number; codec_type: string; codec_name: string; width?: number; height?: number; start_time?: string }[];
}

export function ffprobe(ffprobePath: string, file: string): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(ffprobePath, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { maxBuffer: 4 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      const json = JSON.parse(stdout) as { format?: { duration?: string }; streams?: ProbeResult['streams'] };
      resolve({ durationSeconds: Number(json.format?.duration ?? NaN), streams: json.streams ?? [] });
    });
  });
}

/**
 * Runs ffmpeg to completion; rejects with its error lines. `-benchmark`
 * makes ffmpeg report its own CPU time, which is what the composite costs.
 * stderr is streamed and only its tail kept: a long encode's warnings must
 * not fill memory.
 */
export function runFfmpeg(ffmpegPath: string, args: string[]): Promise<{ cpuSeconds: number; wallSeconds: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(ffmpegPath, ['-hide_banner', '-nostdin', '-nostats', '-benchmark', '-loglevel', 'info', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    const problems: string[] = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-8192);
      for (const line of chunk.split('\n')) {
        if (/error|invalid|fail|no such|not found|cannot|unable|matches no streams/i.test(line)) problems.push(line.slice(0, 300));
      }
      if (problems.length > 20) problems.splice(0, problems.length - 20);
    });
    child.on('error', (error) => reject(new Error(`ffmpeg could not run: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`ffmpeg failed (${signal ?? `exit ${code}`}): ${problems.slice(-10).join('\n') || tail.slice(-500)}`));
      const bench = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(tail);
      resolve({ cpuSeconds: bench ? Number(bench[1]) + Number(bench[2]) : NaN, wallSeconds: (Date.now() - started) / 1000 });
    });
  });
}
