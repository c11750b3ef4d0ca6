import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { log as rootLog } from '@muster/kit/log';
import type { Manifest, RecordingInfo } from './manifest.ts';

const log = rootLog.child({ component: 'recorder' });

/**
 * Where recordings live. ffmpeg writes into a local working directory while
 * a recording runs; `commit` then keeps the finished files. Local disk keeps
 * them in place; an S3-compatible store would upload them in `commit` and
 * serve `open` from the bucket.
 */
export interface RecordingStorage {
  /** A local directory for the recording's files while ffmpeg writes them. */
  workDir(recordingId: string): Promise<string>;
  /** Saves the recording's description (state, times, manifest); called at every change, so a crash leaves it current. */
  save(info: RecordingInfo): Promise<void>;
  /**
   * The recording is complete: keep `files` (names inside its work directory).
   * `manifest.json` among them is not written by ffmpeg: the storage keeps it
   * from `info.manifest` (as a file, or made again from the description).
   */
  commit(info: RecordingInfo, files: string[]): Promise<void>;
  get(recordingId: string): Promise<RecordingInfo | undefined>;
  /** A room's recordings, oldest first. */
  list(roomId: string): Promise<RecordingInfo[]>;
  /** Every recording (start-up recovery). */
  all(): Promise<RecordingInfo[]>;
  /** A file of the recording, for download. */
  open(recordingId: string, name: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Free bytes where recordings are written, or null if unknown. */
  freeBytes(): Promise<number | null>;
}

/** What a sealed item of a recording is bound to: opened for another recording (or item), it fails. */
export interface RecordingSealContext {
  recordingId: string;
  /** `info`: the recording's description (`recording.json`: state, hosts, the manifest with participants' names). */
  item: 'info';
}

/**
 * Encryption at rest for what a recording stores about people. The server
 * backs it with the database's sealer (AES-256-GCM under the data key); the
 * recorder only needs these two calls, and knows nothing of keys.
 */
export interface RecordingSealer {
  /** Encrypts and authenticates `plaintext`, bound to `context`. */
  seal(plaintext: Uint8Array, context: RecordingSealContext): Buffer;
  /** The plaintext of `sealed`; throws if it was altered or sealed for another context (or under a key no longer held). */
  open(sealed: Buffer, context: RecordingSealContext): Buffer;
}

export interface LocalDiskStorageOptions {
  /**
   * Seals `recording.json` (participants' names are in it) and keeps no
   * `manifest.json` file: hosts' `manifest.json` downloads are made from the
   * opened description. Without it both are plain JSON files, as before.
   */
  sealer?: RecordingSealer;
}

const INFO_FILE = 'recording.json';
const MANIFEST_FILE = 'manifest.json';
const SAFE_ID = /^[A-Za-z0-9_-]{1,80}$/;
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,120}$/;

/** `manifest.json` as hosts download it (the same bytes whether kept as a file or made from a sealed description). */
export function manifestJson(manifest: Manifest): string {
  return JSON.stringify(manifest, null, 2);
}

/** A description written as JSON: before sealing existed, or without a sealer. */
function plainJson(bytes: Buffer): RecordingInfo | undefined {
  const text = bytes.toString('utf8').trimStart();
  if (!text.startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as RecordingInfo;
  } catch {
    return undefined;
  }
}

/**
 * Recordings as directories under one root: `<root>/<recordingId>/{recording.json, *.webm, composite.mp4}`,
 * and `manifest.json` when there is no sealer. With a sealer `recording.json`
 * is sealed, bound to the recording's id (a file copied into another
 * recording's folder does not open there); a plain one left from before is
 * still read, and sealed in place the first time it is.
 */
export class LocalDiskStorage implements RecordingStorage {
  readonly root: string;
  readonly #sealer: RecordingSealer | undefined;
  /** Plain descriptions being sealed in place, by id: concurrent reads share one rewrite. */
  readonly #sealing = new Map<string, Promise<void>>();
  /** Recordings whose description did not open, already logged (listings read them again and again). */
  readonly #unreadable = new Set<string>();

  constructor(root: string, options: LocalDiskStorageOptions = {}) {
    this.root = root;
    this.#sealer = options.sealer;
  }

