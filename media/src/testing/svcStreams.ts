/**
 * Generated scalable-video streams for tests and the SVC benchmark: VP9 and
 * AV1 packets laid out as Chrome sends L3T3_KEY (a picture is one frame per
 * spatial layer; temporal pattern 0-2-1-2; upper layers predict from the
 * layer below only on keyframes), each packet tagged with the frame it
 * belongs to, and each frame with the frames it references, so a test can
 * check that what a filter forwards still decodes.
 */
import { RtpPacket } from 'werift';
import { parseRtp, type MediaPacket } from '../rtp/rtpPacket.ts';
import { svcStructure, writeDependencyDescriptor } from '../svc/av1.ts';
import { writeVp9Descriptor } from '../svc/vp9.ts';
import { writeVp9FrameHeader } from './vp9Frames.ts';

export interface GeneratedFrame {
  picture: number;
  spatial: number;
  temporal: number;
  keyFrame: boolean;
  /** Frames (keys `${picture}:${spatial}`) this one needs decoded first. */
  references: string[];
}

export interface GeneratedPacket {
  packet: MediaPacket;
  frame: GeneratedFrame;
  /** Last packet of its frame. */
  endOfFrame: boolean;
}

export const frameKey = (picture: number, spatial: number) => `${picture}:${spatial}`;
const TEMPORAL_PATTERN = [0, 2, 1, 2];
export const RESOLUTIONS: [number, number][] = [
  [320, 180],
  [640, 360],
  [1280, 720],
];

export interface StreamOptions {
  codec: 'vp9' | 'av1';
  pictures: number;
  spatialLayers?: number;
  temporalLayers?: number;
  /** A keyframe every this many pictures (and at picture 0). */
  keyFrameInterval?: number;
  packetsPerFrame?: number;
  payloadBytes?: number;
  firstSequenceNumber?: number;
  ssrc?: number;
  /** Header extension id of the dependency descriptor (AV1). */
  dependencyDescriptorId?: number;
  /** Start each VP9 frame with a real uncompressed header carrying its size (a receiver can read its resolution). */
  frameHeaders?: boolean;
  /** Payload bytes of each packet of spatial layer s (overrides payloadBytes). */
  layerPayloadBytes?: number[];
  /** performance.now()-like arrival time of picture p (for layer bitrates). */
  arrival?: (picture: number) => number;
}

function temporalId(picture: number, temporalLayers: number, sinceKey: number): number {
  if (sinceKey === 0) return 0;
  const t = TEMPORAL_PATTERN[picture % 4]!;
  if (temporalLayers === 1) return 0;
  if (temporalLayers === 2) return t === 0 ? 0 : 1;
  return t;
}

/**
 * The reference of a delta frame of layer `s` with temporal id `t`: the latest
 * earlier picture of its layer with temporal id 0 (t = 0) or below t.
 */
function deltaReference(frames: Map<number, GeneratedFrame[]>, picture: number, s: number, t: number, lastKey: number): string[] {
  for (let p = picture - 1; p >= lastKey; p--) {
    const f = frames.get(p)?.[s];
    if (f && (t === 0 ? f.temporal === 0 : f.temporal < t)) return [frameKey(p, s)];
  }
  return [];
}

