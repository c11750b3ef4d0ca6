import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { log as rootLog } from '@muster/kit/log';
import type { Manifest, RecordingInfo } from './manifest.ts';

const log = rootLog.child({ component: 'recorder' });

/**
 * Where recordings live. ffmpeg writes into a local working directory while
 * a recording runs; `commit` then keeps the finished files. Local disk keeps
 * them in place (LocalDiskStorage); an S3-compatible store uploads them in
 * `commit` and serves `open` from the bucket (S3RecordingStorage).
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

/**
 * Where recording descriptions live instead of `recording.json` files: the
 * server keeps them in its database (sealed under the data key, so a key
 * rotation re-encrypts them and a backup holds them). The recorder knows
 * nothing of databases or keys.
 */
export interface RecordingDescriptions {
  /** Inserts or replaces a recording's description. */
  put(info: RecordingInfo): Promise<void>;
  get(recordingId: string): Promise<RecordingInfo | undefined>;
  /** Every recording's description, oldest first (startedAt). */
  all(): Promise<RecordingInfo[]>;
}

/**
 * Opens a `recording.json` that an earlier version sealed (bound to its
 * recording's id); throws if it does not open. Used only to import such files.
 */
export type SealedDescriptionOpener = (sealed: Buffer, recordingId: string) => Buffer;

export interface LocalDiskStorageOptions {
  /**
   * Keeps the descriptions there and writes neither `recording.json` nor
   * `manifest.json` (hosts' `manifest.json` downloads are made from the
   * description). `recording.json` files of earlier versions are imported
   * into it once, at the storage's first use, and deleted. Without it both
   * are plain JSON files in the recording's directory.
   */
  descriptions?: RecordingDescriptions;
  /** For that import only: opens the `recording.json` files an earlier version wrote sealed. Unused without `descriptions`. */
  openSealedFile?: SealedDescriptionOpener;
}

const INFO_FILE = 'recording.json';
export const MANIFEST_FILE = 'manifest.json';
/** Recording ids and file names come from URLs: these never name a path outside a recording's directory (nor a key outside its prefix). */
export const SAFE_ID = /^[A-Za-z0-9_-]{1,80}$/;
export const SAFE_NAME = /^[A-Za-z0-9_.-]{1,120}$/;

/** `manifest.json` as hosts download it (the same bytes whether kept as a file or made from a stored description). */
export function manifestJson(manifest: Manifest): string {
  return JSON.stringify(manifest, null, 2);
}

/** A description written as plain JSON (undefined for anything else). */
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
 * Recordings as directories under one root: `<root>/<recordingId>/{*.webm,
 * tN-pK.sdp, composite.mp4}`. The description (state, hosts, the manifest
 * with participants' names) is kept in a RecordingDescriptions store when one
 * is given; otherwise in `recording.json`, with `manifest.json` beside it.
 */
export class LocalDiskStorage implements RecordingStorage {
  readonly root: string;
  readonly #descriptions: RecordingDescriptions | undefined;
  readonly #openSealedFile: SealedDescriptionOpener | undefined;
  /** The one import of earlier versions' `recording.json` files; every use of the store waits for it. */
  #imported: Promise<void> | undefined;

  constructor(root: string, options: LocalDiskStorageOptions = {}) {
    this.root = root;
    this.#descriptions = options.descriptions;
    this.#openSealedFile = options.openSealedFile;
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
    if (this.#descriptions) {
      if (!SAFE_ID.test(info.id)) throw new Error('bad recording id');
      await (await this.#store()).put(info);
      return;
    }
    const dir = await this.workDir(info.id);
    // Write-then-rename: a crash mid-write never leaves a torn description.
    const tmp = path.join(dir, `${INFO_FILE}.tmp`);
    await fs.promises.writeFile(tmp, JSON.stringify(info, null, 2));
    await fs.promises.rename(tmp, path.join(dir, INFO_FILE));
  }

  async commit(info: RecordingInfo, files: string[]): Promise<void> {
    // With a descriptions store the manifest is only ever in the description; open() makes the download from it.
    if (!this.#descriptions && files.includes(MANIFEST_FILE)) {
      await fs.promises.writeFile(path.join(await this.workDir(info.id), MANIFEST_FILE), manifestJson(info.manifest)).catch(() => undefined);
    }
    await this.save(info);
  }

  async get(recordingId: string): Promise<RecordingInfo | undefined> {
    if (!SAFE_ID.test(recordingId)) return undefined;
    if (this.#descriptions) return (await this.#store()).get(recordingId);
    try {
      return plainJson(await fs.promises.readFile(path.join(this.#dir(recordingId), INFO_FILE)));
    } catch {
      return undefined;
    }
  }

  async all(): Promise<RecordingInfo[]> {
    if (this.#descriptions) return (await this.#store()).all();
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
    if (this.#descriptions && name === MANIFEST_FILE) {
      // Made from the description, as the file was written when the recording was finished.
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

  /** The descriptions store, once the files of earlier versions are in it. */
  async #store(): Promise<RecordingDescriptions> {
    this.#imported ??= this.#importFiles();
    await this.#imported;
    return this.#descriptions!;
  }

  /**
   * Moves the `recording.json` files of earlier versions (plain, or sealed:
   * opened with openSealedFile) into the descriptions store, then deletes
   * them and their plain `manifest.json`. A file that cannot be read, or that
   * describes another recording than its folder's, is left where it is (and
   * logged); one whose import failed is tried again at the next start.
   */
  async #importFiles(): Promise<void> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.root);
    } catch {
      return;
    }
    const results = await Promise.all(names.filter((name) => SAFE_ID.test(name)).map((name) => this.#importFile(name)));
    const imported = results.filter(Boolean).length;
    if (imported > 0) log.info({ recordings: imported, dir: this.root }, 'recording descriptions moved from recording.json files into the descriptions store');
  }

  async #importFile(recordingId: string): Promise<boolean> {
    const dir = this.#dir(recordingId);
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(path.join(dir, INFO_FILE));
    } catch {
      return false; // no description file: a recording of this version, or not a recording
    }
    const info = this.#readFile(recordingId, bytes);
    if (!info) {
      log.warn({ recording: recordingId }, 'a recording.json does not open (altered, copied from another recording, or sealed under a key no longer held): left in place, the recording is not listed');
      return false;
    }
    try {
      // The store wins: a description already there is newer (an import cut short before the delete).
      if (!(await this.#descriptions!.get(recordingId))) await this.#descriptions!.put(info);
      for (const file of [INFO_FILE, `${INFO_FILE}.tmp`, MANIFEST_FILE]) await fs.promises.rm(path.join(dir, file), { force: true });
      return true;
    } catch (error) {
      log.warn({ err: error, recording: recordingId }, 'could not move a recording.json into the descriptions store; tried again at the next start');
      return false;
    }
  }

  /** A description file's contents if it is its own folder's recording: plain JSON, or sealed and opened. */
  #readFile(recordingId: string, bytes: Buffer): RecordingInfo | undefined {
    let info = plainJson(bytes);
    if (!info && this.#openSealedFile) {
      try {
        info = JSON.parse(this.#openSealedFile(bytes, recordingId).toString('utf8')) as RecordingInfo;
      } catch {
        info = undefined;
      }
    }
    return info?.id === recordingId ? info : undefined;
  }
}
