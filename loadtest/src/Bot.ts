import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientRequest, ClientRequestName, ClientResponses, ConsumerInfo } from '@muster/signaling/protocol';
import { BotMedia } from './BotMedia.ts';
import { nowMs, PROBE_BYTES } from './payload.ts';

export interface BotSpec {
  id: string;
  room: string;
  name: string;
  audio: boolean;
  video: boolean;
  /** Which call this bot belongs to and of what kind; connection is judged per call. */
  callId: string;
  callKind: 'video' | 'voice' | 'meeting' | 'webinar';
  /** Kinds this bot expects to receive from the others; its call is up when all arrive. */
  expects: ('audio' | 'video')[];
  /** Fraction of the real packet rates to send (default 1). */
  mediaRate?: number;
  /** Signs the meeting socket in as this account: a call's private room admits only its two people. */
  accessToken?: string;
  /**
   * Publishes held, as the web client does in a call not answered yet: muted
   * on the server before the producers exist (so they are made paused), and
   * nothing sent until `release()`.
   */
  held?: boolean;
  /** The server's media addresses when they are not 127.0.0.1 (a server on another host, `--url`). */
  remoteHosts?: string[];
}

/** What the bot reports about the media it receives. */
export interface ReceiveSink {
  onPacket(kind: 'audio' | 'video', bytes: number, latencyMs: number): void;
}

/**
 * One simulated participant: joins through the real signaling protocol and
 * publishes and subscribes with werift peer connections; the media half
 * (synthetic Opus- and VP8-sized packets at real rates over SRTP, and the
 * measurement of what arrives) is `BotMedia`, shared with the peer SFUs' bots.
 */
export class Bot {
  readonly spec: BotSpec;
  #socket?: Socket;
  readonly #media: BotMedia;
  #closed = false;
  #rebuilding = false;
  #offers: Promise<unknown> = Promise.resolve();
  #joined?: Promise<void>;
  /** Times this bot had to rebuild its media (ICE/DTLS failure, server worker lost). */
  mediaRestarts = 0;
  joinMs: number | null = null;
  readonly startedAt = Date.now();

  constructor(spec: BotSpec, sink: ReceiveSink) {
    this.spec = spec;
    this.#media = new BotMedia(spec, sink, () => this.#onMediaFailed(), spec.remoteHosts);
  }

  /** When every expected kind has arrived: the call is connected for this bot. */
  get connectedAt(): number | null {
    return this.#media.connectedAt;
  }

  /** The server address this bot's media goes to, once it publishes (see BotMedia.mediaAddress). */
  get mediaAddress(): string | null {
    return this.#media.mediaAddress;
  }

  get packetsSent(): number {
    return this.#media.packetsSent;
  }

  get bytesSent(): number {
    return this.#media.bytesSent;
  }

  #request<N extends ClientRequestName>(name: N, payload: ClientRequest<N>): Promise<ClientResponses[N]> {
    return new Promise((resolve, reject) => {
      this.#socket!.timeout(20_000).emit(name, payload, (error: Error | null, reply: Ack<ClientResponses[N]>) => {
        if (error) return reject(new Error(`${name}: no reply`));
        if (reply.ok) resolve(reply.data);
        else reject(new Error(`${name}: ${reply.error.code} ${reply.error.message}`));
      });
    });
  }

  join(url: string): Promise<void> {
    this.#joined ??= this.#join(url);
    return this.#joined;
  }

  async #join(url: string): Promise<void> {
    const started = nowMs();
    const socket = io(url, { transports: ['websocket'], reconnection: false, timeout: 20_000, ...(this.spec.accessToken ? { auth: { accessToken: this.spec.accessToken } } : {}) });
    this.#socket = socket;
    socket.on('subscriber.offer', (offer: { offerId: number; sdp: string; consumers: ConsumerInfo[] }) => {
      // Offers are applied one at a time, as a browser's signaling state machine requires.
      this.#offers = this.#offers.then(() => this.#answer(offer)).catch(() => undefined);
    });
    socket.on('media.reset', () => void this.#rebuildMedia());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(error));
    });
    await this.#request('join', { room: this.spec.room, name: this.spec.name });
    if (this.spec.held) await this.#setMuted(true);
    await this.#publish();
    this.joinMs = nowMs() - started;
  }

  /** The call was answered: unmutes what was held, once joined, and starts sending. */
  async release(): Promise<void> {
    if (!this.#joined) throw new Error('release before join');
    await this.#joined;
    await this.#setMuted(false);
    this.#media.release();
  }

  #setMuted(muted: boolean): Promise<unknown> {
    const sources = [...(this.spec.audio ? (['microphone'] as const) : []), ...(this.spec.video ? (['camera'] as const) : [])];
    return Promise.all(sources.map((source) => this.#request('track.setMuted', { source, muted })));
  }

  #publish(): Promise<void> {
    return this.#media.publish(async (sdp, tracks) => (await this.#request('publish', { sdp, tracks })).sdp);
  }

  /** A connection that fails is rebuilt, as the real client SDK does. */
  #onMediaFailed(): void {
    if (this.#closed) return;
    void this.#request('media.restart', { reason: 'ice-failed' })
      .then(() => this.#rebuildMedia())
      .catch(() => undefined);
  }

  async #rebuildMedia(): Promise<void> {
    if (this.#closed || this.#rebuilding) return;
    this.#rebuilding = true;
    this.mediaRestarts++;
    try {
      this.#offers = Promise.resolve();
      await this.#media.reset();
      await this.#publish();
    } finally {
      this.#rebuilding = false;
    }
  }

  async #answer(offer: { offerId: number; sdp: string }): Promise<void> {
    if (this.#closed) return;
    const sdp = await this.#media.answer(offer.sdp);
    if (sdp !== null) await this.#request('subscriber.answer', { offerId: offer.offerId, sdp });
  }

  /** Sends whatever is due at `now` (ms); called by the process-wide scheduler. */
  tick(now: number): void {
    if (!this.#closed) this.#media.tick(now);
  }

  /** Receive-side totals since start, for loss and jitter. */
  streamTotals(): { expected: number; received: number; jitterMs: number; streams: number } {
    return this.#media.streamTotals();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (this.#socket?.connected) await this.#request('leave', {}).catch(() => undefined);
    } finally {
      this.#socket?.close();
      await this.#media.close();
    }
  }
}

export { PROBE_BYTES };
