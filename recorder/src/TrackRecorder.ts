import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from '@muster/media';
import type { RecorderConfig } from './config.ts';
import { freeRtpPort, sdpFor, waitForUdpListener } from './ffmpeg.ts';
import type { ManifestTrack, RecordingProblemCode, TrackPart } from './manifest.ts';

/** After this many ffmpeg deaths on one track, it stays unrecorded rather than loop. */
const MAX_RESTARTS = 3;
/** ffmpeg gets this long to finish its files after SIGINT before it is killed. */
const STOP_GRACE_MS = 5_000;

export interface TrackRecorderOptions {
  worker: Pick<Worker, 'request'>;
  routerId: string;
  transportId: string;
  track: ManifestTrack;
  /** The track's number in the recording (file names). */
  index: number;
  dir: string;
  config: Pick<RecorderConfig, 'ffmpegPath' | 'segmentSeconds'>;
  startedAt: number;
  /** The manifest changed (a part began or ended). */
  onChange: () => void;
  onProblem: (code: RecordingProblemCode, message: string) => void;
}

/**
 * One track of a recording: a paused plain-RTP consumer in the media worker,
 * an ffmpeg that stream-copies it into WebM segments, then the consumer
 * resumed once ffmpeg listens. If ffmpeg dies, the part it wrote stays (a
 * WebM cut short still plays) and a new part starts.
 */
export class TrackRecorder {
  readonly track: ManifestTrack;
  readonly #o: TrackRecorderOptions;
  #child?: ChildProcess;
  #consumerId?: string;
  #part?: TrackPart;
  #restarts = 0;
  #stopped = false;
  #starting?: Promise<void>;

  constructor(options: TrackRecorderOptions) {
    this.#o = options;
    this.track = options.track;
  }

