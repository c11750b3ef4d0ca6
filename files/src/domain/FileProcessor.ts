/**
 * What happens once an upload's last byte is stored: the processing module
 * (files/src/processing, `analyze`) reads the plaintext through a decrypting
 * ByteSource, and its findings are stored: the true type and kind, sizes and
 * durations, the waveform; a thumbnail and a GPS-stripped replacement as
 * derived blobs, encrypted like the upload. A file processing cannot read
 * (decode limit, corrupt image, analyzer failure) is still a stored file, of
 * kind `other`.
 */
import { PassThrough } from 'node:stream';
import type { Logger } from '@muster/kit/log';
import type { ByteSource } from '../processing/byteSource.ts';
import type { FileKind } from '../protocol.ts';
import type { FileMeta, StoredFile } from '../store/FileRepository.ts';
import type { BlobStorage, DerivedVariant } from './BlobStorage.ts';
import { cryptAt, cryptStream, variantKey, type ContentKey, type Variant } from './ContentCipher.ts';

import type { Analysis, AnalyzeOptions } from '../processing/analyze.ts';

/** The processing module's entry (files/src/processing/analyze.ts); tests give a stand-in. */
export type Analyze = (source: ByteSource, options: AnalyzeOptions) => Promise<Analysis>;

export type Processed = { blocked: true; mime: string } | { blocked: false; kind: FileKind; size: number; meta: FileMeta; replaced: boolean };

/** A decrypting view of one stored variant of a file. */
export function contentSource(storage: BlobStorage, id: string, key: ContentKey, variant: Variant, size: number): ByteSource {
  const own = variantKey(key, variant);
  return {
    size,
    async read(start, end) {
      const last = Math.min(end, size - 1);
      if (size === 0 || last < start) return new PassThrough().end();
      const raw = variant === 'original' ? await storage.readUpload(id, start, last) : await storage.readDerived(id, variant as DerivedVariant, start, last);
      return raw.pipe(cryptStream(own, start));
    },
  };
}

export class FileProcessor {
  readonly #storage: BlobStorage;
  readonly #analyze: Analyze;
  readonly #logger: Logger;

  constructor(storage: BlobStorage, analyze: Analyze, logger: Logger) {
    this.#storage = storage;
    this.#analyze = analyze;
    this.#logger = logger;
  }

  async process(file: StoredFile, key: ContentKey, size: number, blockedTypes: readonly string[]): Promise<Processed> {
    const source = contentSource(this.#storage, file.id, key, 'original', size);
    let analysis: Analysis;
    try {
      analysis = await this.#analyze(source, {
        declaredName: file.meta.name,
        declaredMime: file.meta.declaredMime,
        keepLocation: file.meta.keepLocation,
        blockedTypes,
      });
    } catch (error) {
      // Never the file's name in a line: only its id and why.
      this.#logger.warn({ fileId: file.id, err: error }, 'files: processing failed; stored as a plain file');
      analysis = { mime: 'application/octet-stream', kind: 'other', problem: 'processing failed' };
    }
    if (analysis.blocked) return { blocked: true, mime: analysis.mime };
    if (analysis.problem) this.#logger.info({ fileId: file.id, problem: analysis.problem }, 'files: stored as a plain file');

    const meta: FileMeta = { ...file.meta, mime: analysis.mime || 'application/octet-stream', content: 'original', thumbnail: false };
    for (const field of ['width', 'height', 'durationMs'] as const) {
      const value = analysis[field];
      if (typeof value === 'number' && Number.isFinite(value)) meta[field] = Math.round(value);
    }
    if (analysis.waveform) meta.waveform = analysis.waveform.map((v) => Math.max(0, Math.min(100, Math.round(v))));
    if (analysis.thumbnail) {
      await this.#putDerived(file.id, key, 'thumbnail', analysis.thumbnail.bytes);
      meta.thumbnail = true;
      meta.thumbnailMime = analysis.thumbnail.mime;
      meta.thumbnailSize = analysis.thumbnail.bytes.length;
    }
    let stored = size;
    if (analysis.replacement) {
      // The replacement (the image without its GPS position) is served instead; the original is dropped once the row says so.
      await this.#putDerived(file.id, key, 'replacement', analysis.replacement.bytes);
      meta.content = 'replacement';
      meta.mime = analysis.replacement.mime;
      stored = analysis.replacement.bytes.length;
    }
    return { blocked: false, kind: analysis.kind, size: stored, meta, replaced: analysis.replacement !== undefined };
  }

  async #putDerived(id: string, key: ContentKey, variant: DerivedVariant, bytes: Buffer): Promise<void> {
    await this.#storage.putDerived(id, variant, cryptAt(variantKey(key, variant), 0, bytes));
  }
}
