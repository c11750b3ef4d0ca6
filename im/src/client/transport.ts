import type { ImEventMap, ImEventName } from '../domain/ImHub.ts';
import type { ImErrorCode } from '../protocol.ts';

/**
 * What the IM client SDK needs from the connection, and nothing more: REST
 * calls with the signed-in person's token (refreshed as needed) and the live
 * events of the `/account` socket. The SDK's parts (contacts, conversations,
 * calls…) each take one, so they run in the browser and in Node alike and
 * can be tested against a real server or a fake.
 */
export interface ImTransport {
  /** A REST call under /api/v1; a coded error reply rejects with ImClientError. */
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** A REST call whose body is raw bytes of a type (an image upload: PUT /groups/:id/avatar); replies and errors as `request`. */
  upload<T>(method: 'PUT' | 'POST', path: string, body: Blob | ArrayBuffer | Uint8Array, type: string): Promise<T>;
  /**
   * A REST call whose reply is a document, not JSON (a chat export): its
   * bytes and headers. `body` goes as JSON; `headers` are added (an
   * Accept-Language, say). A coded error reply rejects as `request` does.
   */
  fetchFile(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>): Promise<FileReply>;
  /** A socket request (`im.send`, `im.read`…), acknowledged with `{ ok, data | error }`; rejects with ImClientError. */
  emit<T>(event: string, payload: unknown): Promise<T>;
  /** A live event from the server; returns the unsubscribe. */
  on<E extends ImEventName>(event: E, listener: (payload: ImEventMap[E]) => void): () => void;
  /** Called after every (re)connection of the live socket: the moment to catch up. */
  onConnected(listener: () => void): () => void;
}

/** A document the server answered with: its bytes and its headers (Content-Disposition and the like). */
export interface FileReply {
  blob: Blob;
  headers: { get(name: string): string | null };
}

/** A refusal from the server, with its stable code. */
export class ImClientError extends Error {
  readonly code: ImErrorCode | (string & {});
  readonly status: number | undefined;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'ImClientError';
    this.code = code;
    this.status = status;
  }
}
