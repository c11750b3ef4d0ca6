import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { MediaWorker } from '@muster/media';
import type { RecorderConfig } from './config.ts';
import { depacketizedCodec, IvfRtpReceiver } from './depacketize/IvfRtpReceiver.ts';
import { freeRtpPort, sdpFor, waitForUdpListener } from './ffmpeg.ts';
import type { ManifestTrack, RecordingProblemCode, TrackPart } from './manifest.ts';

/** After this many ffmpeg deaths on one track, it stays unrecorded rather than loop. */
const MAX_RESTARTS = 3;
/** ffmpeg gets this long to finish its files after SIGINT before it is killed. */
const STOP_GRACE_MS = 5_000;

/** Where a track's RTP comes from: a media worker's router and the recording's plain transport on it. */
export interface TrackMedia {
  worker: Pick<MediaWorker, 'request'>;
  routerId: string;
  transportId: string;
}

export interface TrackRecorderOptions extends TrackMedia {
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
 * WebM cut short still plays) and a new part starts. If the media worker
 * dies, the part ends (`suspend`) and the track goes on in a new part from
 * the producer the publisher makes on the room's new worker (`resumeWith`).
 */
export class TrackRecorder {
  readonly track: ManifestTrack;
  readonly #o: TrackRecorderOptions;
  #media: TrackMedia;
  #producerId: string;
  #child?: ChildProcess;
  #receiver?: IvfRtpReceiver;
  #consumerId?: string;
  #part?: TrackPart;
  #restarts = 0;
  #stopped = false;
  /** Between suspend() and resumeWith(): no part runs, and none is restarted. */
  #suspended = false;
  #starting?: Promise<void>;

  constructor(options: TrackRecorderOptions) {
    this.#o = options;
    this.track = options.track;
    this.#media = { worker: options.worker, routerId: options.routerId, transportId: options.transportId };
    this.#producerId = options.track.producerId;
  }

  /** The producer being recorded (a new one after the room moved to another media worker). */
  get producerId(): string {
    return this.#producerId;
  }

