/**
 * The AV1 RTP dependency descriptor header extension
 * (https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension),
 * which werift negotiates but does not parse. The template dependency
 * structure arrives now and then (with keyframes) and is kept per producer;
 * every packet's mandatory fields then select a template, which gives the
 * frame's spatial/temporal id and its decode target indications (DTI): per
 * decode target, whether the frame is not present, discardable, a switching
 * point or required. Per-packet parsing writes into one reusable object.
 */

export const DTI_NOT_PRESENT = 0;
export const DTI_DISCARDABLE = 1;
export const DTI_SWITCH = 2;
export const DTI_REQUIRED = 3;

export const MAX_DECODE_TARGETS = 32;

/** The template dependency structure: what the frames of one coded video sequence look like. */
export interface Av1TemplateStructure {
  templateIdOffset: number;
  decodeTargets: number;
  templates: { spatialId: number; temporalId: number; dtis: number[]; fdiffs: number[]; chainFdiffs: number[] }[];
  chains: number;
  decodeTargetProtectedBy: number[];
  /** Highest spatial / temporal id of each decode target. */
  decodeTargetSpatialId: number[];
  decodeTargetTemporalId: number[];
  /** Render resolution per spatial id, when present. */
  resolutions?: [number, number][];
  maxSpatialId: number;
  maxTemporalId: number;
}

/** One packet's descriptor, resolved against the structure. */
export class Av1Descriptor {
  startOfFrame = false;
  endOfFrame = false;
  templateId = 0;
  frameNumber = 0;
  /** The packet carried a (new) template structure. */
  hasStructure = false;
  activeDecodeTargets = 0xffffffff;
  /** Resolved from the template; -1 if no structure is known or the template is unknown. */
  spatialId = -1;
  temporalId = -1;
  /** DTI per decode target. */
  readonly dtis = new Uint8Array(MAX_DECODE_TARGETS);
  readonly fdiffs: number[] = [];
  /**
   * Bit positions in the extension (for rewriting the active decode targets):
   * where the bitmask is or would go (after the structure), where it ends,
   * and where the last field ends. All 24 when there are no extended fields.
   */
  activeAtBit = 24;
  activeEndBit = 24;
  endBit = 24;
}

class BitReader {
  buf!: Uint8Array;
  pos = 0; // in bits
  end = 0; // in bits
  reset(buf: Uint8Array, offset: number, length: number): void {
    this.buf = buf;
    this.pos = offset * 8;
    this.end = (offset + length) * 8;
  }
  f(n: number): number {
    if (this.pos + n > this.end) throw RangeError('dependency descriptor truncated');
    let v = 0;
    for (let i = 0; i < n; i++) {
      const p = this.pos++;
      v = v * 2 + ((this.buf[p >> 3]! >> (7 - (p & 7))) & 1);
    }
    return v;
  }
  /** ns(n): non-symmetric unsigned encoding of a value below n. */
  ns(n: number): number {
    let w = 0;
    for (let x = n; x !== 0; x >>= 1) w++;
    const m = (1 << w) - n;
    const v = this.f(w - 1);
    if (v < m) return v;
    return (v << 1) - m + this.f(1);
  }
}

const reader = new BitReader();

function parseStructure(r: BitReader): Av1TemplateStructure {
  const templateIdOffset = r.f(6);
  const decodeTargets = r.f(5) + 1;
  const templates: Av1TemplateStructure['templates'] = [];
  let temporalId = 0;
  let spatialId = 0;
  let maxTemporalId = 0;
  for (;;) {
    templates.push({ spatialId, temporalId, dtis: [], fdiffs: [], chainFdiffs: [] });
    if (templates.length > 64) throw RangeError('too many templates');
    const next = r.f(2);
    if (next === 3) break;
    if (next === 1) {
      temporalId++;
      if (temporalId > maxTemporalId) maxTemporalId = temporalId;
    } else if (next === 2) {
      temporalId = 0;
      spatialId++;
    }
  }
  for (const t of templates) for (let dt = 0; dt < decodeTargets; dt++) t.dtis.push(r.f(2));
  for (const t of templates) while (r.f(1)) t.fdiffs.push(r.f(4) + 1);
  const chains = r.ns(decodeTargets + 1);
  const decodeTargetProtectedBy: number[] = [];
  if (chains > 0) {
    for (let dt = 0; dt < decodeTargets; dt++) decodeTargetProtectedBy.push(r.ns(chains));
    for (const t of templates) for (let c = 0; c < chains; c++) t.chainFdiffs.push(r.f(4));
  }
  const decodeTargetSpatialId: number[] = [];
  const decodeTargetTemporalId: number[] = [];
  for (let dt = 0; dt < decodeTargets; dt++) {
    let s = 0;
    let tid = 0;
    for (const t of templates) {
      if (t.dtis[dt] !== DTI_NOT_PRESENT) {
        if (t.spatialId > s) s = t.spatialId;
        if (t.temporalId > tid) tid = t.temporalId;
      }
    }
    decodeTargetSpatialId.push(s);
    decodeTargetTemporalId.push(tid);
  }
  const structure: Av1TemplateStructure = {
    templateIdOffset,
    decodeTargets,
    templates,
    chains,
    decodeTargetProtectedBy,
    decodeTargetSpatialId,
    decodeTargetTemporalId,
    maxSpatialId: spatialId,
    maxTemporalId,
  };
  if (r.f(1)) {
    structure.resolutions = [];
    for (let s = 0; s <= spatialId; s++) structure.resolutions.push([r.f(16) + 1, r.f(16) + 1]);
  }
  return structure;
}

