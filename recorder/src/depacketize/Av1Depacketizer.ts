import { Av1Descriptor, DTI_NOT_PRESENT, decodeTargetFor, parseDependencyDescriptor, type Av1TemplateStructure } from '@muster/media';
import type { Depacketizer, DepacketizerEvents } from './Depacketizer.ts';
import { headerExtension, type RtpPacket } from './RtpPacket.ts';

/** "The highest layer there is" for decodeTargetFor. */
const ANY_LAYER = 15;

export const OBU_SEQUENCE_HEADER = 1;
export const OBU_TEMPORAL_DELIMITER = 2;
export const OBU_FRAME = 6;
export const OBU_TILE_LIST = 8;

/** LEB128 (AV1 spec §4.10.5): value and bytes read, or null past the end. */
export function readLeb128(buf: Buffer, offset: number): { value: number; length: number } | null {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const b = buf[offset + i];
    if (b === undefined) return null;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, length: i + 1 };
  }
  return null;
}

export function writeLeb128(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    bytes.push(b);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** An AV1 temporal delimiter OBU with its (zero) size: every temporal unit in a file starts with one. */
const TEMPORAL_DELIMITER = Buffer.from([(OBU_TEMPORAL_DELIMITER << 3) | 0x02, 0x00]);

/**
 * AV1 over RTP (the AOM "RTP Payload Format for AV1", v1.0) back into
 * temporal units in the low-overhead bitstream format (what IVF, WebM and
 * decoders take): each OBU with `obu_has_size_field` set and its size, a
 * temporal delimiter first. Temporal delimiters and tile lists in the
 * payload are dropped, as the format requires of receivers.
 *
 * Scalable streams (L3T3_KEY) keep the frames of the highest decode
 * target only, chosen by the dependency descriptor as the SFU chooses
 * layers. All layers of a temporal unit in one unit would decode (dav1d
 * outputs the highest spatial layer present), but Chromium's encoder often
 * skips the top layer's frame of a temporal unit, and dav1d then outputs the
 * lower one: the file would switch between 1280×720, 640×360 and 320×180.
 * With the top decode target's frames only, a temporal unit without a
 * top-layer frame is empty, nothing is written for it, and the previous
 * picture stays: every frame has the top resolution. Without a descriptor
 * (a non-scalable stream) every frame is kept.
 *
 * Aggregation header: Z (first element continues an OBU from the previous
 * packet), Y (last element continues in the next), W (element count; 0 =
 * every element has a LEB128 length), N (first packet of a coded video
 * sequence, i.e. a keyframe).
 */
export class Av1Depacketizer implements Depacketizer {
  readonly #events: DepacketizerEvents;
  #timestamp = -1;
  /** Whole OBUs of the current temporal unit, as received (RTP form). */
  #obus: Buffer[] = [];
  /** The fragments of an OBU that continues in the next packet. */
  #partial: Buffer[] | null = null;
  #broken = false;
  #newSequence = false;
  #needKeyFrame = true;
  #size?: { width: number; height: number };
  /** The dependency descriptor's header extension id; 0: none (every frame kept). */
  dependencyDescriptorId: number;
  readonly #descriptor = new Av1Descriptor();
  #structure?: Av1TemplateStructure;
  /** Pictures dropped (incomplete, or before a keyframe). */
  dropped = 0;
  /** Packets left out: frames the top decode target does not need. */
  skipped = 0;

  constructor(events: DepacketizerEvents, options: { dependencyDescriptorId?: number } = {}) {
    this.#events = events;
    this.dependencyDescriptorId = options.dependencyDescriptorId ?? 0;
  }

  push(packet: RtpPacket): void {
    const p = packet.payload;
    if (packet.timestamp !== this.#timestamp) {
      this.#finish();
      this.#timestamp = packet.timestamp;
      this.#newSequence = false;
    }
    if (p.length < 1) return;
    if (!this.#needed(packet)) {
      // A packet holds OBUs of one frame only: leaving it out leaves no OBU half.
      this.skipped++;
      if (packet.marker) this.#finish();
      return;
    }
    const z = (p[0]! & 0x80) !== 0;
    const y = (p[0]! & 0x40) !== 0;
    const w = (p[0]! >> 4) & 0x03;
    if (p[0]! & 0x08) this.#newSequence = true;
    const elements: Buffer[] = [];
    let o = 1;
    while (o < p.length) {
      const last = w !== 0 && elements.length === w - 1;
      let length: number;
      if (last) {
        length = p.length - o;
      } else {
        const leb = readLeb128(p, o);
        if (!leb) return this.#breakTu();
        o += leb.length;
        length = leb.value;
      }
      if (o + length > p.length) return this.#breakTu();
      elements.push(p.subarray(o, o + length));
      o += length;
    }
    if (elements.length === 0) return;
    elements.forEach((element, i) => {
      const continues = i === 0 && z;
      const continuing = i === elements.length - 1 && y;
      if (continues) {
        if (!this.#partial) {
          // The OBU's start was lost.
          this.#broken = true;
          return;
        }
        this.#partial.push(element);
      } else {
        if (this.#partial) this.#broken = true; // an OBU never finished
        this.#partial = [element];
      }
      if (!continuing) {
        this.#obus.push(Buffer.concat(this.#partial));
        this.#partial = null;
      }
    });
    if (packet.marker) this.#finish();
  }

  lost(): void {
    this.#broken = true;
    this.#partial = null;
  }

  /** Does the highest active decode target need this packet's frame? (Yes when that cannot be told.) */
  #needed(packet: RtpPacket): boolean {
    if (!this.dependencyDescriptorId) return true;
    const dd = headerExtension(packet, this.dependencyDescriptorId);
    if (!dd) return true;
    const d = this.#descriptor;
    const structure = parseDependencyDescriptor(dd, 0, dd.length, this.#structure, d);
    if (structure === null) return true;
    this.#structure = structure;
    if (!structure || d.spatialId < 0) return true;
    const target = decodeTargetFor(structure, ANY_LAYER, ANY_LAYER, d.activeDecodeTargets);
    return target < 0 || d.dtis[target] !== DTI_NOT_PRESENT;
  }

  #breakTu(): void {
    this.#broken = true;
  }

  #finish(): void {
    const obus = this.#obus;
    const broken = this.#broken || this.#partial !== null;
    this.#obus = [];
    this.#partial = null;
    this.#broken = false;
    if (broken) return this.#drop();
    if (obus.length === 0) return;
    const out: Buffer[] = [TEMPORAL_DELIMITER];
    let sequenceHeader = false;
    for (const obu of obus) {
      const header = obu[0]!;
      const type = (header >> 3) & 0x0f;
      if (type === OBU_TEMPORAL_DELIMITER || type === OBU_TILE_LIST) continue;
      const headerLength = header & 0x04 ? 2 : 1;
      if (obu.length < headerLength) return this.#drop();
      let body = obu.subarray(headerLength);
      if (header & 0x02) {
        // Already sized (allowed, if unusual, in RTP): keep exactly its OBU.
        const leb = readLeb128(obu, headerLength);
        if (!leb || headerLength + leb.length + leb.value > obu.length) return this.#drop();
        body = obu.subarray(headerLength + leb.length, headerLength + leb.length + leb.value);
      }
      if (type === OBU_SEQUENCE_HEADER) {
        sequenceHeader = true;
        this.#size = av1SequenceHeaderSize(body) ?? this.#size;
      }
      const sizedHeader = Buffer.from(obu.subarray(0, headerLength));
      sizedHeader[0] = header | 0x02;
      out.push(sizedHeader, writeLeb128(body.length), body);
    }
    // A keyframe starts a coded video sequence: N set, and the sequence header with it.
    const keyFrame = this.#newSequence && sequenceHeader;
    if (this.#needKeyFrame && !keyFrame) return this.#drop();
    this.#needKeyFrame = false;
    this.#events.onFrame(Buffer.concat(out), this.#timestamp, keyFrame, this.#size);
  }

  #drop(): void {
    this.dropped++;
    this.#needKeyFrame = true;
    this.#events.onKeyFrameNeeded();
  }
}