  get suspended(): boolean {
    return this.#suspended;
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
      // The media worker died under it: suspend() and resumeWith() follow.
      if (this.#suspended || this.#stopped) return;
      this.track.status = 'failed';
      this.#o.onProblem('TRACK_FAILED', `could not record ${this.#describe()}: ${error.message}`);
    });
    return this.#starting;
  }

  #describe(): string {
    return `the ${this.track.source} of participant ${this.track.participantId}`;
  }

  async #startPart(): Promise<void> {
    const o = { ...this.#o, ...this.#media };
    const partIndex = this.track.parts.length;
    const part: TrackPart = { startMs: null, endMs: null, files: [], endReason: null };
    if (this.#producerId !== this.track.producerId) part.producerId = this.#producerId;
    this.track.parts.push(part);
    this.#part = part;
    const prefix = `t${o.index}-p${partIndex}`;
    const consumerId = randomUUID();
    const codec = depacketizedCodec(this.track.codec);
    // VP9 and AV1: our own depacketizer (every spatial layer, which ffmpeg
    // 5.1's RTP input cannot take) feeds ffmpeg IVF on stdin. VP8 and Opus:
    // ffmpeg reads the RTP itself, described by an SDP file.
    let receiver: IvfRtpReceiver | undefined;
    let input: string[];
    let port: number;
    if (codec) {
      receiver = new IvfRtpReceiver({
        codec,
        write: (chunk) => {
          const stdin = this.#child?.stdin;
          if (stdin && !stdin.destroyed) stdin.write(chunk);
        },
        requestKeyFrame: () =>
          void o.worker.request('plainTransport.requestKeyFrame', { routerId: o.routerId, transportId: o.transportId, consumerId }).catch(() => undefined),
      });
      this.#receiver = receiver;
      port = await receiver.bind();
    } else {
      port = await freeRtpPort();
    }
    const rtp = await o.worker
      .request('plainTransport.consume', {
        routerId: o.routerId,
        transportId: o.transportId,
        producerId: this.#producerId,
        consumerId,
        remotePort: port,
        ...(codec ? { layers: 'all' as const } : {}),
      })
      .catch((error: Error) => {
        receiver?.close();
        throw error;
      });
    this.#consumerId = consumerId;
    if (this.#stopped || this.#suspended) {
      receiver?.close();
      return this.#closeConsumer();
    }
    if (receiver) {
      receiver.setDependencyDescriptorId(rtp.dependencyDescriptorId);
      // IVF from a pipe: the frames carry their sizes and times; a keyframe comes first.
      input = ['-analyzeduration', '1000000', '-f', 'ivf', '-i', 'pipe:0'];
    } else {
      const sdpFile = path.join(o.dir, `${prefix}.sdp`);
      await fs.promises.writeFile(sdpFile, sdpFor(port, rtp));
      input = [
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
      ];
    }
    const child = spawn(
      o.config.ffmpegPath,
      [
        '-hide_banner',
        ...(receiver ? [] : ['-nostdin']),
        '-loglevel',
        process.env.MUSTER_RECORDER_DEBUG ? 'verbose' : 'error',
        ...input,
        '-map',
        '0',
        '-c',
        'copy',
        // ffmpeg's RTP VP8/VP9 depacketizers flag no keyframes, so stream copy
        // would wait for one forever; every stream starts at a keyframe.
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
      { stdio: [receiver ? 'pipe' : 'ignore', 'ignore', 'pipe'] },
    );
    // ffmpeg gone: writes to its stdin fail (EPIPE); its exit is handled below.
    child.stdin?.on('error', () => undefined);
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
    child.on('exit', (code, signal) => {
      receiver?.close();
      void this.#onExit(child, part, prefix, code, signal, log);
    });
    // Not seeing the socket (an unusual /proc) costs only the first packets: go on.
    if (!receiver) await waitForUdpListener(port);
    if (this.#stopped || this.#suspended || child.exitCode !== null || child.signalCode !== null) return;
    await o.worker.request('plainTransport.resume', { routerId: o.routerId, transportId: o.transportId, consumerId });
    o.onChange();
  }

  async #onExit(child: ChildProcess, part: TrackPart, prefix: string, code: number | null, signal: NodeJS.Signals | null, log: string): Promise<void> {
    if (this.#child === child) this.#child = undefined;
    part.files = await this.#filesOf(prefix);
    part.endMs ??= Date.now() - this.#o.startedAt;
    if (this.#stopped || this.#suspended) {
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
    const o = this.#media;
    await o.worker.request('plainTransport.closeConsumer', { routerId: o.routerId, transportId: o.transportId, consumerId }).catch(() => undefined);
  }

  /** Ends the track: ffmpeg finishes its current segment, then the consumer goes. */
  async stop(reason: string): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#starting;
    await this.#endPart(reason);
    if (this.track.status === 'recording') this.track.status = 'ended';
  }

  /**
   * Ends the current part but not the track: its media worker died, so its
   * producer and consumer are gone. resumeWith() goes on in a new part.
   */
  async suspend(reason: string): Promise<void> {
    if (this.#stopped || this.#suspended) return;
    this.#suspended = true;
    await this.#starting;
    await this.#endPart(reason);
  }

  /** Records the track again from `producerId` on `media` (the room's new worker), in a new part. */
  resumeWith(producerId: string, media: TrackMedia): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#producerId = producerId;
    this.#media = media;
    this.#suspended = false;
    this.#restarts = 0;
    // A new producer is a fresh start, even for a track whose recorder had given up.
    this.track.status = 'recording';
    return this.start();
  }

  async #endPart(reason: string): Promise<void> {
    const part = this.#part;
    if (part && part.endMs === null) {
      part.endMs = Date.now() - this.#o.startedAt;
      part.endReason = reason;
    }
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.stdin) {
        // IVF input: the end of the pipe ends the file, as SIGINT does for RTP.
        this.#receiver?.close();
        child.stdin.end();
      } else {
        child.kill('SIGINT');
      }
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