/**
 * Parses the extension data buf[offset, offset + length) into `d`, with
 * `structure` the one in force. Returns the structure after this packet (a
 * new one if the packet carried it), or undefined if the packet is
 * malformed. Throws nothing.
 */
export function parseDependencyDescriptor(
  buf: Uint8Array,
  offset: number,
  length: number,
  structure: Av1TemplateStructure | undefined,
  d: Av1Descriptor,
): Av1TemplateStructure | undefined | null {
  const r = reader;
  r.reset(buf, offset, length);
  try {
    d.startOfFrame = r.f(1) === 1;
    d.endOfFrame = r.f(1) === 1;
    d.templateId = r.f(6);
    d.frameNumber = r.f(16);
    d.hasStructure = false;
    d.activeAtBit = d.activeEndBit = d.endBit = 24;
    let customDtis = false;
    let customFdiffs = false;
    let customChains = false;
    if (length > 3) {
      const structurePresent = r.f(1) === 1;
      const activePresent = r.f(1) === 1;
      customDtis = r.f(1) === 1;
      customFdiffs = r.f(1) === 1;
      customChains = r.f(1) === 1;
      if (structurePresent) {
        structure = parseStructure(r);
        d.hasStructure = true;
        d.activeDecodeTargets = structure.decodeTargets >= 32 ? 0xffffffff : (1 << structure.decodeTargets) - 1;
      }
      d.activeAtBit = r.pos - offset * 8;
      if (activePresent) {
        if (!structure) return null;
        d.activeDecodeTargets = r.f(structure.decodeTargets);
      }
      d.activeEndBit = r.pos - offset * 8;
    }
    d.spatialId = -1;
    d.temporalId = -1;
    if (!structure) return structure;
    const index = (d.templateId + 64 - structure.templateIdOffset) % 64;
    const template = structure.templates[index];
    if (!template) return structure;
    d.spatialId = template.spatialId;
    d.temporalId = template.temporalId;
    const dts = structure.decodeTargets;
    if (customDtis) for (let dt = 0; dt < dts; dt++) d.dtis[dt] = r.f(2);
    else for (let dt = 0; dt < dts; dt++) d.dtis[dt] = template.dtis[dt]!;
    d.fdiffs.length = 0;
    if (customFdiffs) {
      for (let size = r.f(2); size !== 0; size = r.f(2)) d.fdiffs.push(r.f(4 * size) + 1);
    } else {
      for (const f of template.fdiffs) d.fdiffs.push(f);
    }
    if (customChains) for (let c = 0; c < structure.chains; c++) r.f(8);
    if (length > 3) d.endBit = r.pos - offset * 8;
    return structure;
  } catch {
    return null;
  }
}

/**
 * The decode target a receiver limited to (spatial, temporal) should get: the
 * one with the highest layers within the limits (lowest index on ties), or -1.
 */
export function decodeTargetFor(structure: Av1TemplateStructure, spatial: number, temporal: number, active = 0xffffffff): number {
  let best = -1;
  for (let dt = 0; dt < structure.decodeTargets; dt++) {
    if (((active >>> dt) & 1) === 0) continue;
    const s = structure.decodeTargetSpatialId[dt]!;
    const t = structure.decodeTargetTemporalId[dt]!;
    if (s > spatial || t > temporal) continue;
    if (best < 0) {
      best = dt;
      continue;
    }
    const bs = structure.decodeTargetSpatialId[best]!;
    const bt = structure.decodeTargetTemporalId[best]!;
    if (s > bs || (s === bs && t > bt)) best = dt;
  }
  return best;
}

/**
 * The decode targets a receiver can still decode when it gets every frame up
 * to (spatial, temporal) and nothing above: one bit per target.
 */
