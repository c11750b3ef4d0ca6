import { io, type Socket } from 'socket.io-client';
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import type { Ack, ClientRequest, ClientRequestName, ClientResponses, ConsumerInfo } from '@muster/signaling/protocol';
import { createSfuClientPeer, FastRtpClient, type MediaPacket } from '@muster/media';
import { nowMs, readProbe, writeProbe, PROBE_BYTES } from './payload.ts';

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
}

/** What the bot reports about the media it receives. */
export interface ReceiveSink {
  onPacket(kind: 'audio' | 'video', bytes: number, latencyMs: number): void;
}

interface InboundStream {
  kind: 'audio' | 'video';
  firstSeq: number;
  maxSeq: number;
  received: number;
  /** RFC 3550 interarrival jitter, in ms, on the bot's own send timestamps. */
  jitterMs: number;
  lastTransitMs: number | null;
}

const VIDEO_PACKET_BYTES = 1000;
const AUDIO_PACKET_BYTES = 100;
/** Packets per 30 fps frame, alternating, for about 75 packets/s: ~600 kbps at 1000 bytes. */
const VIDEO_PACKETS_PER_FRAME = [2, 3];

/**
 * One simulated participant: joins through the real signaling protocol with
 * werift peer connections, publishes synthetic Opus- and VP8-sized packets
 * at real rates over SRTP, and measures what it receives.
 *
 * werift does the signalling-level WebRTC (SDP, ICE, DTLS, RTCP) exactly as
 * for the SFU; RTP goes through the SFU's own packet path (FastRtpClient),
 * so that one machine can generate several times more load than with
 * werift's per-packet objects, and the CPU goes to the server under test.
 */
export class Bot {
  readonly spec: BotSpec;
  #socket?: Socket;
  #publisher?: RTCPeerConnection;
  #publisherRtp?: FastRtpClient;
  #subscriber?: RTCPeerConnection;
  #subscriberRtp?: FastRtpClient;
  #audio?: RTCRtpTransceiver;
  #video?: RTCRtpTransceiver;
  #audioSeq = 0;
  #videoSeq = 0;
  #rtpSeq = { audio: Math.floor(Math.random() * 65535), video: Math.floor(Math.random() * 65535) };
  #frame = 0;
  #nextAudioAt = 0;
  #nextVideoAt = 0;
  #publishing = false;
  readonly #streams = new Map<number, InboundStream>();
  readonly #receivedKinds = new Set<'audio' | 'video'>();
  #closed = false;
  #rebuilding = false;
  #offers: Promise<unknown> = Promise.resolve();
  /** Times this bot had to rebuild its media (ICE/DTLS failure, server worker lost). */
  mediaRestarts = 0;
  joinMs: number | null = null;
  /** When every expected kind has arrived: the call is connected for this bot. */
  connectedAt: number | null = null;
  readonly startedAt = Date.now();
  packetsSent = 0;
  bytesSent = 0;
  readonly #sink: ReceiveSink;
  readonly #audioIntervalMs: number;
  readonly #frameIntervalMs: number;
  readonly #audioPayload = Buffer.alloc(AUDIO_PACKET_BYTES);
  readonly #videoPayload = Buffer.alloc(VIDEO_PACKET_BYTES);