  #dir(recordingId: string): string {
    // Ids come from URLs: never let one name a path outside the root.
    if (!SAFE_ID.test(recordingId)) throw new Error('bad recording id');
    return path.join(this.root, recordingId);
  }

  async workDir(recordingId: string): Promise<string> {
    const dir = this.#dir(recordingId);
    await fs.promises.mkdir(dir, { recursive: true });
    return dir;
  }

  async save(info: RecordingInfo): Promise<void> {
    const dir = await this.workDir(info.id);
    const json = JSON.stringify(info, null, 2);
    const bytes = this.#sealer ? this.#sealer.seal(Buffer.from(json, 'utf8'), { recordingId: info.id, item: 'info' }) : json;
    // Write-then-rename: a crash mid-write never leaves a torn description.
    const tmp = path.join(dir, `${INFO_FILE}.tmp`);
    await fs.promises.writeFile(tmp, bytes);
    await fs.promises.rename(tmp, path.join(dir, INFO_FILE));
  }

  async commit(info: RecordingInfo, files: string[]): Promise<void> {
    // Sealed, the manifest is only ever in the description; open() makes the download from it.
    if (!this.#sealer && files.includes(MANIFEST_FILE)) {
      await fs.promises.writeFile(path.join(await this.workDir(info.id), MANIFEST_FILE), manifestJson(info.manifest)).catch(() => undefined);
    }
    await this.save(info);
  }

  async get(recordingId: string): Promise<RecordingInfo | undefined> {
    if (!SAFE_ID.test(recordingId)) return undefined;
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(path.join(this.#dir(recordingId), INFO_FILE));
    } catch {
      return undefined;
    }
    if (!this.#sealer) return plainJson(bytes);
    try {
      return JSON.parse(this.#sealer.open(bytes, { recordingId, item: 'info' }).toString('utf8')) as RecordingInfo;
    } catch (error) {
      const plain = plainJson(bytes);
      // From before sealing: read it, once it is its own recording's, and seal it now.
      if (plain && plain.id === recordingId) {
        await this.#sealInPlace(plain);
        return plain;
      }
      if (!this.#unreadable.has(recordingId)) {
        this.#unreadable.add(recordingId);
        log.warn({ err: error, recording: recordingId }, 'a recording description does not open (altered, copied from another recording, or sealed under a key no longer held): the recording is left out');
      }
      return undefined;
    }
  }

  /** Rewrites a plain description sealed, and deletes its plain `manifest.json`: no name stays readable on disk. */
  #sealInPlace(info: RecordingInfo): Promise<void> {
    let sealing = this.#sealing.get(info.id);
    if (!sealing) {
      sealing = (async () => {
        await this.save(info);
        await fs.promises.rm(path.join(this.#dir(info.id), MANIFEST_FILE), { force: true });
        log.info({ recording: info.id }, 'a recording description from before sealing is now sealed');
      })()
        .catch((error: unknown) => log.warn({ err: error, recording: info.id }, 'could not seal a recording description from before sealing; it stays readable as it is'))
        .finally(() => this.#sealing.delete(info.id));
      this.#sealing.set(info.id, sealing);
    }
    return sealing;
  }

  async all(): Promise<RecordingInfo[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.root);
    } catch {
      return [];
    }
    const infos = await Promise.all(names.map((name) => this.get(name).catch(() => undefined)));
    return infos.filter((i): i is RecordingInfo => !!i).sort((a, b) => a.startedAt - b.startedAt);
  }

  async list(roomId: string): Promise<RecordingInfo[]> {
    return (await this.all()).filter((i) => i.roomId === roomId);
  }

  async open(recordingId: string, name: string): Promise<{ stream: Readable; size: number } | undefined> {
    if (!SAFE_ID.test(recordingId) || !SAFE_NAME.test(name)) return undefined;
    if (this.#sealer && name === MANIFEST_FILE) {
      // Made from the opened description, as the file was written when the recording was finished.
      const info = await this.get(recordingId);
      if (!info || (info.state !== 'ready' && info.state !== 'failed')) return undefined;
      const bytes = Buffer.from(manifestJson(info.manifest), 'utf8');
      return { stream: Readable.from([bytes]), size: bytes.length };
    }
    const file = path.join(this.#dir(recordingId), name);
    try {
      const stat = await fs.promises.stat(file);
      if (!stat.isFile()) return undefined;
      return { stream: fs.createReadStream(file), size: stat.size };
    } catch {
      return undefined;
    }
  }

  async freeBytes(): Promise<number | null> {
    try {
      await fs.promises.mkdir(this.root, { recursive: true });
      const s = await fs.promises.statfs(this.root);
      return s.bavail * s.bsize;
    } catch {
      return null;
    }
  }
}
