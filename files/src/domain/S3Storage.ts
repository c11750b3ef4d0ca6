/**
 * Files in an S3-compatible bucket (MinIO, Ceph, AWS…): tus's S3Store writes
 * uploads as multipart uploads (its parts are buffered in os.tmpdir(), and
 * are ciphertext like everything else here), derived blobs are plain objects
 * under `derived/`. Ranged reads are GetObject with a Range.
 */
import { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import type { S3Options } from '@muster/kit/s3-options';
import type { BlobStorage, DerivedVariant } from './BlobStorage.ts';

export class S3Storage implements BlobStorage {
  readonly description: string;
  readonly uploads: S3Store;
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3Options) {
    const config: S3ClientConfig = {
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    };
    this.description = `s3:${options.endpoint}/${options.bucket}`;
    this.#bucket = options.bucket;
    this.#client = new S3Client(config);
    // Expiry is the retention sweeper's (from the database), not S3 tags.
    this.uploads = new S3Store({ partSize: options.partSize, useTags: false, s3ClientConfig: { ...config, bucket: options.bucket } });
  }

  readUpload(id: string, start: number, end: number): Promise<Readable> {
    return this.#get(id, start, end);
  }

  async putDerived(id: string, variant: DerivedVariant, bytes: Buffer): Promise<void> {
    await this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: derivedKey(id, variant), Body: bytes, ContentType: 'application/octet-stream' }));
  }

  readDerived(id: string, variant: DerivedVariant, start: number, end: number): Promise<Readable> {
    return this.#get(derivedKey(id, variant), start, end);
  }

  async removeAll(id: string): Promise<void> {
    await this.removeUpload(id);
    await this.#delete([derivedKey(id, 'thumbnail'), derivedKey(id, 'replacement')]);
  }

  async removeUpload(id: string): Promise<void> {
    // An unfinished multipart upload is aborted by the store (its parts are not objects); then every object it may have left.
    await this.uploads.remove(id).catch(() => undefined);
    await this.#delete([id, `${id}.info`, `${id}.part`]);
  }

  async #delete(keys: string[]): Promise<void> {
    await this.#client.send(new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
  }

  async #get(key: string, start: number, end: number): Promise<Readable> {
    const reply = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${start}-${end}` }));
    const body = reply.Body;
    if (!body) throw new Error(`S3 returned no body for ${key}`);
    return body instanceof Readable ? body : Readable.fromWeb(body as never);
  }
}

function derivedKey(id: string, variant: DerivedVariant): string {
  return `derived/${id}.${variant}`;
}
