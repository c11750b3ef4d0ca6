import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import { createSfuClientPeer, FastRtpClient, type MediaPacket } from '@muster/media';
import type { BotSpec, ReceiveSink } from './Bot.ts';
import { nowMs, readProbe, writeProbe } from './payload.ts';

/** A track of the publisher's offer, for a protocol that names them (Muster's `publish`). */
export interface OfferedTrack {
  mid: string;
  source: 'microphone' | 'camera';
}

/** Carries the publisher's offer to the server and resolves to the server's answer SDP. */
export type PublishSignal = (offerSdp: string, tracks: OfferedTrack[]) => Promise<string>;

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
const AUDIO_PACKETS_PER_SEC = 50;
const VIDEO_FRAMES_PER_SEC = 30;
/** Packets per 30 fps frame, alternating, for about 75 packets/s: ~600 kbps at 1000 bytes. */
const VIDEO_PACKETS_PER_FRAME = [2, 3];

/** What a bot sends of each kind at media rate 1 (the real rates), for reports to state what a reduced rate means. */
export const REAL_RATES = {
  audio: { packetsPerSec: AUDIO_PACKETS_PER_SEC, payloadBytes: AUDIO_PACKET_BYTES },
  video: { packetsPerSec: (VIDEO_FRAMES_PER_SEC * VIDEO_PACKETS_PER_FRAME.reduce((a, b) => a + b, 0)) / VIDEO_PACKETS_PER_FRAME.length, payloadBytes: VIDEO_PACKET_BYTES },
} as const;

/**
 * The media half of a bot, whatever SFU it signals with: a publisher
 * connection that sends Opus- and VP8-sized packets at real rates, and a
 * subscriber connection that answers the server's offers and measures what
 * arrives (probe latency, loss, jitter). The signalling half hands it SDP and
 * carries its SDP away: `Bot` speaks Muster's protocol, `JanusBot`
 * (peers/janus/) Janus's, so both SFUs see byte-for-byte the same media.
 *
 * werift does the signalling-level WebRTC (SDP, ICE, DTLS, RTCP) exactly as
 * for the SFU; RTP goes through the SFU's own packet path (FastRtpClient),
 * so that one machine can generate several times more load than with
 * werift's per-packet objects, and the CPU goes to the server under test.
 */
export class BotMedia {
  readonly #spec: BotSpec;
  readonly #sink: ReceiveSink;
  readonly #onFailed: () => void;
  readonly #remoteHosts?: string[];
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
  /** Held (a call not answered yet): connected, sending nothing until `release()`. */
  #held: boolean;
  #closed = false;
  readonly #streams = new Map<number, InboundStream>();
  readonly #receivedKinds = new Set<'audio' | 'video'>();
  /** When every expected kind has arrived: the call is connected for this bot. */
  connectedAt: number | null = null;
  /** The server address this bot's published media goes to (the ICE pair chosen), once publishing: which media host its room is on. */
  mediaAddress: string | null = null;
  packetsSent = 0;
  bytesSent = 0;
  readonly #audioIntervalMs: number;
  readonly #frameIntervalMs: number;
  readonly #audioPayload = Buffer.alloc(AUDIO_PACKET_BYTES);
  readonly #videoPayload = Buffer.alloc(VIDEO_PACKET_BYTES);

  /**
   * `onFailed`: a current connection's ICE/DTLS failed (the signalling half
   * decides whether to rebuild). `remoteHosts`: the addresses the server's
   * candidates may have, when not 127.0.0.1 (see createSfuClientPeer).
   */
  constructor(spec: BotSpec, sink: ReceiveSink, onFailed: () => void, remoteHosts?: string[]) {
    this.#spec = spec;
    this.#sink = sink;
    this.#onFailed = onFailed;
    this.#remoteHosts = remoteHosts;
    this.#held = spec.held ?? false;
    const rate = spec.mediaRate ?? 1;
    this.#audioIntervalMs = 1000 / AUDIO_PACKETS_PER_SEC / rate;
    this.#frameIntervalMs = 1000 / VIDEO_FRAMES_PER_SEC / rate;
    this.#videoPayload.fill(0x5a);
    this.#audioPayload.fill(0x11);
    // A minimal VP8 payload descriptor + keyframe-shaped header, so a
    // codec-aware SFU sees plausible VP8.
    this.#videoPayload[0] = 0x10;
    this.#videoPayload[1] = 0x00;
  }

