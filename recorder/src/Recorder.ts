import { execFile } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RecorderConfig } from './config.ts';
import { summaryOf, type RecordingInfo, type RecordingSummary } from './manifest.ts';
import { finishRecording, Recording, type RecordingSource } from './Recording.ts';
import { LocalDiskStorage, type RecordingStorage } from './RecordingStorage.ts';

export class RecorderError extends Error {
  readonly code: 'ALREADY_RECORDING' | 'NOT_RECORDING' | 'RECORDING_FAILED';
  constructor(code: RecorderError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** How long a download link handed to a host stays valid: a leaked link soon stops working. */
export const DOWNLOAD_LINK_TTL_MS = 10 * 60 * 1000;

/**
 * The server's recorder: at most one recording per room, the list of past
 * ones, and their files. Recordings left unfinished by a crash are finished
 * at start-up (recover()).
 */
export class Recorder {
  readonly config: RecorderConfig;
  readonly storage: RecordingStorage;
  readonly #active = new Map<string, Recording>();
  /** Recordings stopped but still encoding, by id, so the list shows their live state. */
  readonly #processing = new Map<string, Recording>();
  /** Signs download links: the configured key (shared by every host), or one of this process's (a restart invalidates outstanding links). */
  readonly #linkKey: Buffer;
  /** Whether ffmpeg runs at all, asked once: a missing binary is refused at the start, not found per track. */
  #ffmpegWorks?: Promise<void>;

  constructor(config: RecorderConfig, storage: RecordingStorage = new LocalDiskStorage(config.dir)) {
    this.config = config;
    this.storage = storage;
    if (config.linkKey && config.linkKey.length < 32) throw new Error('the recordings’ link key is at least 32 bytes');
    this.#linkKey = config.linkKey ?? randomBytes(32);
  }

  /** Whether this process holds the recording's files: made here, made on a single host (no `filesAt`), or this is a single host. */
  holdsFiles(info: RecordingInfo): boolean {
    return info.filesAt === undefined || this.config.filesAt === undefined || info.filesAt === this.config.filesAt;
  }

  /** The room's running recording, if any. */
  active(roomId: string): Recording | undefined {
    return this.#active.get(roomId);
  }

  async start(source: RecordingSource, startedBy: string): Promise<Recording> {
    if (this.#active.has(source.roomId)) throw new RecorderError('ALREADY_RECORDING', 'this meeting is already being recorded');
    this.#ffmpegWorks ??= new Promise<void>((resolve, reject) =>
      execFile(this.config.ffmpegPath, ['-version'], (error) => (error ? reject(new Error(`ffmpeg does not run (${this.config.ffmpegPath}): set FFMPEG_PATH`)) : resolve())),
    );
    try {
      await this.#ffmpegWorks;
    } catch (error) {
      this.#ffmpegWorks = undefined; // installed meanwhile? ask again next time
      throw new RecorderError('RECORDING_FAILED', (error as Error).message);
    }
    if (this.#active.has(source.roomId)) throw new RecorderError('ALREADY_RECORDING', 'this meeting is already being recorded');
    const recording = new Recording({ id: randomUUID(), source, storage: this.storage, config: this.config, startedBy });
    // Claimed before the first await, so two simultaneous starts make one recording.
    this.#active.set(source.roomId, recording);
    try {
      await recording.start();
    } catch (error) {
      this.#active.delete(source.roomId);
      await recording.stop().catch(() => undefined);
      throw new RecorderError('RECORDING_FAILED', `could not start recording: ${(error as Error).message}`);
    }
    recording.on('statechange', (info) => {
      if (info.state !== 'recording' && this.#active.get(source.roomId) === recording) this.#active.delete(source.roomId);
      if (info.state === 'processing') this.#processing.set(info.id, recording);
      if (info.state === 'ready' || info.state === 'failed') this.#processing.delete(info.id);
    });
    return recording;
  }

  /** Stops the room's recording; the composite is encoded in the background. */
  async stop(roomId: string): Promise<RecordingInfo> {
    const recording = this.#active.get(roomId);
    if (!recording) throw new RecorderError('NOT_RECORDING', 'this meeting is not being recorded');
    return recording.stop();
  }

  async list(roomId: string): Promise<RecordingSummary[]> {
    const stored = await this.storage.list(roomId);
    return stored.map((info) => summaryOf(this.#live(info.id) ?? info));
  }

  async get(recordingId: string): Promise<RecordingInfo | undefined> {
    return this.#live(recordingId) ?? (await this.storage.get(recordingId));
  }

  /** A session's recordings, live and stored. */
  async ofSession(sessionId: string): Promise<RecordingSummary[]> {
    const stored = await this.storage.all();
    return stored.filter((info) => info.sessionId === sessionId).map((info) => summaryOf(this.#live(info.id) ?? info));
  }

  /** A room's recordings that any of these host keys may see (see RecordingInfo.hosts). */
  async visibleTo(roomId: string, hostKeys: readonly string[]): Promise<RecordingSummary[]> {
    const stored = await this.storage.list(roomId);
    return stored.filter((info) => (this.#live(info.id) ?? info).hosts?.some((h) => hostKeys.includes(h))).map((info) => summaryOf(this.#live(info.id) ?? info));
  }

  /** Recordings of any room that one of these hosts hosted. */
  async hostedBy(hostKeys: readonly string[]): Promise<RecordingSummary[]> {
    const stored = await this.storage.all();
    return stored.filter((info) => (this.#live(info.id) ?? info).hosts?.some((h) => hostKeys.includes(h))).map((info) => summaryOf(this.#live(info.id) ?? info));
  }

  /** Adds hosts to every recording of a session, running or stored. */
  async addHosts(sessionId: string, hosts: readonly string[]): Promise<void> {
    if (hosts.length === 0) return;
    const running = [...this.#active.values(), ...this.#processing.values()].filter((r) => r.info.sessionId === sessionId);
    for (const recording of running) await recording.addHosts(hosts);
    for (const info of await this.storage.all()) {
      if (info.sessionId !== sessionId || running.some((r) => r.id === info.id)) continue;
      const known = new Set(info.hosts ?? []);
      if (hosts.every((h) => known.has(h))) continue;
      await this.storage.save({ ...info, hosts: [...new Set([...known, ...hosts])] });
    }
  }

  #live(recordingId: string): RecordingInfo | undefined {
    for (const r of this.#active.values()) if (r.id === recordingId) return r.info;
    return this.#processing.get(recordingId)?.info;
  }

  /**
   * A token for one file of one recording, for a host's link without the API
   * token (`GET /api/v1/recordings/:id/file?access=…` for `composite`,
   * `/files/:name?access=…` for the others). It opens that file only, and only
   * for DOWNLOAD_LINK_TTL_MS.
   */
  downloadToken(recordingId: string, file: string, now = Date.now()): string {
    const expires = now + DOWNLOAD_LINK_TTL_MS;
    return `${expires.toString(36)}.${this.#sign(recordingId, file, expires)}`;
  }

  verifyDownloadToken(recordingId: string, file: string, token: string, now = Date.now()): boolean {
    const [exp, mac, extra] = token.split('.');
    const expires = parseInt(exp ?? '', 36);
    if (extra !== undefined || !Number.isFinite(expires) || expires < now || expires > now + DOWNLOAD_LINK_TTL_MS || !mac) return false;
    const expected = this.#sign(recordingId, file, expires);
    return expected.length === mac.length && createHmac('sha256', this.#linkKey).update(expected).digest().equals(createHmac('sha256', this.#linkKey).update(mac).digest());
  }

  #sign(recordingId: string, file: string, expires: number): string {
    return createHmac('sha256', this.#linkKey).update(`${recordingId}/${file}.${expires}`).digest('base64url');
  }

  /**
   * Finishes recordings a crash left in 'recording' or 'processing': their
   * WebM segments are on disk (a segment cut short still plays), so the
   * files are listed again, the end taken from the last write, and the
   * composite encoded. Its listing is the storage's first use at start-up:
   * LocalDiskStorage imports earlier versions' `recording.json` files then.
   */
  async recover(): Promise<RecordingInfo[]> {
    const recovered: RecordingInfo[] = [];
    for (const info of await this.storage.all()) {
      if (info.state !== 'recording' && info.state !== 'processing') continue;
      if (this.#live(info.id)) continue;
      // Another host's recording (the descriptions are shared, the files are not): that host finishes it when it restarts.
      if (!this.holdsFiles(info)) continue;
      const dir = await this.storage.workDir(info.id);
      const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
      let lastWrite = info.startedAt;
      for (const [t, track] of info.manifest.tracks.entries()) {
        if (track.status === 'recording') track.status = 'ended';
        for (const [k, part] of track.parts.entries()) {
          part.files = names.filter((n) => n.startsWith(`t${t}-p${k}-`) && n.endsWith('.webm')).sort();
          for (const file of part.files) lastWrite = Math.max(lastWrite, (await fs.promises.stat(path.join(dir, file))).mtimeMs);
          if (part.endMs === null) {
            part.endMs = Math.round(lastWrite - info.startedAt);
            part.endReason = 'server-stopped';
          }
        }
      }
      info.endedAt ??= Math.round(lastWrite);
      info.durationMs = info.endedAt - info.startedAt;
      for (const p of info.manifest.participants) p.leftAtMs ??= info.durationMs;
      info.state = 'processing';
      info.problems.push({ at: Date.now(), code: 'TRACK_FAILED', message: 'the server stopped during this recording; it was finished from the files written' });
      await finishRecording(info, dir, this.config, this.storage);
      recovered.push(info);
    }
    return recovered;
  }

  /** Stops every recording (server shutdown); waits for their composites. */
  async close(): Promise<void> {
    const all = [...this.#active.values(), ...this.#processing.values()];
    await Promise.all(all.map((r) => r.processed().catch(() => undefined)));
  }
}
