import { Vp9Descriptor, parseVp9Descriptor } from '@muster/media';
import type { RtpPacket } from './RtpPacket.ts';
import type { Depacketizer, DepacketizerEvents } from './Depacketizer.ts';
import { Vp9FrameHeaderReader, hideVp9Frame, vp9ShowExistingFrame } from './Vp9FrameHeader.ts';
import { buildVp9Superframe, parseVp9SuperframeIndex } from './Vp9Superframe.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'recorder' });

/** Without an announced top layer (or when it stopped): the highest layer seen within this much RTP time (1 s). */
const TOP_LAYER_WINDOW = 90_000;
/** The announced top layer counts while it was seen (or announced) within this much RTP time (2 s). */
const ANNOUNCED_LAYER_WINDOW = 180_000;
/** A missing top-layer frame is replaced by the previous one if that is this recent (0.5 s); otherwise the picture shows nothing. */
const REPEAT_WINDOW = 45_000;

interface LayerFrame {
  spatialId: number;
  chunks: Buffer[];
  complete: boolean;
}

/**
 * VP9 over RTP (RFC 9628) back into frames, every spatial layer kept: the
 * layer frames of one picture (one RTP timestamp) become one superframe,
 * lowest layer first, with every frame but the last hidden (show_frame = 0),
 * so any decoder shows the top layer once per picture. A non-scalable
 * stream's pictures have one frame and pass as they are.
 *
 * Takes packets in sequence order (RtpJitterBuffer). A picture with a
 * missing packet is dropped, and since later pictures may reference it,
 * nothing is emitted until the next keyframe, which is asked for.
 */
export class Vp9Depacketizer implements Depacketizer {
  readonly #events: DepacketizerEvents;
  readonly #d = new Vp9Descriptor();
  readonly #headers = new Vp9FrameHeaderReader();
  #timestamp = -1;
  #frames: LayerFrame[] = [];
  #broken = false;
  #needKeyFrame = true;
  #warned = false;
  /** Resolution of the top spatial layer, from the scalability structure (keyframes carry it). */
  #size?: { width: number; height: number };
  /** Per reference slot: which layer's frame of which picture it holds. */
  readonly #slots: ({ spatialId: number; timestamp: number } | undefined)[] = new Array(8).fill(undefined);
  /** Per spatial layer: the RTP timestamp of its latest frame. */
  readonly #lastSeen: (number | undefined)[] = [];
  #topSize?: { width: number; height: number };
  /** Spatial layers in the latest scalability structure, and the RTP time it came; 0 before one. */
  #announcedLayers = 0;
  #top = -1;
  #announcedAt = 0;
  /** Pictures dropped (incomplete, or before a keyframe). */
  dropped = 0;
  /** Pictures without a top-layer frame that repeated the previous one. */
  repeated = 0;
  /** Pictures without a top-layer frame that show nothing (kept for their references). */
  hidden = 0;

  constructor(events: DepacketizerEvents) {
    this.#events = events;
  }

  push(packet: RtpPacket): void {
    const d = this.#d;
    if (!parseVp9Descriptor(packet.payload, 0, packet.payload.length, d)) {
      this.#broken = true;
      return;
    }
    if (packet.timestamp !== this.#timestamp) {
      this.#finish();
      this.#timestamp = packet.timestamp;
    }
    if (d.hasScalabilityStructure && d.spatialLayers > 0) {
      this.#announcedLayers = d.spatialLayers;
      this.#announcedAt = packet.timestamp;
      if (d.hasResolutions) this.#size = { width: d.widths[d.spatialLayers - 1]!, height: d.heights[d.spatialLayers - 1]! };
    }
    const data = packet.payload.subarray(d.payloadOffset);
    let frame = this.#frames[this.#frames.length - 1];
    if (d.beginOfFrame) {
      if (frame && !frame.complete) this.#broken = true;
      frame = { spatialId: d.spatialId, chunks: [], complete: false };
      this.#frames.push(frame);
    } else if (!frame || frame.complete || frame.spatialId !== d.spatialId) {
      // The start of this layer frame was lost.
      this.#broken = true;
      return;
    }
    frame.chunks.push(data);
    if (d.endOfFrame) frame.complete = true;
    if (packet.marker) this.#finish();
  }

  lost(): void {
    this.#broken = true;
  }