export function decodeTargetsWithin(structure: Av1TemplateStructure, spatial: number, temporal: number): number {
  let mask = 0;
  for (let dt = 0; dt < structure.decodeTargets && dt < 32; dt++) {
    if (structure.decodeTargetSpatialId[dt]! <= spatial && structure.decodeTargetTemporalId[dt]! <= temporal) mask |= 1 << dt;
  }
  return mask >>> 0;
}

function copyBits(src: Uint8Array, srcBit: number, out: Uint8Array, outBit: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = srcBit + i;
    const o = outBit + i;
    const bit = (src[s >> 3]! >> (7 - (s & 7))) & 1;
    if (bit) out[o >> 3]! |= 0x80 >> (o & 7);
    else out[o >> 3]! &= ~(0x80 >> (o & 7));
  }
}

function writeBits(out: Uint8Array, outBit: number, n: number, value: number): void {
  for (let i = 0; i < n; i++) {
    const o = outBit + i;
    if ((value >>> (n - 1 - i)) & 1) out[o >> 3]! |= 0x80 >> (o & 7);
    else out[o >> 3]! &= ~(0x80 >> (o & 7));
  }
}

/**
 * Writes into out[o…] the descriptor at src[at…] (parsed into `d` against
 * `structure`) with active_decode_targets_present_flag set and `mask` as the
 * bitmask, every other field unchanged; returns its length in bytes. The
 * receiver then knows that targets outside the mask will not be sent (its
 * chains for them are not broken, just unused). Allocation-free.
 */
export function writeActiveDecodeTargets(src: Uint8Array, at: number, d: Av1Descriptor, structure: Av1TemplateStructure, mask: number, out: Uint8Array, o: number): number {
  const extended = d.endBit > 24;
  const n = structure.decodeTargets;
  const bits = 29 + (extended ? d.activeAtBit - 29 + d.endBit - d.activeEndBit : 0) + n;
  const bytes = (bits + 7) >> 3;
  out.fill(0, o, o + bytes);
  const ob = o * 8;
  const sb = at * 8;
  copyBits(src, sb, out, ob, 24);
  // Flags: structure present (as it was), active decode targets present, custom dtis / fdiffs / chains (as they were).
  if (extended) copyBits(src, sb + 24, out, ob + 24, 5);
  writeBits(out, ob + 25, 1, 1);
  let w = 29;
  if (extended) {
    copyBits(src, sb + 29, out, ob + w, d.activeAtBit - 29);
    w += d.activeAtBit - 29;
  }
  writeBits(out, ob + w, n, mask);
  w += n;
  if (extended) copyBits(src, sb + d.activeEndBit, out, ob + w, d.endBit - d.activeEndBit);
  return bytes;
}

// ---------------------------------------------------------------- writing (tests, benchmarks)

