import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { log as rootLog } from '@muster/kit/log';
import type { S3Options } from '@muster/kit/s3-options';
import type { RecordingInfo } from './manifest.ts';
import { LocalDiskStorage, MANIFEST_FILE, manifestJson, SAFE_ID, SAFE_NAME, type LocalDiskStorageOptions, type RecordingStorage } from './RecordingStorage.ts';

const log = rootLog.child({ component: 'recorder' });

/** The bucket: the same parsed S3_* settings the files domain gets (`@muster/kit/s3-options`). */
export type S3RecordingOptions = S3Options;

export interface S3RecordingStorageOptions extends LocalDiskStorageOptions {
  /** Where the recordings' objects go in the bucket (default `recordings/`): `<prefix><recordingId>/<name>`. */
  prefix?: string;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's most parts in one multipart upload: a longer file gets larger parts. */
const MAX_PARTS = 10_000;

type Opened = { stream: Readable; size: number };

/**
 * Recordings whose finished files live in an S3-compatible bucket, so that
 * they outlive the host that made them and any app host serves them. ffmpeg
 * still writes into a local work directory (a LocalDiskStorage under `root`,
 * which also keeps the descriptions: the server's database when it passes a
 * descriptions store); `commit` uploads the files, stores the description,
 * and only then removes the local copies. A commit that fails throws and
 * leaves everything local and the description unfinished, so the recording
 * host's next start (`Recorder.recover()`) commits it again; meanwhile
 * `open` serves the local copies.
 *
 * The media go to the bucket as ffmpeg wrote them (the local disk holds them
 * the same way); the participants' names do not: with a descriptions store,
 * `manifest.json` is made from the stored description, never uploaded.
 */
export class S3RecordingStorage implements RecordingStorage {
  /** Where the files go, for logs (no credentials). */
  readonly description: string;
  readonly #local: LocalDiskStorage;
  /** Whether the descriptions (and so `manifest.json`) are kept in a store rather than in files. */
  readonly #descriptionsStored: boolean;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;

  constructor(root: string, s3: S3RecordingOptions, options: S3RecordingStorageOptions = {}) {
    this.#local = new LocalDiskStorage(root, options);
    this.#descriptionsStored = !!options.descriptions;
    this.#bucket = s3.bucket;
    this.#prefix = options.prefix ?? 'recordings/';
    this.#partSize = Math.max(MIN_PART_SIZE, s3.partSize ?? DEFAULT_PART_SIZE);
    this.description = `s3:${s3.endpoint}/${s3.bucket}/${this.#prefix}`;
    this.#client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region ?? 'us-east-1',
      forcePathStyle: s3.forcePathStyle ?? true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
  }

  /** The local directory under which recordings are written, as LocalDiskStorage's `root`. */
  get root(): string {
    return this.#local.root;
  }

  workDir(recordingId: string): Promise<string> {
    return this.#local.workDir(recordingId);
  }

  save(info: RecordingInfo): Promise<void> {
    return this.#local.save(info);
  }

  get(recordingId: string): Promise<RecordingInfo | undefined> {
    return this.#local.get(recordingId);
  }

  list(roomId: string): Promise<RecordingInfo[]> {
    return this.#local.list(roomId);
  }

  all(): Promise<RecordingInfo[]> {
    return this.#local.all();
  }

  /** The local disk's: it is where recordings are written until they are committed. */
  freeBytes(): Promise<number | null> {
    return this.#local.freeBytes();
  }