  /** Offers the bot's tracks through `signal`, waits for ICE + DTLS, then starts sending. */
  async publish(signal: PublishSignal): Promise<void> {
    if (this.#spec.audio || this.#spec.video) await this.#startPublisher(signal);
    // A bot that expects nothing (a webinar presenter) is connected once it publishes.
    if (this.#spec.expects.length === 0) this.connectedAt ??= Date.now();
  }

  async #startPublisher(signal: PublishSignal): Promise<void> {
    const pc = createSfuClientPeer({ remoteHosts: this.#remoteHosts });
    this.#publisher = pc;
    const rtp = new FastRtpClient(pc);
    this.#publisherRtp = rtp;
    this.#watch(pc);
    this.#audio = this.#spec.audio ? pc.addTransceiver('audio', { direction: 'sendonly' }) : undefined;
    this.#video = this.#spec.video ? pc.addTransceiver('video', { direction: 'sendonly' }) : undefined;
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const tracks: OfferedTrack[] = [];
    if (this.#audio) tracks.push({ mid: this.#audio.mid!, source: 'microphone' });
    if (this.#video) tracks.push({ mid: this.#video.mid!, source: 'camera' });
    const answerSdp = await signal(pc.localDescription!.sdp, tracks);
    await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
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
    this.mediaAddress = pc.iceTransports[0]?.connection.nominated?.remoteCandidate.host ?? null;
    this.#startSendingAt(nowMs());
  }

  #startSendingAt(now: number): void {
    // Spread bots' send instants, as real clients are.
    this.#nextAudioAt = now + Math.random() * 20;
    this.#nextVideoAt = now + Math.random() * 33;
  }

  /**
   * Starts sending what was held (`spec.held`), from now on: not a burst of
   * everything that fell due meanwhile. A browser's encoders run while its
   * call is held and the SFU drops their packets; the bots send nothing
   * instead, so that every packet they count as sent is one the SFU should
   * forward, and sent against received is the loss.
   */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#startSendingAt(nowMs());
  }

  #watch(pc: RTCPeerConnection): void {
    pc.connectionStateChange.subscribe((state) => {
      if (state !== 'failed' || this.#closed || (pc !== this.#publisher && pc !== this.#subscriber)) return;
      this.#onFailed();
    });
  }

  /**
   * Applies the server's subscriber offer (one at a time, as a browser's
   * signaling state machine requires) and returns the answer SDP to send back;
   * null when the connection was reset meanwhile and the answer is moot.
   */
  async answer(offerSdp: string): Promise<string | null> {
    if (this.#closed) return null;
    if (!this.#subscriber) {
      const pc = createSfuClientPeer({ remoteHosts: this.#remoteHosts });
      this.#subscriber = pc;
      this.#subscriberRtp = new FastRtpClient(pc);
      this.#subscriberRtp.onRtp = (packet) => this.#onRtp(packet);
      this.#watch(pc);
    }
    const pc = this.#subscriber;
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (pc !== this.#subscriber) return null;
    this.#subscriberRtp!.attach();
    return pc.localDescription!.sdp;
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
      if (this.#spec.expects.every((k) => this.#receivedKinds.has(k))) this.connectedAt = Date.now();
    }
  }

  /** Sends whatever is due at `now` (ms); called by the process-wide scheduler. */
  tick(now: number): void {
    if (!this.#publishing || this.#held || this.#closed) return;
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

  /** Stops sending and closes both connections, so that signalling can publish anew (a media restart). */
  async reset(): Promise<void> {
    this.#publishing = false;
    const old = [this.#publisher, this.#subscriber];
    this.#publisher = undefined;
    this.#publisherRtp = undefined;
    this.#subscriber = undefined;
    await Promise.allSettled(old.map((pc) => pc?.close()));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#publishing = false;
    await Promise.allSettled([this.#publisher?.close(), this.#subscriber?.close()]);
  }
}
