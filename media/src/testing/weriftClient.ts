/**
 * werift client peers for tests and the benchmark: a publisher that offers
 * sendonly audio + video to a 'send' transport, and a subscriber that answers
 * a 'recv' transport's offer. Everything stays on loopback, with no STUN.
 */
import { RTCPeerConnection, RtpHeader, RtpPacket, type RTCRtpTransceiver } from 'werift';
import { supportedCodecs, type MediaKind } from '../codecs.ts';
import { createSfuClientPeer as createClientPeer } from '../peer.ts';
import type { MediaConfig } from '../config.ts';

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/** The SFU side's config for in-process tests: loopback only, no STUN/TURN. */
export function loopbackMediaConfig(overrides: Partial<MediaConfig> = {}): MediaConfig {
  return { numWorkers: 1, iceServers: [], additionalHostAddresses: ['127.0.0.1'], ...overrides };
}

export { createClientPeer };

export interface ClientPublisher {
  pc: RTCPeerConnection;
  audio: RTCRtpTransceiver;
  video: RTCRtpTransceiver;
  /** mid → source, as the signaling layer would pass to `publish`. */
  tracks: { mid: string; source: string }[];
}

/** Something that negotiates a publisher's offer: a WebRtcTransport, or a Worker request. */
export type PublishFn = (offerSdp: string, tracks: { mid: string; source: string }[]) => Promise<{ sdp: string }>;

export async function publishAudioVideo(publish: PublishFn): Promise<ClientPublisher> {
  const pc = createClientPeer();
  const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
  const video = pc.addTransceiver('video', { direction: 'sendonly' });
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const tracks = [
    { mid: audio.mid!, source: 'microphone' },
    { mid: video.mid!, source: 'camera' },
  ];
  const { sdp } = await publish(pc.localDescription!.sdp, tracks);
  await pc.setRemoteDescription({ type: 'answer', sdp });
  return { pc, audio, video, tracks };
}

/** A werift peer publishing one camera whose video prefers `mimeType` (e.g. 'video/VP9'); `published` is what `publish` answered. */
export async function publishCamera<R extends { sdp: string }>(
  publish: (offerSdp: string, tracks: { mid: string; source: string }[]) => Promise<R>,
  mimeType: string,
): Promise<{ pc: RTCPeerConnection; video: RTCRtpTransceiver; published: R }> {
  const pc = createClientPeer();
  const video = pc.addTransceiver('video', { direction: 'sendonly' });
  video.setCodecPreferences(supportedCodecs().video.filter((c) => c.mimeType === mimeType));
  await pc.setLocalDescription(await pc.createOffer());
  const published = await publish(pc.localDescription!.sdp, [{ mid: video.mid!, source: 'camera' }]);
  await pc.setRemoteDescription({ type: 'answer', sdp: published.sdp });
  return { pc, video, published };
}

/**
 * Answers an SFU offer on `pc` and hands the answer back. Subscribe to
 * `pc.onTrack` (e.g. collectRtp) before: tracks are announced during this call.
 */
export async function answerOffer(
  pc: RTCPeerConnection,
  offerSdp: string,
  applyAnswer: (sdp: string) => Promise<void>,
): Promise<RTCPeerConnection> {
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  await applyAnswer(pc.localDescription!.sdp);
  return pc;
}

/** Collects every RTP packet arriving on `pc`'s tracks, keyed by kind. */
export function collectRtp(pc: RTCPeerConnection): Map<MediaKind, RtpPacket[]> {
  const byKind = new Map<MediaKind, RtpPacket[]>([
    ['audio', []],
    ['video', []],
  ]);
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => byKind.get(track.kind as MediaKind)!.push(rtp));
  });
  return byKind;
}

/** A synthetic packet source for one transceiver: Opus-sized audio or VP8-sized video. */
export class SyntheticSource {
  readonly #transceiver: RTCRtpTransceiver;
  readonly #clockRate: number;
  #seq = Math.floor(Math.random() * 65536);
  readonly #timestampBase = Math.floor(Math.random() * 2 ** 31);
  readonly #startedAt = Date.now();
  sent = 0;

  constructor(transceiver: RTCRtpTransceiver) {
    this.#transceiver = transceiver;
    this.#clockRate = transceiver.kind === 'audio' ? 48000 : 90000;
  }

  /** Sends one packet; `payload` defaults to a recognisable pattern of `size` bytes. */
  send(options: { size?: number; payload?: Buffer; audioLevelDbov?: number; marker?: boolean } = {}): void {
    const size = options.size ?? (this.#transceiver.kind === 'audio' ? 100 : 1100);
    const payload = options.payload ?? Buffer.alloc(size, this.sent & 0xff);
    const timestamp = (this.#timestampBase + Math.floor(((Date.now() - this.#startedAt) * this.#clockRate) / 1000)) >>> 0;
    const header = new RtpHeader({
      sequenceNumber: this.#seq,
      timestamp,
      marker: options.marker ?? true,
      payloadType: 96, // rewritten by the sender to the negotiated type
    });
    if (options.audioLevelDbov !== undefined) {
      const ext = this.#transceiver.headerExtensions.find((e) => e.uri === AUDIO_LEVEL_URI);
      if (ext) {
        header.extension = true;
        header.extensions = [{ id: ext.id, payload: Buffer.from([0x80 | (options.audioLevelDbov & 0x7f)]) }];
      }
    }
    this.#seq = (this.#seq + 1) & 0xffff;
    this.sent++;
    this.#transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
  }
}

export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Anything with a connection state: a werift RTCPeerConnection or a WebRtcTransport. */
export interface Connectable {
  readonly connectionState: string;
}

/**
 * Resolves once every endpoint is 'connected'; rejects as soon as one has
 * 'failed' or at the deadline. werift gives a DTLS handshake only ~4.5 s for
 * a peer's flight to arrive, which a starved event loop (a loaded 2-core CI
 * box) can miss; callers retry the set-up rather than wait for media forever.
 */
export async function waitConnected(endpoints: Record<string, Connectable>, timeoutMs: number): Promise<void> {
  const describe = () =>
    Object.entries(endpoints)
      .map(([name, e]) => `${name}=${e.connectionState}`)
      .join(' ');
  await waitFor(
    () => {
      const states = Object.values(endpoints).map((e) => e.connectionState);
      if (states.some((s) => s === 'failed' || s === 'closed')) throw new Error(`connection failed: ${describe()}`);
      return states.every((s) => s === 'connected');
    },
    timeoutMs,
    'connections',
  ).catch((error: Error) => {
    throw new Error(`${error.message} (${describe()})`);
  });
}

/** Runs `attempt` up to `times` times; each failed attempt disposes what it built. */
export async function withRetries<T>(
  times: number,
  attempt: (dispose: (fn: () => unknown) => void) => Promise<T>,
): Promise<{ value: T; dispose: () => Promise<void> }> {
  let lastError: unknown;
  for (let i = 0; i < times; i++) {
    const disposers: (() => unknown)[] = [];
    const dispose = async () => {
      for (const fn of disposers.splice(0).reverse()) await fn();
    };
    try {
      const value = await attempt((fn) => disposers.push(fn));
      return { value, dispose };
    } catch (error) {
      lastError = error;
      await dispose();
    }
  }
  throw lastError;
}
