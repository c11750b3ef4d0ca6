/**
 * The tus DataStore the uploads go through: a wrapper around the real store
 * (FileStore on disk, S3Store) that
 *
 * - encrypts every PATCH body at its offset before the inner store sees a
 *   byte (AES-256-CTR keyed per file, see ContentCipher), so the disk, the
 *   bucket and S3Store's temporary part files only ever hold ciphertext;
 * - strips the upload's metadata (the file name, its type…) before the inner
 *   store persists it (FileStore's `<id>.json`, S3's `.info` and object
 *   metadata): it is sealed in the database instead, and put back on the way
 *   out (HEAD's Upload-Metadata) from there.
 */
import { pipeline, type Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import { FilesError, isStorageFull } from '../errors.ts';
import { cryptStream, type ContentKey } from './ContentCipher.ts';

export interface EncryptingStoreOptions {
  /** The content key of an upload (from the database); undefined when there is no such upload. */
  keyOf(id: string): Promise<ContentKey | undefined>;
  /** The Upload-Metadata to show for an upload (from the sealed row), if any. */
  metadataOf(id: string): Promise<Record<string, string> | undefined>;
  /** Called after the inner store removed an upload (tus termination): forget its row. */
  onRemoved(id: string): Promise<void>;
}

export class EncryptingStore extends DataStore {
  readonly #inner: DataStore;
  readonly #options: EncryptingStoreOptions;

  constructor(inner: DataStore, options: EncryptingStoreOptions) {
    super();
    this.#inner = inner;
    this.#options = options;
    // No concatenation: partial uploads would each need their own keystream position.
    this.extensions = inner.extensions.filter((e) => e !== 'concatentation' && e !== 'concatenation' && e !== 'expiration');
  }

  override async create(upload: Upload): Promise<Upload> {
    // Nothing the user sent goes into the inner store's records: the database has it, sealed.
    upload.metadata = undefined;
    try {
      return await this.#inner.create(upload);
    } catch (error) {
      throw storageError(error);
    }
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const key = await this.#options.keyOf(id);
    if (!key) throw ERRORS.FILE_NOT_FOUND;
    // pipeline (not pipe): an error of the request stream reaches the inner store as an error, not as an end.
    const encrypted = pipeline(stream, cryptStream(key, offset), () => undefined);
    try {
      return await this.#inner.write(encrypted, id, offset);
    } catch (error) {
      throw storageError(error);
    }
  }

  override async getUpload(id: string): Promise<Upload> {
    const upload = await this.#inner.getUpload(id);
    const metadata = await this.#options.metadataOf(id);
    return new Upload({ id: upload.id, size: upload.size, offset: upload.offset, creation_date: upload.creation_date, storage: upload.storage, metadata });
  }

  override async remove(id: string): Promise<void> {
    await this.#inner.remove(id);
    await this.#options.onRemoved(id);
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    await this.#inner.declareUploadLength(id, length);
  }
}

function storageError(error: unknown): unknown {
  if (error instanceof FilesError) return error;
  if (isStorageFull(error)) return new FilesError('STORAGE_FULL', 'the server has no room left for files; try again later', { cause: error });
  return error;
}
