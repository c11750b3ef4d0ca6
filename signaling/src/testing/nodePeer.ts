import wrtc from '@roamhq/wrtc';
import { Room } from '../client/Room.ts';

const { RTCVideoSource, RTCAudioSource } = (wrtc as unknown as { nonstandard: Record<string, new () => any> }).nonstandard;

/**
 * A meeting participant in Node, on real libwebrtc (@roamhq/wrtc), publishing
 * a synthetic camera (moving I420 frames) and a tone, through the same client
 * SDK the browser uses.
 */
export class NodePeer {
  readonly room: Room;
  readonly #timers: NodeJS.Timeout[] = [];
  #frame = 0;

  /** `accessToken`: join signed in, as the account (calls' private rooms admit only their two people). */
  constructor(url: string, options: { accessToken?: string } = {}) {
    this.room = new Room({ url, RTCPeerConnection: wrtc.RTCPeerConnection as unknown as typeof RTCPeerConnection, ...(options.accessToken ? { accessToken: options.accessToken } : {}) });
  }

  async join(roomId: string, name: string, options: { audio?: boolean; video?: boolean } = { audio: true, video: true }): Promise<void> {
    await this.room.connect(roomId, name);
    if (options.audio !== false) await this.room.publishTrack(this.#audioTrack(), 'microphone');
    if (options.video !== false) await this.room.publishTrack(this.#videoTrack(), 'camera');
  }

  #videoTrack(): MediaStreamTrack {
    const source = new RTCVideoSource();
    const width = 320;
    const height = 240;
    const data = new Uint8ClampedArray((width * height * 3) / 2);
    this.#timers.push(
      setInterval(() => {
        // A moving gradient: the encoder has real work and frames differ.
        const shift = this.#frame++ % 255;
        for (let i = 0; i < width * height; i++) data[i] = (i + shift) & 0xff;
        data.fill(128, width * height);
        source.onFrame({ width, height, data });
      }, 1000 / 15),
    );
    return source.createTrack();
  }

  #audioTrack(): MediaStreamTrack {
    const source = new RTCAudioSource();
    const sampleRate = 48000;
    const samples = new Int16Array(sampleRate / 100);
    let phase = 0;
    this.#timers.push(
      setInterval(() => {
        for (let i = 0; i < samples.length; i++) samples[i] = Math.sin((phase++ * 2 * Math.PI * 440) / sampleRate) * 8000;
        source.onData({ samples, sampleRate, bitsPerSample: 16, channelCount: 1, numberOfFrames: samples.length });
      }, 10),
    );
    return source.createTrack();
  }

  /** Packets received on the subscriber connection, per kind, from inbound-rtp stats. */
  async inboundPackets(): Promise<{ audio: number; video: number; framesDecoded: number }> {
    const pc = this.room.peerConnections.subscriber;
    const totals = { audio: 0, video: 0, framesDecoded: 0 };
    if (!pc) return totals;
    const stats = await pc.getStats();
    stats.forEach((s: any) => {
      if (s.type !== 'inbound-rtp') return;
      const kind = s.kind ?? s.mediaType;
      if (kind === 'audio') totals.audio += s.packetsReceived ?? 0;
      if (kind === 'video') {
        totals.video += s.packetsReceived ?? 0;
        totals.framesDecoded += s.framesDecoded ?? 0;
      }
    });
    return totals;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await this.room.leave();
  }
}
