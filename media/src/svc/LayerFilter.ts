/**
 * Per-consumer forwarding of a scalable stream: which packets of the
 * producer's layers this subscriber gets. The target layers come from the
 * LayerSelector; the filter moves its current layers towards the target only
 * where the stream allows it, so what it forwards always decodes:
 *
 * - down (spatial or temporal): at the start of a picture (VP9) or frame
 *   (AV1). Lower layers never reference higher ones, so no keyframe is needed.
 * - up, temporal: at a switching-up point (VP9 U bit, AV1 DTI "switch").
 * - up, spatial: at a frame that does not predict from earlier pictures of
 *   its layer (VP9 P = 0, i.e. keyframes in L3T3_KEY; AV1 DTI "switch"). The
 *   caller asks the publisher for a keyframe when a spatial upgrade waits.
 *
 * The filter sets `marker` for each accepted packet: the end of the highest
 * forwarded spatial layer ends the picture for this receiver.
 */
import type { MediaPacket } from '../rtp/rtpPacket.ts';
import { DTI_SWITCH, decodeTargetFor, type Av1Descriptor, type Av1TemplateStructure } from './av1.ts';
import type { ProducerLayers } from './ProducerLayers.ts';
import type { Vp8Descriptor } from './vp8.ts';
import { MAX_TEMPORAL_LAYERS, type Vp9Descriptor } from './vp9.ts';

/** Layers are numbered from 0; this means "the highest there is". */
export const MAX_LAYER = 15;

export interface LayerFilter {
  /** -1 until the first decodable packet was accepted. */
  readonly currentSpatial: number;
  readonly currentTemporal: number;
  readonly targetSpatial: number;
  readonly targetTemporal: number;
  /** The marker bit to send with the packet last accepted. */
  readonly marker: boolean;
  /** Sets the target; true when reaching it needs a keyframe (a spatial step up). */
  setTarget(spatial: number, temporal: number): boolean;
  /** Forward this packet? Reads the producer's parse of it (ProducerLayers). */
  accept(packet: MediaPacket): boolean;
  /** Start again as if new: the next forwarded packet must be a keyframe. */
  reset(): void;
}

export class Vp9LayerFilter implements LayerFilter {
  readonly #d: Vp9Descriptor;
  readonly #layers: ProducerLayers;
  currentSpatial = -1;
  currentTemporal = -1;
  targetSpatial = MAX_LAYER;
  targetTemporal = MAX_LAYER;
  marker = false;

  constructor(layers: ProducerLayers) {
    this.#layers = layers;
    this.#d = layers.vp9;
  }

