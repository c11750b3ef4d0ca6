/**
 * AV1 SVC: tells a subscriber which decode targets the SFU still sends it.
 * A receiver that gets only some layers sees the chains of the others break
 * (their frames never come) and would ask for keyframes, or wait for frames
 * that will not arrive; with active_decode_targets set to what the forwarded
 * subset satisfies it ignores the rest. The dependency descriptor is
 * rewritten on the first forwarded packet after each layer change and on
 * every packet that carries the template structure (a new structure makes
 * all targets active again); other packets go out unchanged.
 */
import type { DependencyDescriptorPatch } from '../rtp/RtpStreamSender.ts';
import { Av1Descriptor, decodeTargetsWithin, parseDependencyDescriptor, writeActiveDecodeTargets } from './av1.ts';
import type { LayerFilter } from './LayerFilter.ts';
import type { ProducerLayers } from './ProducerLayers.ts';

/** Longest descriptor written: 255 is the header extension limit. */
const MAX_LENGTH = 255;

export class Av1DecodeTargetsPatch implements DependencyDescriptorPatch {
  readonly #layers: ProducerLayers;
  readonly #filter: LayerFilter;
  readonly #d = new Av1Descriptor();
  readonly #out = Buffer.alloc(MAX_LENGTH + 8);
  #length = 0;
  /** The layers the receiver was last told about (-1: never). */
  #spatial = -1;
  #temporal = -1;
  /** The mask last written (for tests and dumps). */
  mask = -1;

  constructor(layers: ProducerLayers, filter: LayerFilter) {
    this.#layers = layers;
    this.#filter = filter;
  }

  prepare(src: Buffer, at: number, length: number, retransmission: boolean): number {
    const f = this.#filter;
    const spatial = f.currentSpatial;
    const temporal = f.currentTemporal;
    if (spatial < 0) return 0;
    const hasStructure = length > 3 && (src[at + 3]! & 0x80) !== 0;
    const changed = spatial !== this.#spatial || temporal !== this.#temporal;
    if (!hasStructure && (retransmission || !changed)) return 0;
    if (!retransmission) {
      this.#spatial = spatial;
      this.#temporal = temporal;
    }
    const d = this.#d;
    const structure = parseDependencyDescriptor(src, at, length, this.#layers.av1Structure, d);
    if (!structure || d.spatialId < 0) return 0;
    // What the publisher itself still sends (its own mask) and what this receiver gets of it.
    const mask = (decodeTargetsWithin(structure, spatial, temporal) & this.#layers.av1.activeDecodeTargets) >>> 0;
    this.#length = writeActiveDecodeTargets(src, at, d, structure, mask, this.#out, 0);
    if (this.#length > MAX_LENGTH) return 0;
    this.mask = mask;
    return this.#length;
  }

  write(out: Buffer, o: number): void {
    this.#out.copy(out, o, 0, this.#length);
  }
}