  constructor(spec: BotSpec, sink: ReceiveSink) {
    this.spec = spec;
    this.#sink = sink;
    const rate = spec.mediaRate ?? 1;
    this.#audioIntervalMs = 20 / rate;
    this.#frameIntervalMs = 1000 / 30 / rate;
    this.#videoPayload.fill(0x5a);
    this.#audioPayload.fill(0x11);
    // A minimal VP8 payload descriptor + keyframe-shaped header, so a
    // codec-aware SFU sees plausible VP8.
    this.#videoPayload[0] = 0x10;
    this.#videoPayload[1] = 0x00;
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

  async join(url: string): Promise<void> {
    const started = nowMs();
    const socket = io(url, { transports: ['websocket'], reconnection: false, timeout: 20_000 });
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
    await this.#publish();
    this.joinMs = nowMs() - started;
    if (this.spec.expects.length === 0) this.connectedAt = Date.now();
  }

  async #publish(): Promise<void> {
    if (!this.spec.audio && !this.spec.video) return;
    const pc = createSfuClientPeer();
    this.#publisher = pc;
    const rtp = new FastRtpClient(pc);
    this.#publisherRtp = rtp;
    this.#watch(pc);
    this.#audio = this.spec.audio ? pc.addTransceiver('audio', { direction: 'sendonly' }) : undefined;
    this.#video = this.spec.video ? pc.addTransceiver('video', { direction: 'sendonly' }) : undefined;
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const tracks: { mid: string; source: 'microphone' | 'camera' }[] = [];
    if (this.#audio) tracks.push({ mid: this.#audio.mid!, source: 'microphone' });
    if (this.#video) tracks.push({ mid: this.#video.mid!, source: 'camera' });
    const reply = await this.#request('publish', { sdp: pc.localDescription!.sdp, tracks });
    await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
    rtp.attach();
    await new Promise<void>((resolve, reject) => {
      if (pc.connectionState === 'connected') return resolve();
      const timer = setTimeout(() => reject(new Error('publisher did not connect')), 20_000);
      pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') {
          clearTimeout(timer);
          resolve();
        } else if (state === 'failed') {
          clearTimeout(timer);
          reject(new Error('publisher ICE/DTLS failed'));
        }
      });
    });
    this.#publishing = true;
    const now = nowMs();
    // Spread bots' send instants, as real clients are.
    this.#nextAudioAt = now + Math.random() * 20;
    this.#nextVideoAt = now + Math.random() * 33;
  }

  /** A connection that fails is rebuilt, as the real client SDK does. */
  #watch(pc: RTCPeerConnection): void {
    pc.connectionStateChange.subscribe((state) => {
      if (state !== 'failed' || this.#closed || (pc !== this.#publisher && pc !== this.#subscriber)) return;
      void this.#request('media.restart', { reason: 'ice-failed' })
        .then(() => this.#rebuildMedia())
        .catch(() => undefined);
    });
  }

  async #rebuildMedia(): Promise<void> {
    if (this.#closed || this.#rebuilding) return;
    this.#rebuilding = true;
    this.mediaRestarts++;
    try {
      this.#publishing = false;
      const old = [this.#publisher, this.#subscriber];
      this.#publisher = undefined;
      this.#publisherRtp = undefined;
      this.#subscriber = undefined;
      this.#offers = Promise.resolve();
      await Promise.allSettled(old.map((pc) => pc?.close()));
      await this.#publish();
    } finally {
      this.#rebuilding = false;
    }
  }

  async #answer(offer: { offerId: number; sdp: string }): Promise<void> {
    if (this.#closed) return;
    if (!this.#subscriber) {
      const pc = createSfuClientPeer();
      this.#subscriber = pc;
      this.#subscriberRtp = new FastRtpClient(pc);
      this.#subscriberRtp.onRtp = (packet) => this.#onRtp(packet);
      this.#watch(pc);
    }
    const pc = this.#subscriber;
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (pc !== this.#subscriber) return;
    this.#subscriberRtp!.attach();
    await this.#request('subscriber.answer', { offerId: offer.offerId, sdp: pc.localDescription!.sdp });
  }

  #onRtp(packet: MediaPacket): void {
    const payloadEnd = packet.length - packet.paddingLength;
    const probe = readProbe(packet.buffer, packet.headerLength, payloadEnd);
    if (!probe) return;
    const kind = probe.kind;
    const now = nowMs();
    const transitMs = now - probe.sentAtMs;
    // The SSRC identifies the consumer stream; the probe's seq counts packets of that stream.
    const key = packet.ssrc;
    let stream = this.#streams.get(key);
    if (!stream) {
      stream = { kind, firstSeq: probe.seq, maxSeq: probe.seq, received: 0, jitterMs: 0, lastTransitMs: null };
      this.#streams.set(key, stream);
    }
    stream.received++;
    if (probe.seq > stream.maxSeq) stream.maxSeq = probe.seq;
    if (probe.seq < stream.firstSeq) stream.firstSeq = probe.seq;
    if (stream.lastTransitMs !== null) stream.jitterMs += (Math.abs(transitMs - stream.lastTransitMs) - stream.jitterMs) / 16;
    stream.lastTransitMs = transitMs;
    this.#sink.onPacket(kind, payloadEnd - packet.headerLength, transitMs);
    if (this.connectedAt === null) {
      this.#receivedKinds.add(kind);
      if (this.spec.expects.every((k) => this.#receivedKinds.has(k))) this.connectedAt = Date.now();
    }
  }

  /** Sends whatever is due at `now` (ms); called by the process-wide scheduler. */
  tick(now: number): void {
    if (!this.#publishing || this.#closed) return;
    if (this.#audio) {
      while (this.#nextAudioAt <= now) {
        this.#send(this.#audio, 'audio', this.#audioPayload, this.#audioSeq++, this.#nextAudioAt, true);
        this.#nextAudioAt += this.#audioIntervalMs;
      }
    }
    if (this.#video) {
      while (this.#nextVideoAt <= now) {
        const packets = VIDEO_PACKETS_PER_FRAME[this.#frame++ % VIDEO_PACKETS_PER_FRAME.length]!;
        for (let i = 0; i < packets; i++) {
          this.#send(this.#video, 'video', this.#videoPayload, this.#videoSeq++, this.#nextVideoAt, i === packets - 1);
        }
        this.#nextVideoAt += this.#frameIntervalMs;
      }
    }
  }

  #send(transceiver: RTCRtpTransceiver, kind: 'audio' | 'video', payload: Buffer, seq: number, scheduledAt: number, marker: boolean): void {
    // Time-stamp with the real send instant: scheduler lateness is the bot's, not the SFU's.
    writeProbe(payload, kind, seq, nowMs());
    const clockRate = kind === 'audio' ? 48 : 90;
    const sent = this.#publisherRtp?.send(transceiver, {
      sequenceNumber: (this.#rtpSeq[kind] = (this.#rtpSeq[kind] + 1) & 0xffff),
      timestamp: Math.floor(scheduledAt * clockRate) >>> 0,
      marker,
      payload,
      // A talking level, so the SFU's active-speaker detection does its real work.
      audioLevel: kind === 'audio' ? 30 + (seq % 20) : undefined,
    });
    if (!sent) return;
    this.packetsSent++;
    this.bytesSent += payload.length;
  }

  /** Receive-side totals since start, for loss and jitter. */
  streamTotals(): { expected: number; received: number; jitterMs: number; streams: number } {
    let expected = 0;
    let received = 0;
    let jitter = 0;
    for (const s of this.#streams.values()) {
      expected += s.maxSeq - s.firstSeq + 1;
      received += Math.min(s.received, s.maxSeq - s.firstSeq + 1);
      jitter += s.jitterMs;
    }
    return { expected, received, jitterMs: this.#streams.size ? jitter / this.#streams.size : 0, streams: this.#streams.size };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#publishing = false;
    try {
      if (this.#socket?.connected) await this.#request('leave', {}).catch(() => undefined);
    } finally {
      this.#socket?.close();
      await Promise.allSettled([this.#publisher?.close(), this.#subscriber?.close()]);
    }
  }
}

export { PROBE_BYTES };