export function generateStream(options: StreamOptions): GeneratedPacket[] {
  const S = options.spatialLayers ?? 3;
  const T = options.temporalLayers ?? 3;
  const keyEvery = options.keyFrameInterval ?? 1e9;
  const perFrame = options.packetsPerFrame ?? 2;
  const payloadBytes = options.payloadBytes ?? 200;
  const ssrc = options.ssrc ?? 0x1234;
  const ddId = options.dependencyDescriptorId ?? 5;
  const structure = svcStructure(S, T, RESOLUTIONS.slice(3 - S));
  const out: GeneratedPacket[] = [];
  const frames = new Map<number, GeneratedFrame[]>();
  let seq = options.firstSequenceNumber ?? 1000;
  let frameNumber = 0;
  let lastKey = 0;
  for (let p = 0; p < options.pictures; p++) {
    const keyFrame = p % keyEvery === 0;
    if (keyFrame) lastKey = p;
    const t = temporalId(p, T, p - lastKey);
    const layerFrames: GeneratedFrame[] = [];
    frames.set(p, layerFrames);
    for (let s = 0; s < S; s++) {
      const references = keyFrame ? (s > 0 ? [frameKey(p, s - 1)] : []) : deltaReference(frames, p, s, t, lastKey);
      const frame: GeneratedFrame = { picture: p, spatial: s, temporal: t, keyFrame, references };
      layerFrames.push(frame);
      // Template index within svcStructure: per spatial layer [switch(t0), t0, t1, t2].
      const templateId = s * (T + 1) + (keyFrame ? 0 : 1 + t);
      for (let k = 0; k < perFrame; k++) {
        const begin = k === 0;
        const end = k === perFrame - 1;
        const buf = Buffer.alloc(2048);
        buf[0] = 0x80;
        buf[1] = (end && s === S - 1 ? 0x80 : 0) | 98;
        buf.writeUInt16BE(seq & 0xffff, 2);
        buf.writeUInt32BE((p * 3000) >>> 0, 4);
        buf.writeUInt32BE(ssrc, 8);
        let o = 12;
        if (options.codec === 'av1') {
          const dd = writeDependencyDescriptor({
            startOfFrame: begin,
            endOfFrame: end,
            templateId,
            frameNumber: frameNumber & 0xffff,
            structure: keyFrame && s === 0 && begin ? structure : undefined,
          });
          // Two-byte header extension form: a descriptor with its structure exceeds 16 bytes.
          const words = Math.ceil((2 + dd.length) / 4);
          buf[0] |= 0x10;
          buf.writeUInt16BE(0x1000, o);
          buf.writeUInt16BE(words, o + 2);
          buf[o + 4] = ddId;
          buf[o + 5] = dd.length;
          dd.copy(buf, o + 6);
          o += 4 + words * 4;
          buf.fill(0xa1, o, o + payloadBytes);
          o += payloadBytes;
        } else {
          o += writeVp9Descriptor(buf, o, {
            pictureId: p & 0x7fff,
            interPicturePredicted: !keyFrame,
            flexible: true,
            begin,
            end,
            temporalId: t,
            spatialId: s,
            switchingUp: t > 0,
            interLayerDependency: keyFrame && s > 0,
            pDiffs: keyFrame ? undefined : [1],
            resolutions: keyFrame && s === 0 && begin ? RESOLUTIONS.slice(3 - S) : undefined,
          });
          const bytes = options.layerPayloadBytes?.[s] ?? payloadBytes;
          buf.fill(0xa1, o, o + bytes);
          if (options.frameHeaders && begin) {
            const [width, height] = RESOLUTIONS[3 - S + s]!;
            writeVp9FrameHeader({ keyFrame: keyFrame && s === 0, width, height, refresh: 1 << s }).copy(buf, o);
          }
          o += bytes;
        }
        const packet = parseRtp(buf, o)!;
        packet.receivedAt = options.arrival ? options.arrival(p) : p * 33.3;
        out.push({ packet, frame, endOfFrame: end });
        seq++;
      }
      frameNumber++;
    }
  }
  return out;
}

/**
 * Checks what a filter forwarded: whole frames only, each frame's references
 * forwarded before it, and contiguous output sequence numbers. Returns the
 * problems found (empty: the stream decodes).
 */
export function checkDecodable(forwarded: { generated: GeneratedPacket; sequenceNumber: number; marker: boolean }[]): string[] {
  const problems: string[] = [];
  const packetsOf = new Map<string, number>();
  const complete = new Set<string>();
  for (let i = 0; i < forwarded.length; i++) {
    const { generated, sequenceNumber } = forwarded[i]!;
    if (i > 0 && sequenceNumber !== ((forwarded[i - 1]!.sequenceNumber + 1) & 0xffff)) {
      problems.push(`sequence gap before ${sequenceNumber}`);
    }
    const key = frameKey(generated.frame.picture, generated.frame.spatial);
    packetsOf.set(key, (packetsOf.get(key) ?? 0) + 1);
    if (generated.endOfFrame) {
      for (const ref of generated.frame.references) {
        if (!complete.has(ref)) problems.push(`frame ${key} references ${ref}, which was not forwarded`);
      }
      complete.add(key);
    }
  }
  return problems;
}

/** A VP9 L3T3_KEY camera of about 1 Mbps (S0 ≈ 100 kbps, S1 ≈ 290, S2 ≈ 530) with a keyframe every second, `seconds` long. */
export function vp9CameraStream(seconds: number, picturesPerSecond: number): GeneratedPacket[] {
  return generateStream({
    codec: 'vp9',
    pictures: picturesPerSecond * seconds,
    keyFrameInterval: picturesPerSecond,
    frameHeaders: true,
    layerPayloadBytes: [200, 600, 1100],
  });
}

/**
 * Sends `stream` through a werift RTP sender in real time, one picture (all
 * its layers' packets) per tick at `picturesPerSecond`, as a camera would.
 * Returns the stop function.
 */
export function playStream(sender: { sendRtp(packet: RtpPacket): Promise<unknown> }, stream: GeneratedPacket[], picturesPerSecond: number): () => void {
  let next = 0;
  const timer = setInterval(() => {
    const picture = stream[next]?.frame.picture;
    while (next < stream.length && stream[next]!.frame.picture === picture) {
      const g = stream[next++]!;
      sender.sendRtp(RtpPacket.deSerialize(Buffer.from(g.packet.buffer.subarray(0, g.packet.length)))).catch(() => undefined);
    }
  }, 1000 / picturesPerSecond);
  return () => clearInterval(timer);
}