class BitWriter {
  readonly bytes: number[] = [];
  #bits = 0;
  f(n: number, v: number): void {
    for (let i = n - 1; i >= 0; i--) {
      if ((this.#bits & 7) === 0) this.bytes.push(0);
      const bit = Math.floor(v / 2 ** i) & 1;
      this.bytes[this.bytes.length - 1]! |= bit << (7 - (this.#bits & 7));
      this.#bits++;
    }
  }
  ns(n: number, v: number): void {
    let w = 0;
    for (let x = n; x !== 0; x >>= 1) w++;
    const m = (1 << w) - n;
    if (v < m) this.f(w - 1, v);
    else {
      const t = v + m;
      this.f(w - 1, t >> 1);
      this.f(1, t & 1);
    }
  }
}

/**
 * Serialises a dependency descriptor; with `structure`, it is attached (as on
 * a keyframe). `activeDecodeTargets` (with `decodeTargets`, the count of the
 * structure in force) and `customFdiffs` add those optional fields.
 */
export function writeDependencyDescriptor(f: {
  startOfFrame: boolean;
  endOfFrame: boolean;
  templateId: number;
  frameNumber: number;
  structure?: Av1TemplateStructure;
  activeDecodeTargets?: number;
  decodeTargets?: number;
  customFdiffs?: number[];
}): Buffer {
  const w = new BitWriter();
  w.f(1, f.startOfFrame ? 1 : 0);
  w.f(1, f.endOfFrame ? 1 : 0);
  w.f(6, f.templateId);
  w.f(16, f.frameNumber);
  const s = f.structure;
  if (!s && (f.activeDecodeTargets !== undefined || f.customFdiffs)) {
    w.f(1, 0);
    w.f(1, f.activeDecodeTargets !== undefined ? 1 : 0);
    w.f(1, 0);
    w.f(1, f.customFdiffs ? 1 : 0);
    w.f(1, 0);
    if (f.activeDecodeTargets !== undefined) w.f(f.decodeTargets!, f.activeDecodeTargets);
    if (f.customFdiffs) {
      for (const fd of f.customFdiffs) {
        const size = fd - 1 < 16 ? 1 : fd - 1 < 256 ? 2 : 3;
        w.f(2, size);
        w.f(4 * size, fd - 1);
      }
      w.f(2, 0);
    }
  }
  if (s) {
    w.f(1, 1); // structure present
    w.f(1, 0); // active decode targets
    w.f(3, 0); // custom dtis, fdiffs, chains
    w.f(6, s.templateIdOffset);
    w.f(5, s.decodeTargets - 1);
    for (let i = 0; i < s.templates.length; i++) {
      const t = s.templates[i]!;
      const next = s.templates[i + 1];
      if (!next) w.f(2, 3);
      else if (next.spatialId === t.spatialId && next.temporalId === t.temporalId) w.f(2, 0);
      else if (next.spatialId === t.spatialId && next.temporalId === t.temporalId + 1) w.f(2, 1);
      else if (next.spatialId === t.spatialId + 1 && next.temporalId === 0) w.f(2, 2);
      else throw new Error('templates must be ordered by spatial then temporal id');
    }
    for (const t of s.templates) for (let dt = 0; dt < s.decodeTargets; dt++) w.f(2, t.dtis[dt]!);
    for (const t of s.templates) {
      for (const fd of t.fdiffs) {
        w.f(1, 1);
        w.f(4, fd - 1);
      }
      w.f(1, 0);
    }
    w.ns(s.decodeTargets + 1, s.chains);
    if (s.chains > 0) {
      for (let dt = 0; dt < s.decodeTargets; dt++) w.ns(s.chains, s.decodeTargetProtectedBy[dt]!);
      for (const t of s.templates) for (let c = 0; c < s.chains; c++) w.f(4, t.chainFdiffs[c]!);
    }
    if (s.resolutions) {
      w.f(1, 1);
      for (const [width, height] of s.resolutions) {
        w.f(16, width - 1);
        w.f(16, height - 1);
      }
    } else {
      w.f(1, 0);
    }
  }
  return Buffer.from(w.bytes);
}

/**
 * The structure libwebrtc uses for L<s>T<t>_KEY-like SVC with one chain per
 * spatial layer: templates per (spatial, temporal), decode target per
 * (spatial, temporal), index s * temporalLayers + t. For tests and the benchmark.
 */
export function svcStructure(spatialLayers: number, temporalLayers: number, resolutions?: [number, number][]): Av1TemplateStructure {
  const decodeTargets = spatialLayers * temporalLayers;
  const templates: Av1TemplateStructure['templates'] = [];
  const decodeTargetSpatialId: number[] = [];
  const decodeTargetTemporalId: number[] = [];
  for (let dt = 0; dt < decodeTargets; dt++) {
    decodeTargetSpatialId.push(Math.floor(dt / temporalLayers));
    decodeTargetTemporalId.push(dt % temporalLayers);
  }
  for (let s = 0; s < spatialLayers; s++) {
    // A keyframe-like template (switch for every target that has the layer), then one per temporal id.
    for (let t = 0; t < temporalLayers; t++) {
      for (const kind of t === 0 ? ['switch', 'delta'] : ['delta']) {
        const dtis: number[] = [];
        for (let dt = 0; dt < decodeTargets; dt++) {
          const ds = decodeTargetSpatialId[dt]!;
          const dtT = decodeTargetTemporalId[dt]!;
          // KEY structure: spatial layer s is only in targets of that exact spatial layer after the keyframe…
          if (kind === 'switch') dtis.push(ds >= s && dtT >= t ? DTI_SWITCH : DTI_NOT_PRESENT);
          else if (ds !== s || dtT < t) dtis.push(DTI_NOT_PRESENT);
          else dtis.push(t === temporalLayers - 1 ? DTI_DISCARDABLE : t === 0 ? DTI_REQUIRED : DTI_SWITCH);
        }
        templates.push({
          spatialId: s,
          temporalId: t,
          dtis,
          // Frames are numbered picture by picture, layer by layer: the same layer one picture back is `spatialLayers` frames back.
          fdiffs: kind === 'switch' ? (s > 0 ? [1] : []) : [((1 << (temporalLayers - 1)) >> t || 1) * spatialLayers],
          chainFdiffs: Array.from({ length: spatialLayers }, () => 0),
        });
      }
    }
  }
  return {
    templateIdOffset: 0,
    decodeTargets,
    templates,
    chains: spatialLayers,
    decodeTargetProtectedBy: decodeTargetSpatialId.slice(),
    decodeTargetSpatialId,
    decodeTargetTemporalId,
    resolutions,
    maxSpatialId: spatialLayers - 1,
    maxTemporalId: temporalLayers - 1,
  };
}
