import fs from 'node:fs';
import path from 'node:path';
import type { MediaWorker } from '@muster/media';
import { compositeArgs } from './composite.ts';
import type { RecorderConfig } from './config.ts';
import { recordableCodec, runFfmpeg } from './ffmpeg.ts';
import type { ManifestTrack, RecordingInfo, RecordingProblemCode } from './manifest.ts';
import type { RecordingStorage } from './RecordingStorage.ts';
import { TrackRecorder } from './TrackRecorder.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'recorder' });

/** How often the recording looks at the room for tracks that came or went. */
const POLL_MS = 250;
/** How often free disk space is checked. */
const DISK_CHECK_MS = 5_000;
/** A live window is composed this long after it ended: its last cluster is on disk by then. */
const LIVE_MARGIN_MS = 2_500;
/**
 * After the media worker died, a track waits this long for its publisher to
 * publish again on the new worker (clients do it at once on `media.reset`);
 * then it has ended.
 */
const REPUBLISH_GRACE_MS = 30_000;

/** Who publishes what: a track moved to another worker is the same participant's same source. */
const slotOf = (t: { participantId: string; kind: string; source: string }) => `${t.participantId}/${t.kind}/${t.source}`;

/** A published track as the room knows it. */
export interface SourceTrack {
  producerId: string;
  participantId: string;
  participantName: string;
  kind: 'audio' | 'video';
  source: string;
  codec: string;
}

/**
 * What a recording records: a room's media (its worker and router, which
 * change if the worker dies) and its current tracks. Signaling's Room
 * provides it; tests can fake it.
 */
export interface RecordingSource {
  roomId: string;
  /** The meeting session being recorded, and the keys of its hosts so far (see RecordingInfo.hosts). */
  sessionId?: string;
  hosts?(): string[];
  media(): { worker: Pick<MediaWorker, 'request'>; routerId: string } | null;
  tracks(): SourceTrack[];
}

export type RecordingEvents = {
  problem: (code: RecordingProblemCode, message: string) => void;
  /** The recording stopped on its own (disk full); the room should show it as not recording. */
  stoppedByError: (message: string) => void;
  statechange: (info: RecordingInfo) => void;
};

/**
 * One recording of one room: a TrackRecorder per published track, the
 * manifest of who and what was there when, then the composite. Its state
 * is saved at every change, so a crash leaves a description that matches
 * the files on disk.
 */
export class Recording {
  readonly info: RecordingInfo;
  readonly #source: RecordingSource;
  readonly #storage: RecordingStorage;
  readonly #config: RecorderConfig;
  /** Recorders by the producer they record. */
  readonly #tracks = new Map<string, TrackRecorder>();
  /** Recorders whose media worker died, by slotOf(), waiting for the new producer; with when they began to wait. */
  readonly #moved = new Map<string, { recorder: TrackRecorder; since: number }>();
  /** Every producer recorded so far, moved tracks' new ones included. */
  readonly #seenProducers = new Set<string>();
  readonly #listeners: { [E in keyof RecordingEvents]: RecordingEvents[E][] } = { problem: [], stoppedByError: [], statechange: [] };
  #dir = '';
  #media: { worker: Pick<MediaWorker, 'request'>; routerId: string } | null = null;
  /** The plain transport exists on #media's router (after a move, it is created again once the new router is up). */
  #transportReady = false;
  #transportId: string;
  #poll?: NodeJS.Timeout;
  #diskTimer?: NodeJS.Timeout;
  /** Live composition: windows encoded so far (composite-NNNN.mp4), and the one running. */
  readonly #windows: string[] = [];
  #windowFailed = false;
  #liveTimer?: NodeJS.Timeout;
  #live: Promise<void> = Promise.resolve();
  #saving: Promise<void> = Promise.resolve();
  #stopping?: Promise<RecordingInfo>;
  #processed?: Promise<RecordingInfo>;

