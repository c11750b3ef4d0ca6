/**
 * Files on local disk under `<dataDir>/files`: tus's FileStore writes uploads
 * (and its small `<id>.json` of offsets, stripped of every user metadata) into
 * `uploads/`, processing writes thumbnails and replacements into `derived/`.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { ERRORS } from '@tus/utils';
import { FilesError, isStorageFull } from '../errors.ts';
import type { BlobStorage, DerivedVariant } from './BlobStorage.ts';

export class LocalStorage implements BlobStorage {
  readonly description: string;
  readonly uploads: FileStore;
  readonly #uploadsDir: string;
  readonly #derivedDir: string;

  constructor(root: string) {
    this.description = `disk:${root}`;
    this.#uploadsDir = path.join(root, 'uploads');
    this.#derivedDir = path.join(root, 'derived');
    // Created here, synchronously: FileStore creates its directory in the background.
    fs.mkdirSync(this.#uploadsDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.#derivedDir, { recursive: true, mode: 0o700 });
    this.uploads = new DiskStore({ directory: this.#uploadsDir });
  }

  async readUpload(id: string, start: number, end: number): Promise<Readable> {
    return openRange(path.join(this.#uploadsDir, id), start, end);
  }

  async putDerived(id: string, variant: DerivedVariant, bytes: Buffer): Promise<void> {
    // Written beside, then renamed: a crash never leaves half a thumbnail under the final name.
    const file = this.#derived(id, variant);
    const partial = `${file}.partial`;
    await fsp.writeFile(partial, bytes, { mode: 0o600 });
    await fsp.rename(partial, file);
  }

  async readDerived(id: string, variant: DerivedVariant, start: number, end: number): Promise<Readable> {
    return openRange(this.#derived(id, variant), start, end);
  }

  async removeAll(id: string): Promise<void> {
    await this.removeUpload(id);
    for (const variant of ['thumbnail', 'replacement'] as const) {
      await fsp.rm(this.#derived(id, variant), { force: true });
      await fsp.rm(`${this.#derived(id, variant)}.partial`, { force: true });
    }
  }

  async removeUpload(id: string): Promise<void> {
    await fsp.rm(path.join(this.#uploadsDir, id), { force: true });
    await fsp.rm(path.join(this.#uploadsDir, `${id}.json`), { force: true });
  }

  #derived(id: string, variant: DerivedVariant): string {
    return path.join(this.#derivedDir, `${id}.${variant}`);
  }
}

/** A read stream of start..end (inclusive), once the file is open (a missing file rejects here, not mid-stream). */
async function openRange(file: string, start: number, end: number): Promise<Readable> {
  const handle = await fsp.open(file, 'r');
  return handle.createReadStream({ start, end, autoClose: true });
}

/**
 * tus's FileStore, but a write that fails for lack of space says so
 * (STORAGE_FULL, 507) instead of FileStore's generic write error; the bytes
 * written before it stay, so the upload resumes once there is room.
 */
class DiskStore extends FileStore {
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    // Ids are FileIdSchema's ([A-Za-z0-9_-]): never a path outside the directory.
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw ERRORS.FILE_NOT_FOUND;
    const file = path.join(this.directory, id);
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(readable, count, fs.createWriteStream(file, { flags: 'r+', start: offset }));
    } catch (error) {
      if (isStorageFull(error)) throw new FilesError('STORAGE_FULL', 'the server has no room left for files; try again later', { cause: error });
      throw ERRORS.FILE_WRITE_ERROR;
    }
    return offset + received;
  }
}