  /** The running ffmpeg's pid (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get consumerId(): string | undefined {
    return this.#consumerId;
  }

  get currentPart(): TrackPart | undefined {
    return this.#part;
  }

  start(): Promise<void> {
    this.#starting = this.#startPart().catch((error: Error) => {
      this.track.status = 'failed';
      this.#o.onProblem('TRACK_FAILED', `could not record ${this.#describe()}: ${error.message}`);
    });
    return this.#starting;
  }

  #describe(): string {
    return `the ${this.track.source} of participant ${this.track.participantId}`;
  }

  async #startPart(): Promise<void> {
    const o = this.#o;
    const partIndex = this.track.parts.length;
    const part: TrackPart = { startMs: null, endMs: null, files: [], endReason: null };
    this.track.parts.push(part);
    this.#part = part;
    const prefix = `t${o.index}-p${partIndex}`;
    const port = await freeRtpPort();
    const consumerId = randomUUID();
    const rtp = await o.worker.request('plainTransport.consume', {
      routerId: o.routerId,
      transportId: o.transportId,
      producerId: this.track.producerId,
      consumerId,
      remotePort: port,
    });
    this.#consumerId = consumerId;
    if (this.#stopped) return this.#closeConsumer();
    const sdpFile = path.join(o.dir, `${prefix}.sdp`);
    await fs.promises.writeFile(sdpFile, sdpFor(port, rtp));
    const child = spawn(
      o.config.ffmpegPath,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        process.env.MUSTER_RECORDER_DEBUG ? 'verbose' : 'error',
        '-protocol_whitelist',
        'file,udp,rtp',
        // RTP carries no stream sizes: a short probe, the keyframe request answers it.
        '-analyzeduration',
        '3000000',
        '-reorder_queue_size',
        '256',
        // A larger socket buffer rides out a keyframe burst while ffmpeg waits for CPU (capped by net.core.rmem_max).
        '-buffer_size',
        '4194304',
        '-i',
        sdpFile,
        '-map',
        '0',
        '-c',
        'copy',
        // ffmpeg's VP9 depacketizer flags no keyframes, so stream copy would
        // wait for one forever; the SFU starts every stream at a keyframe.
        '-copyinkf',
        // Keep the RTP timeline: file time 0 is the first packet, which the manifest places.
        '-copyts',
        '-f',
        'segment',
        '-segment_time',
        String(o.config.segmentSeconds),
        '-segment_format',
        'webm',
        // Close a cluster every second and write it out at once: a crash
        // loses at most that, and what is on disk always parses.
        '-segment_format_options',
        'flush_packets=1:cluster_time_limit=1000',
        '-reset_timestamps',
        '0',
        path.join(o.dir, `${prefix}-%04d.webm`),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.#child = child;
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
      if (process.env.MUSTER_RECORDER_DEBUG) fs.appendFileSync(path.join(o.dir, `${prefix}.log`), chunk);
    });
    child.on('error', (error) => {
      // Spawning failed (no 'exit' follows): report it, do not retry.
      if (child.pid !== undefined) return;
      this.track.status = 'failed';
      this.#o.onProblem('TRACK_FAILED', `could not start ffmpeg for ${this.#describe()}: ${error.message}`);
    });
    child.on('exit', (code, signal) => void this.#onExit(child, part, prefix, code, signal, log));
    // Not seeing the socket (an unusual /proc) costs only the first packets: go on.
    await waitForUdpListener(port);
    if (this.#stopped || child.exitCode !== null || child.signalCode !== null) return;
    await o.worker.request('plainTransport.resume', { routerId: o.routerId, transportId: o.transportId, consumerId });
    o.onChange();
  }

  async #onExit(child: ChildProcess, part: TrackPart, prefix: string, code: number | null, signal: NodeJS.Signals | null, log: string): Promise<void> {
    if (this.#child === child) this.#child = undefined;
    part.files = await this.#filesOf(prefix);
    part.endMs ??= Date.now() - this.#o.startedAt;
    if (this.#stopped) {
      part.endReason ??= 'stopped';
      this.#o.onChange();
      return;
    }
    await this.#closeConsumer();
    const diskFull = /No space left on device/i.test(log);
    const lastLine = log.trim().split('\n').pop()?.slice(0, 200);
    part.endReason = diskFull ? 'disk-full' : `ffmpeg exited (${signal ?? `code ${code}`})${lastLine ? `: ${lastLine}` : ''}`;
    this.#o.onChange();
    if (diskFull) {
      this.#o.onProblem('DISK_FULL', 'the disk is full: recording stopped');
      return;
    }
    if (this.#restarts >= MAX_RESTARTS) {
      this.track.status = 'failed';
      this.#o.onProblem('TRACK_FAILED', `recording ${this.#describe()} failed repeatedly; it is no longer recorded`);
      return;
    }
    this.#restarts++;
    this.#o.onProblem('TRACK_FAILED', `the recorder of ${this.#describe()} stopped (${part.endReason}); what it wrote is kept and recording resumed`);
    await this.start();
  }

  async #filesOf(prefix: string): Promise<string[]> {
    const names = await fs.promises.readdir(this.#o.dir).catch(() => [] as string[]);
    return names.filter((n) => n.startsWith(`${prefix}-`) && n.endsWith('.webm')).sort();
  }

  /** Current segment files of the running part (a live composite reads them). */
  async refreshFiles(): Promise<void> {
    const part = this.#part;
    if (!part || part.endMs !== null) return;
    part.files = await this.#filesOf(`t${this.#o.index}-p${this.track.parts.indexOf(part)}`);
  }

  async #closeConsumer(): Promise<void> {
    const consumerId = this.#consumerId;
    if (!consumerId) return;
    this.#consumerId = undefined;
    const o = this.#o;
    await o.worker.request('plainTransport.closeConsumer', { routerId: o.routerId, transportId: o.transportId, consumerId }).catch(() => undefined);
  }

  /** Ends the track: ffmpeg finishes its current segment (SIGINT), then the consumer goes. */
  async stop(reason: string): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#starting;
    const part = this.#part;
    if (part && part.endMs === null) {
      part.endMs = Date.now() - this.#o.startedAt;
      part.endReason = reason;
    }
    if (this.track.status === 'recording') this.track.status = 'ended';
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      // The exit handler lists the files; let it run first.
      await new Promise((r) => setImmediate(r));
    }
    await this.#closeConsumer();
    if (part) part.files = await this.#filesOf(`t${this.#o.index}-p${this.track.parts.indexOf(part)}`);
  }
}
