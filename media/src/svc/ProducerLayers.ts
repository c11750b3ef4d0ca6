/**
 * What a video producer's packets say about their layers, read once per
 * packet by the Producer before its consumers see it (consumers read it back
 * synchronously during the fan-out): the VP9 payload descriptor or the AV1
 * dependency descriptor, the resolution of each spatial layer when the
 * stream announces it, and the bitrate of each (spatial, temporal) layer.
 */
import { performance } from 'node:perf_hooks';
import type { MediaPacket } from '../rtp/rtpPacket.ts';
import { Av1Descriptor, DTI_SWITCH, decodeTargetFor, parseDependencyDescriptor, type Av1TemplateStructure } from './av1.ts';
import { extensionLength } from '../rtp/rtpPacket.ts';
import { MAX_SPATIAL_LAYERS, MAX_TEMPORAL_LAYERS, Vp9Descriptor, parseVp9Descriptor } from './vp9.ts';
import { Vp8Descriptor, parseVp8Descriptor } from './vp8.ts';

/** VP9 and AV1 carry SVC layers in one stream; 'vp8' here means VP8 simulcast (one SSRC per encoding). */
export type ScalableCodec = 'vp9' | 'av1' | 'vp8';

/** Layer bitrates are measured over windows of this length. */
const RATE_WINDOW_MS = 1000;
const LAYERS = MAX_SPATIAL_LAYERS * MAX_TEMPORAL_LAYERS;

export interface LayerBitrate {
  spatialLayer: number;
  temporalLayer: number;
  /** bits per second of this layer alone, over the last second. */
  bitrate: number;
}

export function scalableCodecOf(mimeType: string): ScalableCodec | null {
  const m = mimeType.toLowerCase();
  if (m === 'video/vp9') return 'vp9';
  if (m === 'video/av1') return 'av1';
  return null;
}

export class ProducerLayers {
  readonly codec: ScalableCodec;
  readonly vp9 = new Vp9Descriptor();
  readonly av1 = new Av1Descriptor();
  readonly vp8 = new Vp8Descriptor();
  /** Simulcast: the encoding (0 = lowest) of the packet being parsed, set by the Producer. */
  encoding = 0;
  /** The dependency descriptor's extension id on the publisher's transport (AV1). */
  dependencyDescriptorId = 0;
  av1Structure?: Av1TemplateStructure;
  /** The last packet parsed cleanly. */
  valid = false;
  /** Spatial / temporal layers seen so far (highest id + 1). */
  spatialLayers = 1;
  temporalLayers = 1;
  /** Width and height of each spatial layer, once announced (0 until then). */
  readonly widths = new Uint16Array(MAX_SPATIAL_LAYERS);
  readonly heights = new Uint16Array(MAX_SPATIAL_LAYERS);
  // Bytes per layer in the current window, and the rates of the last full one.
  readonly #bytes = new Float64Array(LAYERS);
  readonly #rates = new Float64Array(LAYERS);
  #windowStart = 0;
  #keyScalability = false;
  /** The last window was a full one (its rates mean something). */
  #measured = false;
  /** VP8 simulcast with dependency descriptors: each encoding's template structure. */
  readonly #encodingStructures: (Av1TemplateStructure | undefined)[] = [];

  constructor(codec: ScalableCodec) {
    this.codec = codec;
  }

  /** One SSRC per encoding (VP8 simulcast) rather than layers inside one stream. */
  get simulcast(): boolean {
    return this.codec === 'vp8';
  }