  async commit(info: RecordingInfo, files: string[]): Promise<void> {
    if (!SAFE_ID.test(info.id)) throw new Error('bad recording id');
    const names = [...new Set(files)];
    for (const name of names) if (!safeName(name)) throw new Error('bad recording file name');
    const dir = await this.#local.workDir(info.id);
    const uploaded: string[] = [];
    for (const name of names) {
      const key = this.#key(info.id, name);
      try {
        if (name === MANIFEST_FILE) {
          // With a descriptions store the names stay there: open() makes manifest.json from the description.
          if (this.#descriptionsStored) continue;
          await this.#put(key, Buffer.from(manifestJson(info.manifest), 'utf8'));
        } else {
          const file = path.join(dir, name);
          if (!(await isFile(file))) {
            // Listed but never written (a track that died before its first cluster): nothing to keep, as on local disk.
            log.warn({ recording: info.id, file: name }, 'a recording file is missing from its work directory; not uploaded');
            continue;
          }
          await this.#upload(key, file);
        }
        uploaded.push(name);
      } catch (error) {
        // The SDK's error may carry the signed request: only its name and message are logged and passed on.
        const reason = describe(error);
        log.error({ recording: info.id, file: name, storage: this.description, reason }, 'could not upload a recording file; its files stay on this host and the commit is tried again at its next start');
        throw new Error(`could not upload ${name} of recording ${info.id} to ${this.description}: ${reason}`);
      }
    }
    // Every file is in the bucket: this host's disk no longer holds them, so any app serves them: a description without `filesAt` is served wherever a download lands.
    const filesAt = info.filesAt;
    delete info.filesAt;
    try {
      await this.#local.save(info);
    } catch (error) {
      // Not committed after all: the files are still this host's, and the next start commits them again.
      if (filesAt !== undefined) info.filesAt = filesAt;
      throw error;
    }
    await this.#removeLocal(info.id, dir, uploaded);
  }

  async open(recordingId: string, name: string): Promise<Opened | undefined> {
    if (!SAFE_ID.test(recordingId) || !safeName(name)) return undefined;
    // Made from the stored description, as LocalDiskStorage does: never an object.
    if (name === MANIFEST_FILE && this.#descriptionsStored) return this.#local.open(recordingId, name);
    let fromBucket: Opened | undefined;
    let failure: unknown;
    try {
      fromBucket = await this.#get(this.#key(recordingId, name));
    } catch (error) {
      failure = error;
    }
    if (fromBucket) return fromBucket;
    // Not in the bucket (yet): a commit that failed left the files on this host's disk.
    const local = await this.#local.open(recordingId, name);
    if (local) return local;
    // An outage is not "no such file": the route answers it as an error.
    if (failure) throw new Error(`could not read ${name} of recording ${recordingId} from ${this.description}: ${describe(failure)}`);
    return undefined;
  }

  #key(recordingId: string, name: string): string {
    return `${this.#prefix}${recordingId}/${name}`;
  }

  /** The object, or undefined if there is none (a missing bucket is an error, not a missing file). */
  async #get(key: string): Promise<Opened | undefined> {
    let reply;
    try {
      reply = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const body = reply.Body;
    if (!body) throw new Error('the bucket returned no body');
    const stream = body instanceof Readable ? body : Readable.fromWeb(body as never);
    let size = reply.ContentLength;
    if (size === undefined) {
      // Not every S3-compatible server sends a length with the object: ask for it.
      try {
        size = (await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }))).ContentLength;
      } catch (error) {
        stream.destroy();
        throw error;
      }
      if (size === undefined) {
        stream.destroy();
        throw new Error('the bucket did not say the object’s size');
      }
    }
    return { stream, size };
  }

  async #put(key: string, body: Buffer): Promise<void> {
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentLength: body.length, ContentType: contentType(key) }));
  }

  /**
   * One file into one object: a PutObject up to the part size, else a
   * multipart upload read one part at a time (memory stays at one part
   * however long the recording), aborted if any part fails so the bucket
   * keeps no orphaned parts.
   */
  async #upload(key: string, file: string): Promise<void> {
    const handle = await fs.promises.open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size <= this.#partSize) {
        await this.#put(key, await readAt(handle, 0, size));
        return;
      }
      const partSize = Math.max(this.#partSize, Math.ceil(size / MAX_PARTS));
      const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key, ContentType: contentType(key) }));
      if (!UploadId) throw new Error('the bucket started no multipart upload');
      try {
        const parts: CompletedPart[] = [];
        for (let offset = 0, PartNumber = 1; offset < size; offset += partSize, PartNumber++) {
          const body = await readAt(handle, offset, Math.min(partSize, size - offset));
          const reply = await this.#client.send(new UploadPartCommand({ Bucket: this.#bucket, Key: key, UploadId, PartNumber, Body: body, ContentLength: body.length }));
          parts.push({ PartNumber, ETag: reply.ETag, ...(reply.ChecksumCRC32 ? { ChecksumCRC32: reply.ChecksumCRC32 } : {}) });
        }
        await this.#client.send(new CompleteMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (error) {
        await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId })).catch(() => undefined);
        throw error;
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * The local copies, once the bucket holds them and the description says so.
   * With a descriptions store the whole work directory goes (what else is
   * there, the tracks' SDP files, only served ffmpeg); without one it keeps
   * `recording.json`. A file that cannot be removed is only logged: the
   * recording is committed, and open() prefers the bucket.
   */
  async #removeLocal(recordingId: string, dir: string, uploaded: string[]): Promise<void> {
    try {
      if (this.#descriptionsStored) {
        await fs.promises.rm(dir, { recursive: true, force: true });
      } else {
        for (const name of uploaded) await fs.promises.rm(path.join(dir, name), { force: true });
      }
    } catch (error) {
      log.warn({ recording: recordingId, reason: describe(error) }, 'could not remove a committed recording’s local files; they are served from the bucket');
    }
  }
}

/** SAFE_NAME, without `.` and `..`: as keys they are literal, but some servers and proxies resolve them in a path-style URL. */
function safeName(name: string): boolean {
  return SAFE_NAME.test(name) && !/^\.+$/.test(name);
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name === 'NoSuchBucket') return false;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** An error's name and message only (never its request, headers or signature). */
function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return String(error).slice(0, 500);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `length` bytes of an open file from `offset` (a read may return fewer: read until they are all there). */
async function readAt(handle: fs.promises.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) throw new Error('the file shrank while it was uploaded');
    filled += bytesRead;
  }
  return buffer;
}

function contentType(key: string): string {
  if (key.endsWith('.mp4')) return 'video/mp4';
  if (key.endsWith('.webm')) return 'video/webm';
  if (key.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}
