import WebSocket from 'ws';
import { JanusHandle } from './JanusHandle.ts';

/** A session description as Janus carries it beside a plugin message. */
export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
  /** false: every candidate is in the SDP (no trickle messages follow). */
  trickle?: boolean;
}

/** One message of the Janus API (the fields the bots use). */
export interface JanusMessage {
  janus: string;
  transaction?: string;
  session_id?: number;
  /** The handle an event is for. */
  sender?: number;
  data?: { id: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: Jsep;
}

/** A refusal by Janus itself or by the plugin (`code` as Janus numbers it: 427 is "room exists"). */
export class JanusError extends Error {
  readonly code: number;

  constructor(request: string, code: number, reason: string) {
    super(`${request}: ${code} ${reason}`);
    this.code = code;
  }
}

interface Pending {
  request: string;
  /** Keepalives are answered by an `ack`; a plugin message's `ack` only says its event will follow. */
  resolveOnAck: boolean;
  resolve: (message: JanusMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const REQUEST_TIMEOUT_MS = 20_000;
/** As janus.js does: Janus drops a session that is silent for `session_timeout` (60 s). */
const KEEPALIVE_MS = 25_000;

/**
 * One session of the Janus API over its WebSocket transport
 * (`janus-protocol`): requests matched to replies by transaction, plugin
 * handles, keepalives, and the events Janus pushes for a handle.
 */
export class JanusSession {
  readonly #ws: WebSocket;
  readonly #pending = new Map<string, Pending>();
  readonly #handles = new Map<number, JanusHandle>();
  #id = 0;
  #nextTransaction = 0;
  #keepalive?: NodeJS.Timeout;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => this.#onMessage(data.toString()));
    ws.on('close', () => this.#failAll(new Error('janus connection closed')));
    ws.on('error', (error) => this.#failAll(error));
  }

  /** Opens a WebSocket to `url` and creates a session on it. */
  static async connect(url: string): Promise<JanusSession> {
    const ws = new WebSocket(url, 'janus-protocol', { perMessageDeflate: false, handshakeTimeout: REQUEST_TIMEOUT_MS });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const session = new JanusSession(ws);
    try {
      session.#id = (await session.request({ janus: 'create' })).data!.id;
    } catch (error) {
      ws.close();
      throw error;
    }
    session.#keepalive = setInterval(() => void session.request({ janus: 'keepalive' }, true).catch(() => undefined), KEEPALIVE_MS);
    return session;
  }

  /** Attaches a handle on `plugin` (e.g. janus.plugin.videoroom). */
  async attach(plugin: string): Promise<JanusHandle> {
    const reply = await this.request({ janus: 'attach', plugin });
    const handle = new JanusHandle(this, reply.data!.id);
    this.#handles.set(handle.id, handle);
    return handle;
  }

  /**
   * Sends one request of this session and resolves to its reply: `success`,
   * or for an asynchronous plugin message the `event` that follows the `ack`.
   * Janus's and the plugin's refusals reject with a JanusError.
   */
  request(body: Record<string, unknown>, resolveOnAck = false): Promise<JanusMessage> {
    const transaction = `t${++this.#nextTransaction}`;
    const request = String((body.body as { request?: string } | undefined)?.request ?? body.janus);
    return new Promise((resolve, reject) => {
      if (this.#ws.readyState !== WebSocket.OPEN) return reject(new Error(`${request}: janus connection closed`));
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        reject(new Error(`${request}: no reply`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(transaction, { request, resolveOnAck, resolve, reject, timer });
      this.#ws.send(JSON.stringify({ ...body, transaction, ...(this.#id ? { session_id: this.#id } : {}) }));
    });
  }

  #onMessage(text: string): void {
    const message = JSON.parse(text) as JanusMessage;
    const pending = message.transaction === undefined ? undefined : this.#pending.get(message.transaction);
    if (!pending) {
      if (message.sender !== undefined) this.#handles.get(message.sender)?.onEvent(message);
      return;
    }
    if (message.janus === 'ack' && !pending.resolveOnAck) return;
    this.#pending.delete(message.transaction!);
    clearTimeout(pending.timer);
    const data = message.plugindata?.data;
    if (message.janus === 'error') pending.reject(new JanusError(pending.request, message.error!.code, message.error!.reason));
    else if (data && typeof data.error_code === 'number') pending.reject(new JanusError(pending.request, data.error_code, String(data.error)));
    else pending.resolve(message);
  }

  #failAll(error: Error): void {
    clearInterval(this.#keepalive);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`${pending.request}: ${error.message}`));
    }
    this.#pending.clear();
  }

  /** Destroys the session (Janus hangs up its handles' connections) and closes the socket. */
  async close(): Promise<void> {
    clearInterval(this.#keepalive);
    if (this.#id && this.#ws.readyState === WebSocket.OPEN) await this.request({ janus: 'destroy' }).catch(() => undefined);
    this.#ws.close();
  }
}
