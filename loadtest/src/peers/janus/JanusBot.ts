import type { BotSpec, ReceiveSink } from '../../Bot.ts';
import { BotMedia } from '../../BotMedia.ts';
import { nowMs } from '../../payload.ts';
import { hostAddresses } from './hostAddresses.ts';
import { ROOM_SETTINGS } from './JanusConfig.ts';
import type { JanusHandle } from './JanusHandle.ts';
import { JanusError, JanusSession } from './JanusSession.ts';

const VIDEOROOM = 'janus.plugin.videoroom';
/** VideoRoom's "room already exists": the call's other bot created it first. */
const ROOM_EXISTS = 427;

/** A publisher as VideoRoom lists it in `joined` and `publishers` events. */
interface Feed {
  id: string;
  display?: string;
}

/**
 * The Janus side of a bot in a 1:1 call: the same media as a Muster bot
 * (BotMedia), signalled through Janus's VideoRoom over its JSON API. One
 * session; a publisher handle that creates the call's room if it is first,
 * joins and publishes; a subscriber handle on the other bot's feed once it
 * is published (Janus offers, the bot answers, as Muster's subscriber
 * connection does).
 *
 * A failed connection is not rebuilt (the load test runs on loopback, where
 * none fails): its call then shows as not connected.
 */
export class JanusBot {
  readonly spec: BotSpec;
  readonly #media: BotMedia;
  #session?: JanusSession;
  #subscribing = false;
  #closed = false;
  /** Janus bots never rebuild their media; kept for the fleet's sample. */
  readonly mediaRestarts = 0;
  joinMs: number | null = null;

  constructor(spec: BotSpec, sink: ReceiveSink) {
    this.spec = spec;
    this.#media = new BotMedia(spec, sink, () => undefined, hostAddresses());
  }

  get connectedAt(): number | null {
    return this.#media.connectedAt;
  }

  get packetsSent(): number {
    return this.#media.packetsSent;
  }

  get bytesSent(): number {
    return this.#media.bytesSent;
  }

  /** `url`: the WebSocket transport, ws://host:port. Resolves when the publisher is connected, as Bot.join does. */
  async join(url: string): Promise<void> {
    const started = nowMs();
    const session = await JanusSession.connect(url);
    this.#session = session;
    const publisher = await session.attach(VIDEOROOM);
    // A publisher that appears later is announced on the publisher handle.
    publisher.onEvent = (message) => {
      const feeds = message.plugindata?.data.publishers as Feed[] | undefined;
      if (feeds) this.#subscribeToOther(session, feeds);
    };
    await publisher.message({ request: 'create', room: this.spec.room, ...ROOM_SETTINGS }).catch((error: unknown) => {
      if (!(error instanceof JanusError && error.code === ROOM_EXISTS)) throw error;
    });
    const joined = await publisher.message({ request: 'join', ptype: 'publisher', room: this.spec.room, display: this.spec.name });
    await this.#media.publish((sdp) => this.#publish(publisher, sdp));
    this.joinMs = nowMs() - started;
    this.#subscribeToOther(session, (joined.data.publishers as Feed[] | undefined) ?? []);
  }

  /**
   * Publishes the offer and returns Janus's answer SDP. The offer
   * asks to be the DTLS client: offered `actpass`, Janus takes the client
   * role and sends its ClientHello the instant its ICE is up, before werift
   * listens for DTLS (werift drops it), and the handshake waits for OpenSSL's
   * 1 s retransmission. That second would be the bot's, not Janus's; with
   * Muster the bot is the DTLS server too, but the SFU's client waits 100 ms.
   */
  async #publish(publisher: JanusHandle, offerSdp: string): Promise<string> {
    const sdp = offerSdp.replaceAll('a=setup:actpass', 'a=setup:active');
    const reply = await publisher.message({ request: 'publish' }, { type: 'offer', sdp, trickle: false });
    if (reply.jsep?.type !== 'answer') throw new Error('publish: janus sent no answer');
    return reply.jsep.sdp;
  }

  /** Subscribes, once, to the call's other publisher among `feeds`. */
  #subscribeToOther(session: JanusSession, feeds: Feed[]): void {
    const other = feeds.find((f) => f.display !== this.spec.name);
    if (!other || this.#subscribing || this.#closed) return;
    this.#subscribing = true;
    this.#subscribe(session, other).catch((error: Error) => {
      console.error(`[janus bot ${this.spec.id}] subscribe: ${error.message}`);
    });
  }

  async #subscribe(session: JanusSession, feed: Feed): Promise<void> {
    const subscriber = await session.attach(VIDEOROOM);
    const attached = await subscriber.message({ request: 'join', ptype: 'subscriber', room: this.spec.room, streams: [{ feed: feed.id }] });
    if (attached.jsep?.type !== 'offer') throw new Error('join as subscriber: janus sent no offer');
    const answer = await this.#media.answer(attached.jsep.sdp);
    if (answer !== null) await subscriber.message({ request: 'start' }, { type: 'answer', sdp: answer, trickle: false });
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
      // Destroying the session leaves the room and hangs up both handles' connections.
      await this.#session?.close();
    } finally {
      await this.#media.close();
    }
  }
}