  setTarget(spatial: number, temporal: number): boolean {
    this.targetSpatial = spatial;
    this.targetTemporal = temporal;
    return this.currentSpatial < 0 || (spatial > this.currentSpatial && this.currentSpatial < this.#layers.spatialLayers - 1);
  }

  reset(): void {
    this.currentSpatial = -1;
    this.currentTemporal = -1;
  }

  accept(packet: MediaPacket): boolean {
    const d = this.#d;
    if (!this.#layers.valid) return false;
    const s = d.spatialId;
    const t = d.temporalId;
    if (d.beginOfFrame && s === 0) {
      // A new picture: the place to step down, and (on a keyframe) to start.
      if (!d.interPicturePredicted) {
        // A keyframe: every layer of this picture is a switching point, and
        // no later frame references anything before it.
        this.currentSpatial = Math.max(0, Math.min(this.targetSpatial, this.#layers.activeSpatialLayers - 1));
        this.currentTemporal = Math.min(this.targetTemporal, MAX_TEMPORAL_LAYERS - 1);
      }
      if (this.currentSpatial > this.targetSpatial) this.currentSpatial = this.targetSpatial;
      if (this.currentTemporal > this.targetTemporal) this.currentTemporal = this.targetTemporal;
    }
    if (this.currentSpatial < 0) return false;
    if (s === this.currentSpatial + 1 && s <= this.targetSpatial && d.beginOfFrame && !d.interPicturePredicted) this.currentSpatial = s;
    if (s > this.currentSpatial) return false;
    if (t > this.currentTemporal) {
      if (t <= this.targetTemporal && d.beginOfFrame && d.switchingUp) this.currentTemporal = t;
      else return false;
    }
    this.marker = packet.marker || (d.endOfFrame && s === this.currentSpatial);
    return true;
  }
}

export class Av1LayerFilter implements LayerFilter {
  readonly #d: Av1Descriptor;
  readonly #layers: ProducerLayers;
  #structure?: Av1TemplateStructure;
  #currentDt = -1;
  #targetDt = -1;
  targetSpatial = MAX_LAYER;
  targetTemporal = MAX_LAYER;
  marker = false;

  constructor(layers: ProducerLayers) {
    this.#layers = layers;
    this.#d = layers.av1;
  }

  get currentSpatial(): number {
    return this.#currentDt < 0 || !this.#structure ? -1 : this.#structure.decodeTargetSpatialId[this.#currentDt]!;
  }

  get currentTemporal(): number {
    return this.#currentDt < 0 || !this.#structure ? -1 : this.#structure.decodeTargetTemporalId[this.#currentDt]!;
  }

  setTarget(spatial: number, temporal: number): boolean {
    this.targetSpatial = spatial;
    this.targetTemporal = temporal;
    this.#targetDt = -1; // resolved against the structure on the next packet
    return this.#currentDt < 0 || spatial > this.currentSpatial;
  }

  reset(): void {
    this.#currentDt = -1;
  }

  accept(packet: MediaPacket): boolean {
    const d = this.#d;
    const structure = this.#layers.av1Structure;
    if (!this.#layers.valid || !structure || d.spatialId < 0) return false;
    if (structure !== this.#structure) {
      // A new structure renumbers decode targets: start over at its keyframe.
      this.#structure = structure;
      this.#currentDt = -1;
      this.#targetDt = -1;
    }
    if (this.#targetDt < 0 || d.hasStructure) this.#targetDt = decodeTargetFor(structure, this.targetSpatial, this.targetTemporal, d.activeDecodeTargets);
    const target = this.#targetDt;
    if (d.startOfFrame && target >= 0 && target !== this.#currentDt) {
      const current = this.#currentDt;
      const spatialUp = current < 0 || structure.decodeTargetSpatialId[target]! > structure.decodeTargetSpatialId[current]!;
      const temporalUp = !spatialUp && structure.decodeTargetTemporalId[target]! > structure.decodeTargetTemporalId[current]!;
      // Down is always safe: lower layers never reference higher ones. Up
      // needs a switching point: within a spatial layer, a frame marked
      // "switch" for the target; to another spatial layer, a keyframe (an
      // intra base-layer frame; the upper layers' "switch" frames assume the
      // upper layer's own chain was received).
      const keyFrame = d.spatialId === 0 && d.fdiffs.length === 0;
      if (spatialUp ? keyFrame && d.dtis[target] === DTI_SWITCH : !temporalUp || d.dtis[target] === DTI_SWITCH) this.#currentDt = target;
    }
    const current = this.#currentDt;
    if (current < 0) return false;
    // Every frame up to the target's layers, not only the target's own (in
    // K-SVC a top-layer target skips the lower layers' delta frames): a
    // later step down then finds the lower layers' references in place.
    const spatial = structure.decodeTargetSpatialId[current]!;
    if (d.spatialId > spatial || d.temporalId > structure.decodeTargetTemporalId[current]!) return false;
    this.marker = packet.marker || (d.endOfFrame && d.spatialId === spatial);
    return true;
  }
}

/**
 * VP8 simulcast: one encoding (SSRC) at a time, switched at a keyframe of the
 * target encoding, up or down (the encodings are independent streams).
 * `switched` tells the consumer to re-base sequence numbers, timestamps and
 * picture ids so the subscriber sees one continuous stream.
 *
 * Within the encoding, temporal layers (VP8 TID, e.g. Chrome's L1T3 per
 * encoding) above the target are dropped; `temporalDrop` tells the consumer
 * to close the sequence-number and picture-id gaps. Temporal switches happen
 * at the start of a frame: down at any frame (lower layers never reference
 * upper ones); up one layer at a time, at a frame of that layer with the
 * layer-sync bit Y (it references only TL0 frames, which were forwarded), or
 * where the dependency descriptor marks the frame a switch for that layer's
 * decode target (Chrome sends TIDs there instead when the descriptor is
 * negotiated), or at a keyframe (all layers start over).
 */
export class SimulcastLayerFilter implements LayerFilter {
  readonly #layers: ProducerLayers;
  readonly #d: Vp8Descriptor;
  currentSpatial = -1;
  currentTemporal = -1;
  targetSpatial = MAX_LAYER;
  targetTemporal = MAX_LAYER;
  marker = false;
  /** The packet just accepted is the first of another encoding. */
  switched = false;
  /** The packet just refused belongs to the forwarded encoding (an upper temporal layer): a gap to close. */
  temporalDrop = false;

  constructor(layers: ProducerLayers) {
    this.#layers = layers;
    this.#d = layers.vp8;
  }

  setTarget(spatial: number, temporal: number): boolean {
    this.targetSpatial = spatial;
    this.targetTemporal = temporal;
    return this.#target() !== this.currentSpatial;
  }

  reset(): void {
    this.currentSpatial = -1;
    this.currentTemporal = -1;
  }

  /** The encoding aimed at: the target, or the highest that is being sent. */
  #target(): number {
    return Math.min(this.targetSpatial, this.#layers.activeSpatialLayers - 1);
  }

  accept(packet: MediaPacket): boolean {
    const layers = this.#layers;
    const d = this.#d;
    this.switched = false;
    this.temporalDrop = false;
    if (!layers.valid) return false;
    const encoding = layers.encoding;
    const t = d.temporalId;
    if (encoding !== this.currentSpatial) {
      if (encoding !== this.#target() || !d.keyFrame) return false;
      this.currentSpatial = encoding;
      this.currentTemporal = Math.min(this.targetTemporal, MAX_TEMPORAL_LAYERS - 1);
      this.switched = true;
    } else if (d.startOfFrame) {
      if (d.keyFrame) this.currentTemporal = Math.min(this.targetTemporal, MAX_TEMPORAL_LAYERS - 1);
      else if (this.currentTemporal > this.targetTemporal) this.currentTemporal = this.targetTemporal;
      else {
        for (let up = this.currentTemporal + 1; up <= this.targetTemporal && ((d.switchUp >>> up) & 1) === 1; up++) this.currentTemporal = up;
      }
    }
    if (t > this.currentTemporal) {
      this.temporalDrop = true;
      return false;
    }
    this.marker = packet.marker;
    return true;
  }
}
