/**
 * One real upload through the server's tus endpoint, as a phone would make
 * it: `tus-js-client` v4 in its Node mode (Buffers, node:http), the same
 * library the files client SDK drives in browsers. POST `/api/v1/uploads`
 * with `Upload-Length` and `Upload-Metadata` (filename, filetype and
 * conversationId, base64 by tus-js-client), then PATCHes of `chunkSize`
 * bytes, with the bot's Bearer access token. The file id is the last path
 * segment of the `Location`.
 *
 * No automatic retries: a refused or broken upload is counted by its code,
 * not hidden behind a retry (the app's client would retry).
 */
import { Upload, type DetailedError, type HttpRequest } from 'tus-js-client';
import { nowMs } from '../payload.ts';

export interface TusUploadInput {
  /** The server's origin, e.g. http://127.0.0.1:8080. */
  url: string;
  accessToken: string;
  data: Buffer;
  filename: string;
  filetype: string;
  conversationId: string;
  chunkSize: number;
  /** The bot's own client address (X-Forwarded-For; the server under test trusts loopback's). */
  address?: string;
}

export interface TusUploadResult {
  fileId: string;
  bytes: number;
  /** nowMs() times: the creation POST sent, the first PATCH sent (first byte), the last PATCH answered (finished). */
  startedAt: number;
  firstByteAt: number;
  doneAt: number;
  /** The last PATCH, sent → answered: its bytes, and the server's work on a finished upload (processing runs before that reply). */
  lastPatchMs: number;
}

/** An upload that did not finish: `code` is the server's error code, `HTTP_<status>`, or the network error's code. */
export class UploadFailed extends Error {
  override name = 'UploadFailed';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const FILE_ID = /^fl[A-Za-z0-9_-]{16,40}$/;

/** The file id in a tus Location: its last path segment (null when it is not one). */
export function fileIdOfLocation(location: string | null | undefined): string | null {
  if (!location) return null;
  const last = location.split('?')[0]!.replace(/\/+$/, '').split('/').pop() ?? '';
  return FILE_ID.test(last) ? last : null;
}

/** The code of a failed upload, from the server's JSON error body, its status, or the socket error. */
export function uploadErrorCode(error: Error | DetailedError): string {
  const detailed = error as DetailedError & { causingError?: { code?: string } };
  const res = detailed.originalResponse;
  if (res) {
    try {
      const body = JSON.parse(res.getBody() ?? '') as { error?: { code?: string } };
      if (body?.error?.code) return body.error.code;
    } catch {
      // not JSON
    }
    return `HTTP_${res.getStatus()}`;
  }
  return detailed.causingError?.code ?? (error as NodeJS.ErrnoException).code ?? 'NETWORK';
}

export function tusUpload(input: TusUploadInput): Promise<TusUploadResult> {
  return new Promise((resolve, reject) => {
    const startedAt = nowMs();
    let firstByteAt = 0;
    let patchAt = 0;
    let lastPatchMs = 0;
    const upload = new Upload(input.data, {
      endpoint: `${input.url}/api/v1/uploads`,
      chunkSize: input.chunkSize,
      retryDelays: null,
      storeFingerprintForResuming: false,
      removeFingerprintOnSuccess: false,
      metadata: { filename: input.filename, filetype: input.filetype, conversationId: input.conversationId },
      headers: { authorization: `Bearer ${input.accessToken}`, ...(input.address ? { 'x-forwarded-for': input.address } : {}) },
      onBeforeRequest: (req: HttpRequest) => {
        if (req.getMethod() !== 'PATCH') return;
        patchAt = nowMs();
        if (!firstByteAt) firstByteAt = patchAt;
      },
      onAfterResponse: (req: HttpRequest) => {
        if (req.getMethod() === 'PATCH') lastPatchMs = nowMs() - patchAt;
      },
      onSuccess: () => {
        const doneAt = nowMs();
        const fileId = fileIdOfLocation(upload.url);
        if (!fileId) return reject(new UploadFailed('NO_FILE_ID', `the upload's Location has no file id: ${upload.url}`));
        resolve({ fileId, bytes: input.data.length, startedAt, firstByteAt: firstByteAt || doneAt, doneAt, lastPatchMs });
      },
      onError: (error) => reject(new UploadFailed(uploadErrorCode(error), error.message.slice(0, 300))),
    });
    upload.start();
  });
}