  parse(packet: MediaPacket): void {
    let s = 0;
    let t = 0;
    if (this.codec === 'vp8') {
      const d = this.vp8;
      this.valid = parseVp8Descriptor(packet.buffer, packet.headerLength, packet.length - packet.paddingLength, d);
      if (!this.valid) return;
      s = this.encoding;
      // Chrome (with the dependency descriptor negotiated) sends VP8 without the descriptor's
      // extension fields: the temporal layer and switching points are then only in the DD.
      if (!d.hasTemporalId && this.dependencyDescriptorId && s < MAX_SPATIAL_LAYERS) this.#vp8TemporalFromDescriptor(packet, d, s);
      t = d.temporalId;
      if (d.keyFrame && d.width && s < MAX_SPATIAL_LAYERS) {
        this.widths[s] = d.width;
        this.heights[s] = d.height;
      }
    } else if (this.codec === 'vp9') {
      const d = this.vp9;
      this.valid = parseVp9Descriptor(packet.buffer, packet.headerLength, packet.length - packet.paddingLength, d);
      if (!this.valid) return;
      s = d.spatialId;
      t = d.temporalId;
      // K-SVC (L3T3_KEY): upper layers predict from the layer below on keyframes only.
      if (s > 0 && d.beginOfFrame && d.interPicturePredicted) this.#keyScalability = !d.interLayerDependency;
      if (d.hasScalabilityStructure && d.hasResolutions) {
        const n = Math.min(d.spatialLayers, MAX_SPATIAL_LAYERS);
        if (n > this.spatialLayers) this.spatialLayers = n;
        for (let k = 0; k < n; k++) {
          this.widths[k] = d.widths[k]!;
          this.heights[k] = d.heights[k]!;
        }
      }
    } else {
      const at = this.dependencyDescriptorId ? packet.findExtension(this.dependencyDescriptorId) : -1;
      if (at < 0) {
        this.valid = false;
        return;
      }
      const structure = parseDependencyDescriptor(packet.buffer, at, extensionLength, this.av1Structure, this.av1);
      this.valid = structure !== null && this.av1.spatialId >= 0;
      if (structure === null) return;
      if (structure !== this.av1Structure && structure) {
        this.av1Structure = structure;
        this.spatialLayers = Math.min(structure.maxSpatialId + 1, MAX_SPATIAL_LAYERS);
        this.temporalLayers = Math.min(structure.maxTemporalId + 1, MAX_TEMPORAL_LAYERS);
        if (structure.resolutions) {
          for (let k = 0; k < this.spatialLayers; k++) {
            this.widths[k] = structure.resolutions[k]![0];
            this.heights[k] = structure.resolutions[k]![1];
          }
        }
      }
      if (!this.valid) return;
      s = this.av1.spatialId;
      t = this.av1.temporalId;
    }
    if (s >= MAX_SPATIAL_LAYERS || t >= MAX_TEMPORAL_LAYERS) return;
    if (s >= this.spatialLayers) this.spatialLayers = s + 1;
    if (t >= this.temporalLayers) this.temporalLayers = t + 1;
    const now = packet.receivedAt;
    if (now - this.#windowStart >= RATE_WINDOW_MS) this.#rollWindow(now);
    this.#bytes[s * MAX_TEMPORAL_LAYERS + t]! += packet.payloadLength;
  }

  /**
   * Reads a simulcast encoding's temporal layer from its dependency
   * descriptor (each encoding has its own template structure, sent with its
   * keyframes) into the VP8 descriptor: TID, and as switching points the
   * decode targets of one spatial layer for which the frame is a "switch".
   */
  #vp8TemporalFromDescriptor(packet: MediaPacket, d: Vp8Descriptor, encoding: number): void {
    const at = packet.findExtension(this.dependencyDescriptorId);
    if (at < 0) return;
    const dd = this.av1;
    const structure = parseDependencyDescriptor(packet.buffer, at, extensionLength, this.#encodingStructures[encoding], dd);
    if (!structure || dd.temporalId < 0) return;
    this.#encodingStructures[encoding] = structure;
    d.temporalId = Math.min(dd.temporalId, MAX_TEMPORAL_LAYERS - 1);
    let switchUp = 0;
    for (let t = 1; t <= structure.maxTemporalId && t < MAX_TEMPORAL_LAYERS; t++) {
      const target = decodeTargetFor(structure, 0, t);
      if (target >= 0 && structure.decodeTargetTemporalId[target] === t && dd.dtis[target] === DTI_SWITCH) switchUp |= 1 << t;
    }
    d.switchUp = switchUp;
  }

  #rollWindow(now: number): void {
    const elapsed = now - this.#windowStart;
    // The first window starts now; a window that ended long ago says nothing about now.
    const scale = this.#windowStart === 0 || elapsed > 2 * RATE_WINDOW_MS ? 0 : 8000 / elapsed;
    this.#measured = scale > 0;
    for (let i = 0; i < LAYERS; i++) {
      this.#rates[i] = this.#bytes[i]! * scale;
      this.#bytes[i] = 0;
    }
    this.#windowStart = now;
  }

  /**
   * Spatial layers the publisher sends now (it drops upper ones when its own
   * bandwidth is short): those with traffic in the last window.
   */
  get activeSpatialLayers(): number {
    // Until one full window was measured (or when the stream went quiet) nothing is known: all layers.
    if (!this.#measured || performance.now() - this.#windowStart > 3 * RATE_WINDOW_MS) return this.spatialLayers;
    for (let s = this.spatialLayers - 1; s > 0; s--) if (this.#rates[s * MAX_TEMPORAL_LAYERS]! > 0) return s + 1;
    return 1;
  }

  /** Bitrate of one layer alone (bps). */
  layerBitrate(spatial: number, temporal: number): number {
    if (spatial >= MAX_SPATIAL_LAYERS || temporal >= MAX_TEMPORAL_LAYERS) return 0;
    return this.#rates[spatial * MAX_TEMPORAL_LAYERS + temporal]!;
  }

  /**
   * What a receiver of (spatial, temporal) gets: for VP9 SVC every lower
   * layer too (full and K-SVC alike, a slight overestimate for K-SVC).
   */
  cumulativeBitrate(spatial: number, temporal: number): number {
    let sum = 0;
    if (this.simulcast) {
      // An encoding stands alone.
      const s = Math.min(spatial, MAX_SPATIAL_LAYERS - 1);
      for (let t = 0; t <= Math.min(temporal, MAX_TEMPORAL_LAYERS - 1); t++) sum += this.#rates[s * MAX_TEMPORAL_LAYERS + t]!;
      return sum;
    }
    for (let s = 0; s <= Math.min(spatial, MAX_SPATIAL_LAYERS - 1); s++) {
      for (let t = 0; t <= Math.min(temporal, MAX_TEMPORAL_LAYERS - 1); t++) sum += this.#rates[s * MAX_TEMPORAL_LAYERS + t]!;
    }
    return sum;
  }

  /** Per-layer bitrates (for dumps). */
  bitrates(): LayerBitrate[] {
    const out: LayerBitrate[] = [];
    for (let s = 0; s < this.spatialLayers; s++) {
      for (let t = 0; t < this.temporalLayers; t++) out.push({ spatialLayer: s, temporalLayer: t, bitrate: Math.round(this.layerBitrate(s, t)) });
    }
    return out;
  }

  /** "L3T3_KEY" style, from what the stream showed. */
  get scalabilityMode(): string {
    if (this.simulcast) return `S${this.spatialLayers}T${this.temporalLayers}`;
    return `L${this.spatialLayers}T${this.temporalLayers}${this.#keyScalability && this.spatialLayers > 1 ? '_KEY' : ''}`;
  }

  /** Resolutions of the spatial layers, where known. */
  resolutions(): { spatialLayer: number; width: number; height: number }[] {
    const out = [];
    for (let s = 0; s < this.spatialLayers; s++) if (this.widths[s]) out.push({ spatialLayer: s, width: this.widths[s]!, height: this.heights[s]! });
    return out;
  }
}