  /** Emits the picture gathered so far if it is whole, drops it otherwise. */
  #finish(): void {
    const frames = this.#frames;
    const broken = this.#broken || frames.some((f) => !f.complete);
    this.#frames = [];
    this.#broken = false;
    if (broken) return this.#drop();
    if (frames.length === 0) return;
    const layerFrames: Buffer[] = [];
    const spatialIds: number[] = [];
    for (const f of frames) {
      const data = Buffer.concat(f.chunks);
      for (const part of parseVp9SuperframeIndex(data) ?? [data]) {
        layerFrames.push(part);
        spatialIds.push(f.spatialId);
      }
    }
    const keyFrame = spatialIds[0] === 0 && isVp9KeyFrame(layerFrames[0]!);
    if (this.#needKeyFrame && !keyFrame) return this.#drop();
    this.#needKeyFrame = false;
    const timestamp = this.#timestamp;
    let out: Buffer[] = layerFrames;
    let size = this.#size;
    try {
      const infos = layerFrames.map((f) => this.#headers.read(f));
      out = layerFrames.map((f, i) => (i < layerFrames.length - 1 ? hideVp9Frame(f, infos[i]!) : f));
      // Which slots now hold which layer's frame (a repeat below shows one again).
      infos.forEach((info, i) => {
        for (let slot = 0; slot < 8; slot++) if (info.refresh & (1 << slot)) this.#slots[slot] = { spatialId: spatialIds[i]!, timestamp };
      });
      const here = Math.max(...spatialIds);
      for (let sid = 0; sid <= here; sid++) if (spatialIds.includes(sid)) this.#lastSeen[sid] = timestamp;
      const top = this.#topLayer(timestamp);
      if (top !== this.#top && process.env.MUSTER_RECORDER_DEBUG) {
        log.debug({ from: this.#top, to: top, announced: this.#announcedLayers, spatialIds }, 'VP9 top layer changed');
      }
      this.#top = top;
      const last = infos[infos.length - 1]!;
      if (here >= top) {
        this.#topSize = { width: last.width, height: last.height };
      } else {
        // No top-layer frame in this picture. Show the last one again if a
        // slot still holds it (show_existing_frame), else show nothing: the
        // previous top-layer picture stays on screen either way, so the
        // file keeps the top layer's size. (Chromium's top-layer T2 frames
        // are stored in no slot; a lower layer's frame is never shown.)
        const slot = this.#slots.findIndex((o) => o?.spatialId === top && o.timestamp === this.#lastSeen[top]);
        const age = (timestamp - (this.#lastSeen[top] ?? timestamp)) | 0;
        const repeat = slot >= 0 && age < REPEAT_WINDOW && last.profile <= 2;
        out = layerFrames.map((f, i) => hideVp9Frame(f, infos[i]!));
        if (repeat) out.push(vp9ShowExistingFrame(last.profile, slot));
        if (repeat) this.repeated++;
        else this.hidden++;
      }
      if (this.#topSize) size = this.#topSize;
    } catch (error) {
      // Still decodable; only a decoder that shows every frame shows the lower layers too.
      if (!this.#warned) log.warn({ err: error }, 'VP9 header not understood, layers left visible');
      this.#warned = true;
    }
    this.#events.onFrame(buildVp9Superframe(out), timestamp, keyFrame, size);
  }

  /**
   * The spatial layer the file shows: the highest the publisher says it
   * sends (the scalability structure, resent when layers are switched on or
   * off), as long as that layer has been seen lately; else the highest seen
   * lately. The encoder skips top-layer frames under load without a new
   * structure, and a picture without one must not show a smaller frame; at
   * the start the top layer may lag the keyframe by a few pictures.
   */
  #topLayer(timestamp: number): number {
    const recent = (at: number | undefined, window: number) => at !== undefined && ((timestamp - at) | 0) < window;
    const announced = this.#announcedLayers - 1;
    if (announced >= 0 && recent(this.#lastSeen[announced] ?? this.#announcedAt, ANNOUNCED_LAYER_WINDOW)) return announced;
    let top = 0;
    this.#lastSeen.forEach((at, sid) => {
      if (recent(at, TOP_LAYER_WINDOW)) top = sid;
    });
    return top;
  }

  /** A picture that cannot be decoded (incomplete, or before the first keyframe): later ones wait for a keyframe. */
  #drop(): void {
    this.dropped++;
    this.#needKeyFrame = true;
    this.#events.onKeyFrameNeeded();
  }
}

/** A VP9 frame header says key frame (frame_type = 0, not show_existing_frame). */
export function isVp9KeyFrame(frame: Buffer): boolean {
  const b = frame[0];
  if (b === undefined || b >> 6 !== 2) return false;
  const profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
  // Bits after the profile: [reserved_zero (profile 3)], show_existing_frame, frame_type.
  let pos = profile === 3 ? 5 : 4;
  const bit = (p: number) => ((frame[p >> 3] ?? 0) >> (7 - (p & 7))) & 1;
  if (bit(pos++)) return false;
  return bit(pos) === 0;
}
