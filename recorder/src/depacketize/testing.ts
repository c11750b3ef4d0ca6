/**
 * Generated AV1 RTP streams for the depacketizer tests: OBUs as RTP carries
 * them, a sequence header of a given size, packetization with aggregation
 * and fragmentation, and L3 temporal units.
 */
import { OBU_FRAME, OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER, writeLeb128 } from './Av1Depacketizer.ts';
import { buildRtpPacket } from './RtpPacket.ts';

export const DD_ID = 13;

/** An OBU as RTP carries it: header (and extension), no size field. */
export function obu(type: number, payload: Buffer, layer?: { spatialId: number; temporalId: number }): Buffer {
  const header = [(type << 3) | (layer ? 0x04 : 0)];
  if (layer) header.push((layer.temporalId << 5) | (layer.spatialId << 3));
  return Buffer.concat([Buffer.from(header), payload]);
}

/** A sequence header whose max frame size is width×height (3 operating points, no timing info). */
export function sequenceHeader(width: number, height: number): Buffer {
  const bits: number[] = [];
  const put = (n: number, v: number) => {
    for (let i = n - 1; i >= 0; i--) bits.push(Math.floor(v / 2 ** i) & 1);
  };
  put(3, 0); // seq_profile
  put(1, 0); // still_picture
  put(1, 0); // reduced_still_picture_header
  put(1, 0); // timing_info_present_flag
  put(1, 0); // initial_display_delay_present_flag
  put(5, 2); // operating_points_cnt_minus_1
  for (const [idc, level] of [
    [0x703, 8],
    [0x303, 5],
    [0x103, 1],
  ] as const) {
    put(12, idc);
    put(5, level);
    if (level > 7) put(1, 0); // seq_tier
  }
  put(4, 10); // frame_width_bits_minus_1
  put(4, 9);
  put(11, width - 1);
  put(10, height - 1);
  put(8, 0); // the rest, not read
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => (out[i >> 3]! |= b << (7 - (i & 7))));
  return out;
}

/**
 * RTP packets of one frame's OBUs: small ones aggregated (W = count, the
 * last without a length), a large one fragmented over packets (Z, Y).
 */
export function packetize(
  obus: Buffer[],
  o: { seq: number; timestamp: number; marker: boolean; newSequence?: boolean; mtu?: number; dd?: Buffer },
): Buffer[] {
  const mtu = o.mtu ?? 600;
  const packets: Buffer[] = [];
  const extensions = o.dd ? [{ id: DD_ID, data: o.dd }] : undefined;
  const total = obus.reduce((n, b) => n + b.length + 2, 1);
  const payloads: Buffer[] = [];
  if (total <= mtu && obus.length <= 3) {
    const aggregation = ((obus.length & 3) << 4) | (o.newSequence ? 0x08 : 0);
    payloads.push(Buffer.concat([Buffer.from([aggregation]), ...obus.flatMap((b, i) => (i < obus.length - 1 ? [writeLeb128(b.length), b] : [b]))]));
  } else {
    // W = 0 (every element sized) for the first packet's whole OBUs, then fragments of the last.
    const last = obus[obus.length - 1]!;
    const head = obus.slice(0, -1);
    const pieces: Buffer[] = [];
    for (let at = 0; at < last.length; at += mtu - 8) pieces.push(last.subarray(at, at + mtu - 8));
    pieces.forEach((piece, k) => {
      const z = k > 0 ? 0x80 : 0;
      const y = k < pieces.length - 1 ? 0x40 : 0;
      const n = k === 0 && o.newSequence ? 0x08 : 0;
      const elements = k === 0 ? [...head, piece] : [piece];
      payloads.push(Buffer.concat([Buffer.from([z | y | n]), ...elements.flatMap((b) => [writeLeb128(b.length), b])]));
    });
  }
  payloads.forEach((payload, k) =>
    packets.push(buildRtpPacket({ sequenceNumber: o.seq + k, timestamp: o.timestamp, marker: o.marker && k === payloads.length - 1, payload, extensions })),
  );
  return packets;
}

export const frameBody = (tag: number, length: number) => Buffer.alloc(length, tag);

/** An L3 temporal unit: sequence header (keyframes) and one OBU_FRAME per spatial layer, each layer's frame in its own packets. */
export function temporalUnit(o: { seq: number; timestamp: number; key: boolean; layers?: number[]; tag: number; dd?: (layer: number, first: boolean) => Buffer | undefined }) {
  const layers = o.layers ?? [0, 1, 2];
  const packets: Buffer[] = [];
  const bodies: Buffer[] = [];
  let seq = o.seq;
  layers.forEach((s, i) => {
    const body = frameBody(o.tag * 4 + s, [300, 900, 1500][s]!);
    bodies.push(body);
    const obus = [obu(OBU_FRAME, body, { spatialId: s, temporalId: 0 })];
    if (o.key && s === 0) obus.unshift(obu(OBU_TEMPORAL_DELIMITER, Buffer.alloc(0)), obu(OBU_SEQUENCE_HEADER, sequenceHeader(1280, 720)));
    const dd = o.dd?.(s, i === 0);
    const p = packetize(obus, { seq, timestamp: o.timestamp, marker: i === layers.length - 1, newSequence: o.key && s === 0, dd });
    seq += p.length;
    packets.push(...p);
  });
  return { packets, bodies, nextSeq: seq };
}