/**
 * The largest frame size a sequence header allows (max_frame_width/height,
 * AV1 spec §5.5.1): the top spatial layer's size, for the IVF header. Null
 * if the header is one this reader does not follow.
 */
export function av1SequenceHeaderSize(body: Buffer): { width: number; height: number } | null {
  let pos = 0;
  const bit = () => {
    const b = body[pos >> 3];
    if (b === undefined) throw new RangeError('short');
    return (b >> (7 - (pos++ & 7))) & 1;
  };
  const bits = (n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + bit();
    return v;
  };
  try {
    bits(3); // seq_profile
    bit(); // still_picture
    const reduced = bit();
    if (reduced) {
      bits(5); // seq_level_idx[0]
    } else {
      const timingInfo = bit();
      let decoderModelInfo = 0;
      let bufferDelayLength = 0;
      if (timingInfo) {
        bits(32 + 32); // num_units_in_display_tick, time_scale
        if (bit()) {
          // equal_picture_interval: num_ticks_per_picture_minus_1 (uvlc)
          let zeros = 0;
          while (!bit()) zeros++;
          bits(zeros);
        }
        decoderModelInfo = bit();
        if (decoderModelInfo) {
          bufferDelayLength = bits(5) + 1;
          bits(32); // num_units_in_decoding_tick
          bits(5 + 5); // buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1
        }
      }
      const initialDisplayDelay = bit();
      const operatingPoints = bits(5) + 1;
      for (let i = 0; i < operatingPoints; i++) {
        bits(12); // operating_point_idc
        const level = bits(5);
        if (level > 7) bit(); // seq_tier
        if (decoderModelInfo && bit()) bits(2 * bufferDelayLength + 1);
        if (initialDisplayDelay && bit()) bits(4);
      }
    }
    const widthBits = bits(4) + 1;
    const heightBits = bits(4) + 1;
    return { width: bits(widthBits) + 1, height: bits(heightBits) + 1 };
  } catch {
    return null;
  }
}