  constructor(options: { id: string; source: RecordingSource; storage: RecordingStorage; config: RecorderConfig; startedBy: string }) {
    this.#source = options.source;
    this.#storage = options.storage;
    this.#config = options.config;
    this.#transportId = `recording-${options.id}`;
    this.info = {
      id: options.id,
      roomId: options.source.roomId,
      state: 'recording',
      startedAt: Date.now(),
      endedAt: null,
      durationMs: null,
      startedBy: options.startedBy,
      sessionId: options.source.sessionId ?? null,
      hosts: options.source.hosts?.() ?? [],
      ...(options.config.filesAt ? { filesAt: options.config.filesAt } : {}),
      compose: options.config.compose,
      problems: [],
      error: null,
      manifest: { version: 1, participants: [], tracks: [], composite: null },
    };
  }

  on<E extends keyof RecordingEvents>(event: E, listener: RecordingEvents[E]): this {
    this.#listeners[event].push(listener);
    return this;
  }

  #emit<E extends keyof RecordingEvents>(event: E, ...args: Parameters<RecordingEvents[E]>): void {
    for (const listener of this.#listeners[event]) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (error) {
        log.error({ err: error, recording: this.id }, 'a recording listener threw');
      }
    }
  }

  get id(): string {
    return this.info.id;
  }

  /** The running ffmpeg of each track (tests kill one to simulate a crash). */
  trackProcesses(): { trackId: string; kind: string; pid: number | undefined }[] {
    return [...this.#tracks.values()].map((t) => ({ trackId: t.track.trackId, kind: t.track.kind, pid: t.pid }));
  }

  async start(): Promise<void> {
    const free = await this.#storage.freeBytes();
    if (free !== null && free < this.#config.minFreeBytes) {
      throw new Error(`not enough free disk space to record (${Math.round(free / 1048576)} MiB free)`);
    }
    this.#dir = await this.#storage.workDir(this.id);
    await this.#attachMedia();
    await this.#save();
    await this.#sync();
    this.#poll = setInterval(() => void this.#sync(), POLL_MS);
    this.#diskTimer = setInterval(() => void this.#checkDisk(), DISK_CHECK_MS);
    if (this.#config.compose === 'live') this.#liveTimer = setInterval(() => void this.#composeWindows(false), 1_000);
  }

  async #attachMedia(): Promise<void> {
    const media = this.#source.media();
    if (!media) throw new Error('the room has no media');
    this.#media = media;
    this.#transportReady = false;
    await media.worker.request('plainTransport.create', { routerId: media.routerId, transportId: this.#transportId });
    this.#transportReady = true;
  }

  /**
   * The room moved to another media worker (the old one died): every track's
   * part ends ('media-worker-lost'), and the track waits for its publisher's
   * new producer there. The plain transport is made again on the new router.
   */
  async #mediaMoved(media: { worker: Pick<MediaWorker, 'request'>; routerId: string }): Promise<void> {
    this.#media = media;
    this.#transportReady = false;
    const moving = [...this.#tracks.values()];
    this.#tracks.clear();
    const now = Date.now();
    for (const recorder of moving) this.#moved.set(slotOf(recorder.track), { recorder, since: now });
    await Promise.all(moving.map((r) => r.suspend('media-worker-lost')));
    if (moving.length > 0) {
      this.#problem('MEDIA_MOVED', 'the media server of this meeting restarted: the recording goes on, with a short gap');
    }
    await this.#save();
  }

  #now(): number {
    return Date.now() - this.info.startedAt;
  }

  #syncing = false;

  /** Starts recorders for new tracks, ends those of tracks that went, and keeps the participant list. */
  async #sync(): Promise<void> {
    if (this.#syncing || this.info.state !== 'recording') return;
    this.#syncing = true;
    try {
      const media = this.#source.media();
      if (media && this.#media && (media.routerId !== this.#media.routerId || media.worker !== this.#media.worker)) await this.#mediaMoved(media);
      if (media && !this.#transportReady) {
        // Right after a move the new router may not exist yet: try again next time.
        const created = await media.worker
          .request('plainTransport.create', { routerId: media.routerId, transportId: this.#transportId })
          .then(() => true)
          .catch(() => false);
        if (!created) return;
        this.#transportReady = true;
      }
      const now = this.#now();
      const current = this.#source.tracks();
      const manifest = this.info.manifest;
      let changed = false;
      // Someone whose tracks wait for their new producers is still there.
      const present = new Set([...current.map((t) => t.participantId), ...[...this.#moved.values()].map((m) => m.recorder.track.participantId)]);
      for (const t of current) {
        let participant = manifest.participants.find((p) => p.participantId === t.participantId && p.leftAtMs === null);
        if (!participant) {
          participant = { participantId: t.participantId, name: t.participantName, joinedAtMs: now, leftAtMs: null };
          manifest.participants.push(participant);
          changed = true;
        }
        if (this.#seenProducers.has(t.producerId)) continue;
        this.#seenProducers.add(t.producerId);
        const moved = this.#moved.get(slotOf(t));
        if (moved && moved.recorder.track.codec.toLowerCase() === t.codec.toLowerCase() && this.#media) {
          // The same camera (microphone…) again, from the new worker: a new part of the same track.
          this.#moved.delete(slotOf(t));
          this.#tracks.set(t.producerId, moved.recorder);
          void moved.recorder.resumeWith(t.producerId, { worker: this.#media.worker, routerId: this.#media.routerId, transportId: this.#transportId });
          changed = true;
          continue;
        }
        const track: ManifestTrack = {
          trackId: `t${manifest.tracks.length}`,
          producerId: t.producerId,
          participantId: t.participantId,
          kind: t.kind,
          source: t.source,
          codec: t.codec,
          status: recordableCodec(t.codec) ? 'recording' : 'unsupported',
          parts: [],
        };
        manifest.tracks.push(track);
        changed = true;
        if (track.status === 'unsupported' || !this.#media) continue;
        const recorder = new TrackRecorder({
          worker: this.#media.worker,
          routerId: this.#media.routerId,
          transportId: this.#transportId,
          track,
          index: manifest.tracks.length - 1,
          dir: this.#dir,
          config: this.#config,
          startedAt: this.info.startedAt,
          onChange: () => void this.#save(),
          onProblem: (code, message) => this.#problem(code, message),
        });
        this.#tracks.set(t.producerId, recorder);
        void recorder.start();
      }
      const producers = new Set(current.map((t) => t.producerId));
      for (const [producerId, recorder] of this.#tracks) {
        if (producers.has(producerId)) continue;
        this.#tracks.delete(producerId);
        void recorder.stop('producer-closed').then(() => this.#save());
      }
      for (const [slot, { recorder, since }] of this.#moved) {
        if (Date.now() - since < REPUBLISH_GRACE_MS) continue;
        // Not published again on the new worker: the track ended with the old one.
        this.#moved.delete(slot);
        void recorder.stop('media-worker-lost').then(() => this.#save());
      }
      // A participant with no published track is not in the picture (nor in the sound).
      for (const p of manifest.participants) {
        if (p.leftAtMs === null && !present.has(p.participantId)) {
          p.leftAtMs = now;
          changed = true;
        }
      }
      if (await this.#fillStartTimes()) changed = true;
      if (changed) await this.#save();
    } finally {
      this.#syncing = false;
    }
  }

  /** Each part starts at the first packet the SFU sent to ffmpeg: the worker's clock, shared with ours. */
  async #fillStartTimes(): Promise<boolean> {
    const waiting = [...this.#tracks.values()].filter((r) => r.currentPart && r.currentPart.startMs === null && r.consumerId);
    if (waiting.length === 0 || !this.#media || !this.#transportReady) return false;
    const dump = await this.#media.worker
      .request('plainTransport.dump', { routerId: this.#media.routerId, transportId: this.#transportId })
      .catch(() => null);
    if (!dump) return false;
    let changed = false;
    for (const recorder of waiting) {
      const consumer = dump.consumers.find((c) => c.id === recorder.consumerId);
      if (consumer?.firstPacketAt != null && recorder.currentPart) {
        recorder.currentPart.startMs = consumer.firstPacketAt - this.info.startedAt;
        changed = true;
      }
    }
    return changed;
  }

  #problem(code: RecordingProblemCode, message: string): void {
    this.info.problems.push({ at: Date.now(), code, message });
    void this.#save();
    this.#emit('problem', code, message);
    if (code === 'DISK_FULL' && this.info.state === 'recording') {
      void this.stop().then(() => this.#emit('stoppedByError', message));
    }
  }

  async #checkDisk(): Promise<void> {
    const free = await this.#storage.freeBytes();
    if (free !== null && free < this.#config.minFreeBytes && this.info.state === 'recording') {
      this.#problem('DISK_FULL', `the disk is almost full (${Math.round(free / 1048576)} MiB free): recording stopped`);
    }
  }

  /** Lets more of the session's hosts see this recording. */
  addHosts(hosts: readonly string[]): Promise<void> {
    const known = new Set(this.info.hosts ?? []);
    const added = hosts.filter((h) => !known.has(h));
    if (added.length === 0) return Promise.resolve();
    this.info.hosts = [...known, ...added];
    return this.#save();
  }

  /** Saves are serialised: the last one written is the latest state. */
  #save(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.info)) as RecordingInfo;
    this.#saving = this.#saving.then(() => this.#storage.save(snapshot)).catch((error) => log.error({ err: error, recording: this.id }, 'could not save the recording'));
    return this.#saving;
  }

  /**
   * Stops recording (idempotent). Resolves once the tracks are closed; the
   * composite follows in the background (`processed()`).
   */
  stop(): Promise<RecordingInfo> {
    this.#stopping ??= (async () => {
      clearInterval(this.#poll);
      clearInterval(this.#diskTimer);
      clearInterval(this.#liveTimer);
      while (this.#syncing) await new Promise((r) => setTimeout(r, 10));
      await this.#fillStartTimes();
      this.info.state = 'processing';
      this.info.endedAt = Date.now();
      this.info.durationMs = this.info.endedAt - this.info.startedAt;
      const end = this.#now();
      await Promise.all([...this.#tracks.values(), ...[...this.#moved.values()].map((m) => m.recorder)].map((r) => r.stop('stopped')));
      this.#moved.clear();
      for (const p of this.info.manifest.participants) p.leftAtMs ??= end;
      if (this.#media && this.#transportReady) {
        await this.#media.worker.request('plainTransport.close', { routerId: this.#media.routerId, transportId: this.#transportId }).catch(() => undefined);
      }
      await this.#save();
      this.#emit('statechange', this.info);
      // A commit that fails (a shared bucket away) must not end the process as an unhandled rejection: the files
      // stay in the work directory, served from there, and the description stays unfinished, so the next start
      // commits them again (Recorder.recover).
      this.#processed = this.#compose().catch((error: unknown) => {
        log.error({ err: error, recording: this.id }, 'the recording could not be kept; its files stay on this host and are committed again at the next start');
        this.#emit('statechange', this.info);
        return this.info;
      });
      return this.info;
    })();
    return this.#stopping;
  }

  /** Resolves when the composite is done (or failed): state 'ready' or 'failed'. */
  async processed(): Promise<RecordingInfo> {
    await this.stop();
    return this.#processed!;
  }

  /**
   * Live composition: each window of `segmentSeconds` is encoded once it has
   * passed (plus a margin for the last cluster to reach the disk), from the
   * segments being written. At the stop only the last window is left, and
   * the windows are joined without re-encoding.
   */
  #composeWindows(final: boolean): Promise<void> {
    this.#live = this.#live.then(async () => {
      const windowMs = this.#config.segmentSeconds * 1000;
      const end = final ? (this.info.durationMs ?? 0) : this.#now() - LIVE_MARGIN_MS;
      while (!this.#windowFailed) {
        const fromMs = this.#windows.length * windowMs;
        const toMs = Math.min(fromMs + windowMs, final ? end : Infinity);
        if (toMs > end || fromMs >= end) break;
        await Promise.all([...this.#tracks.values()].map((r) => r.refreshFiles()));
        const name = `composite-${String(this.#windows.length).padStart(4, '0')}.mp4`;
        try {
          const args = compositeArgs(this.info.manifest, (n) => path.join(this.#dir, n), { fromMs, toMs }, this.#config, path.join(this.#dir, name));
          const { cpuSeconds } = await runFfmpeg(this.#config.ffmpegPath, args);
          this.#liveCpuSeconds += Number.isFinite(cpuSeconds) ? cpuSeconds : 0;
          this.#windows.push(name);
        } catch (error) {
          // The whole composite is made after the stop instead.
          this.#windowFailed = true;
          log.warn({ err: error, recording: this.id }, 'live composition failed; composing after the stop');
        }
      }
    });
    return this.#live;
  }

  #liveCpuSeconds = 0;

  async #compose(): Promise<RecordingInfo> {
    if (!this.#dir) {
      // start() failed before the recording had a folder (disk full, no media):
      // nothing was written, so there is nothing to compose or keep.
      this.info.state = 'failed';
      this.info.error ??= 'the recording did not start';
      this.#emit('statechange', this.info);
      return this.info;
    }
    if (this.#config.compose === 'live') {
      await this.#composeWindows(true);
      if (!this.#windowFailed && this.#windows.length > 0) {
        await finishRecording(this.info, this.#dir, this.#config, this.#storage, { windows: this.#windows, cpuSeconds: this.#liveCpuSeconds });
        this.#emit('statechange', this.info);
        return this.info;
      }
    }
    await finishRecording(this.info, this.#dir, this.#config, this.#storage);
    this.#emit('statechange', this.info);
    return this.info;
  }
}

/**
 * Encodes the composite of a stopped recording and commits its files: after
 * a stop, or at start-up for a recording a crash cut short. Without a
 * composite (ffmpeg failed) the per-track files still make the recording.
 */
export async function finishRecording(
  info: RecordingInfo,
  dir: string,
  config: RecorderConfig,
  storage: RecordingStorage,
  live?: { windows: string[]; cpuSeconds: number },
): Promise<void> {
  const output = 'composite.mp4';
  const manifest = info.manifest;
  const hasMedia = manifest.tracks.some((t) => t.parts.some((p) => p.files.length > 0 && p.startMs !== null));
  try {
    if (!hasMedia) throw new Error('nothing was recorded (no track reached the recorder)');
    let cpuSeconds: number;
    if (live) {
      // The windows were encoded alike: joining them copies, it does not encode.
      const list = path.join(dir, 'composite-windows.txt');
      await fs.promises.writeFile(list, live.windows.map((w) => `file '${w}'\n`).join(''));
      await runFfmpeg(config.ffmpegPath, ['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-movflags', '+faststart', '-y', path.join(dir, output)]);
      for (const w of [...live.windows, 'composite-windows.txt']) await fs.promises.rm(path.join(dir, w), { force: true });
      cpuSeconds = live.cpuSeconds;
    } else {
      const args = compositeArgs(manifest, (name) => path.join(dir, name), { fromMs: 0, toMs: info.durationMs ?? 0 }, config, path.join(dir, output));
      cpuSeconds = (await runFfmpeg(config.ffmpegPath, args)).cpuSeconds;
    }
    manifest.composite = { file: output, layout: 'grid', width: config.width, height: config.height, cpuSeconds: Number.isFinite(cpuSeconds) ? cpuSeconds : null };
    info.state = 'ready';
  } catch (error) {
    const message = (error as Error).message;
    const anyFile = manifest.tracks.some((t) => t.parts.some((p) => p.files.length > 0));
    info.state = anyFile ? 'ready' : 'failed';
    info.error = message.slice(0, 2000);
    info.problems.push({ at: Date.now(), code: 'COMPOSITE_FAILED', message: 'the composite could not be made' });
  }
  const files = manifest.tracks.flatMap((t) => t.parts.flatMap((p) => p.files));
  if (manifest.composite) files.push(manifest.composite.file);
  // The storage keeps manifest.json from info.manifest (a plain file, or made from the stored description).
  await storage.commit(info, [...files, 'manifest.json']);
}
