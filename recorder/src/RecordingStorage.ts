import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { RecordingInfo } from './manifest.ts';

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
  /** The recording is complete: keep `files` (names inside its work directory). */
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

const INFO_FILE = 'recording.json';
const SAFE_ID = /^[A-Za-z0-9_-]{1,80}$/;
const SAFE_NAME = /^[A-Za-z0-9_.-]{1,120}$/;

/** Recordings as directories under one root: `<root>/<recordingId>/{recording.json, manifest.json, *.webm, composite.mp4}`. */
export class LocalDiskStorage implements RecordingStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
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
    // Write-then-rename: a crash mid-write never leaves a torn description.
    const tmp = path.join(dir, `${INFO_FILE}.tmp`);
    await fs.promises.writeFile(tmp, JSON.stringify(info, null, 2));
    await fs.promises.rename(tmp, path.join(dir, INFO_FILE));
  }

  async commit(info: RecordingInfo): Promise<void> {
    await this.save(info);
  }

  async get(recordingId: string): Promise<RecordingInfo | undefined> {
    if (!SAFE_ID.test(recordingId)) return undefined;
    try {
      return JSON.parse(await fs.promises.readFile(path.join(this.#dir(recordingId), INFO_FILE), 'utf8')) as RecordingInfo;
    } catch {
      return undefined;
    }
  }

  async all(): Promise<RecordingInfo[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.root);
    } catch {
      return [];
    }
    const infos = await Promise.all(names.map((name) => this.get(name)));
    return infos.filter((i): i is RecordingInfo => !!i).sort((a, b) => a.startedAt - b.startedAt);
  }

  async list(roomId: string): Promise<RecordingInfo[]> {
    return (await this.all()).filter((i) => i.roomId === roomId);
  }

  async open(recordingId: string, name: string): Promise<{ stream: Readable; size: number } | undefined> {
    if (!SAFE_ID.test(recordingId) || !SAFE_NAME.test(name)) return undefined;
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
