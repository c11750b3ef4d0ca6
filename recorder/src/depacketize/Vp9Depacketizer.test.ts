import { writeVp9Descriptor } from '@muster/media';
import { describe, expect, it } from 'vitest';
import { RtpJitterBuffer } from './RtpJitterBuffer.ts';
import { buildRtpPacket, parseRtpPacket } from './RtpPacket.ts';
import { Vp9Depacketizer, isVp9KeyFrame } from './Vp9Depacketizer.ts';
import { Vp9FrameHeaderReader, hideVp9Frame, vp9ShowExistingFrame } from './Vp9FrameHeader.ts';
import { buildVp9Superframe, parseVp9SuperframeIndex } from './Vp9Superframe.ts';

class BitWriter {
  readonly bytes: number[] = [];
  #n = 0;
  put(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) {
      if ((this.#n & 7) === 0) this.bytes.push(0);
      if (Math.floor(v / 2 ** i) & 1) this.bytes[this.bytes.length - 1]! |= 0x80 >> (this.#n & 7);
      this.#n++;
    }
    return this;
  }
  get bits(): number {
    return this.#n;
  }
}

/** Tile columns for a width, as the encoder writes them: the minimum, then a stop bit if more were allowed. */
function tileBits(w: BitWriter, width: number, extraColumns = 0): void {
  const sb64Cols = (((width + 7) >> 3) + 7) >> 3;
  let maxLog2 = 1;
  while (sb64Cols >> maxLog2 >= 4) maxLog2++;
  maxLog2--;
  let log2 = 0;
  while (log2 < maxLog2) {
    const more = log2 < extraColumns ? 1 : 0;
    w.put(1, more);
    if (!more) break;
    log2++;
  }
  w.put(1, 0); // tile_rows_log2
}

/** A VP9 frame: a real uncompressed header (the fields Chromium's SVC sets, and some it does not), then `body` as its compressed data. */
function vp9Frame(f: {
  key: boolean;
  width: number;
  height: number;
  refresh?: number;
  errorResilient?: boolean;
  /** Inter frames: take the size from reference slot `fromRef` (found_ref) rather than writing it. */
  sizeFromRef?: boolean;
  segmentation?: boolean;
  body?: Buffer;
}): { frame: Buffer; headerBits: number } {
  const w = new BitWriter();
  const errorResilient = f.errorResilient ?? true;
  w.put(2, 2).put(1, 0).put(1, 0).put(1, 0); // marker, profile 0, show_existing_frame
  w.put(1, f.key ? 0 : 1).put(1, 1).put(1, errorResilient ? 1 : 0);
  if (f.key) {
    w.put(24, 0x498342).put(3, 2).put(1, 0); // sync, color space (BT.709), studio range
    w.put(16, f.width - 1).put(16, f.height - 1).put(1, 0);
  } else {
    if (!errorResilient) w.put(2, 0); // reset_frame_context
    w.put(8, f.refresh ?? 0);
    for (let i = 0; i < 3; i++) w.put(3, i).put(1, 0);
    if (f.sizeFromRef) w.put(1, 1);
    else w.put(3, 0).put(16, f.width - 1).put(16, f.height - 1);
    w.put(1, 0); // render size = frame size
    w.put(1, 1).put(1, 0).put(2, 1); // high-precision mv, not switchable, filter 1
  }
  if (!errorResilient) w.put(1, 1).put(1, 0);
  w.put(2, 0); // frame_context_idx
  w.put(6, 36).put(3, 0).put(1, 1).put(1, 1); // loop filter level, sharpness, delta enabled + update
  w.put(1, 1).put(6, 1).put(1, 0).put(1, 0).put(1, 0).put(1, 1).put(6, 2).put(1, 1).put(1, 0).put(1, 0);
  w.put(8, 120).put(1, 0).put(1, 1).put(4, 3).put(1, 1).put(1, 0); // base q, deltas
  if (f.segmentation) {
    w.put(1, 1).put(1, 1); // enabled, update_map
    for (let i = 0; i < 7; i++) w.put(1, i % 2).put(i % 2 ? 8 : 0, 200);
    w.put(1, 1);
    for (let i = 0; i < 3; i++) w.put(1, 1).put(8, 100);
    w.put(1, 1).put(1, 0); // update_data, delta
    for (let s = 0; s < 8; s++) for (let j = 0; j < 4; j++) w.put(1, s === 1 ? 1 : 0).put(s === 1 ? [8, 6, 2, 0][j]! + (j < 2 ? 1 : 0) : 0, 1);
  } else {
    w.put(1, 0);
  }
  tileBits(w, f.width, f.width > 1000 ? 1 : 0);
  w.put(16, 40); // header_size_in_bytes
  const headerBits = w.bits;
  return { frame: Buffer.concat([Buffer.from(w.bytes), f.body ?? Buffer.from('compressed header and tiles: untouched')]), headerBits };
}

describe('Vp9FrameHeader', () => {
  it('reads key and inter frame headers to their end, and keeps reference sizes for frame_size_with_refs', () => {
    const r = new Vp9FrameHeaderReader();
    const key = vp9Frame({ key: true, width: 320, height: 180 });
    expect(r.read(key.frame)).toMatchObject({ keyFrame: true, showFrame: true, width: 320, height: 180, refresh: 0xff, headerBits: key.headerBits });
    const s1 = vp9Frame({ key: false, width: 640, height: 360, refresh: 0b10 });
    expect(r.read(s1.frame)).toMatchObject({ keyFrame: false, width: 640, height: 360, refresh: 2, headerBits: s1.headerBits });
    const s2 = vp9Frame({ key: false, width: 1280, height: 720, refresh: 0b100, errorResilient: false, segmentation: true });
    expect(r.read(s2.frame)).toMatchObject({ width: 1280, height: 720, headerBits: s2.headerBits });
    // Slot 0 still holds the 320×180 keyframe: a frame sized "as reference 0" is that size.
    const fromRef = vp9Frame({ key: false, width: 0, height: 0, sizeFromRef: true });
    expect(r.read(fromRef.frame)).toMatchObject({ width: 320, height: 180, headerBits: fromRef.headerBits });
  });

  it('hides a frame: show_frame = 0, plus intra_only = 0 for an inter frame, the rest of the frame unchanged', () => {
    for (const spec of [
      { key: true, width: 320, height: 180 },
      { key: false, width: 640, height: 360, refresh: 2 },
      { key: false, width: 1280, height: 720, refresh: 4, errorResilient: false, segmentation: true },
    ]) {
      const before = new Vp9FrameHeaderReader();
      const after = new Vp9FrameHeaderReader();
      const key = vp9Frame({ key: true, width: 320, height: 180 }).frame;
      before.read(key);
      after.read(key);
      const { frame } = vp9Frame(spec);
      const info = before.read(frame);
      const hidden = hideVp9Frame(frame, info);
      const reread = after.read(hidden);
      expect(reread).toMatchObject({ showFrame: false, intraOnly: false, keyFrame: spec.key, width: spec.width, height: spec.height, refresh: info.refresh });
      expect(reread.headerBits).toBe(info.headerBits + (spec.key ? 0 : 1));
      const tail = (buf: Buffer, bits: number) => buf.subarray((bits + 7) >> 3);
      expect(tail(hidden, reread.headerBits).equals(tail(frame, info.headerBits))).toBe(true);
      expect(isVp9KeyFrame(hidden)).toBe(spec.key);
    }
  });

  it('writes show_existing_frame for a slot', () => {
    const frame = vp9ShowExistingFrame(0, 5);
    expect(new Vp9FrameHeaderReader().read(frame)).toMatchObject({ showExistingFrame: true, headerBits: 8 });
    expect(frame[0]! & 7).toBe(5);
  });
});

describe('Vp9Superframe', () => {
  it('builds an index libvpx and ffmpeg find (marker at both ends, sizes little-endian), and parses it back', () => {
    const frames = [Buffer.alloc(100, 1), Buffer.alloc(300, 2), Buffer.alloc(70_000, 3)];
    const chunk = buildVp9Superframe(frames);
    const mag = 3; // 70 000 needs three bytes
    const marker = 0xc0 | ((mag - 1) << 3) | (frames.length - 1);
    expect(chunk[chunk.length - 1]).toBe(marker);
    expect(chunk[chunk.length - (2 + mag * 3)]).toBe(marker);
    expect(chunk.length).toBe(100 + 300 + 70_000 + 2 + mag * 3);
    expect(chunk.readUIntLE(chunk.length - (1 + mag * 3), mag)).toBe(100);
    const parsed = parseVp9SuperframeIndex(chunk)!;
    expect(parsed.map((f) => f.length)).toEqual([100, 300, 70_000]);
    expect(parsed.every((f, i) => f.equals(frames[i]!))).toBe(true);
  });

  it('leaves a single frame alone, unless its last bytes would read as an index', () => {
    const single = Buffer.from([0x82, 0x49, 0x83, 0x42, 0x00]);
    expect(buildVp9Superframe([single])).toBe(single);
    const lookalike = Buffer.from([0x82, 0xc0, 1, 0xc0]); // reads as a one-frame index around a 1-byte frame
    expect(parseVp9SuperframeIndex(lookalike)).not.toBeNull();
    const wrapped = buildVp9Superframe([lookalike]);
    expect(parseVp9SuperframeIndex(wrapped)!.map((f) => [...f])).toEqual([[...lookalike]]);
    expect(parseVp9SuperframeIndex(Buffer.from([0xc1, 1, 1, 0xc1]))).toBeNull(); // sizes do not add up
  });
});

/** An L3 picture as Chromium sends it: per spatial layer, one frame over `packetsPerLayer` packets, marker on the last. */
function picture(opts: { pictureId: number; timestamp: number; key: boolean; layers?: number; announce?: number; packetsPerLayer?: number; seq: number; refresh?: number[] }) {
  const layers = opts.layers ?? 3;
  const sizes: [number, number][] = [
    [320, 180],
    [640, 360],
    [1280, 720],
  ];
  const packets: Buffer[] = [];
  const frames: Buffer[] = [];
  let seq = opts.seq;
  for (let s = 0; s < layers; s++) {
    const [width, height] = sizes[s]!;
    const body = Buffer.alloc(2500, opts.pictureId * 16 + s);
    const { frame } = vp9Frame({ key: opts.key && s === 0, width, height, refresh: opts.refresh?.[s] ?? 1 << s, body });
    frames.push(frame);
    const n = opts.packetsPerLayer ?? 3;
    const chunk = Math.ceil(frame.length / n);
    for (let k = 0; k < n; k++) {
      const descriptor = Buffer.alloc(32);
      const length = writeVp9Descriptor(descriptor, 0, {
        pictureId: opts.pictureId,
        interPicturePredicted: !opts.key,
        flexible: true,
        begin: k === 0,
        end: k === n - 1,
        spatialId: s,
        temporalId: 0,
        interLayerDependency: opts.key && s > 0,
        resolutions: opts.key && s === 0 && k === 0 ? sizes.slice(0, opts.announce ?? layers) : undefined,
      });
      const payload = Buffer.concat([descriptor.subarray(0, length), frame.subarray(k * chunk, (k + 1) * chunk)]);
      packets.push(buildRtpPacket({ sequenceNumber: seq++, timestamp: opts.timestamp, marker: s === layers - 1 && k === n - 1, payload }));
    }
  }
  return { packets, frames, nextSeq: seq };
}

function depacketize(datagrams: Buffer[]) {
  const frames: { data: Buffer; timestamp: number; keyFrame: boolean; size?: { width: number; height: number } }[] = [];
  let keyFrameRequests = 0;
  const dep = new Vp9Depacketizer({
    onFrame: (data, timestamp, keyFrame, size) => frames.push({ data, timestamp, keyFrame, size }),
    onKeyFrameNeeded: () => keyFrameRequests++,
  });
  const jb = new RtpJitterBuffer({ maxWaitMs: 100, maxPackets: 1_000, onPacket: (p) => dep.push(p), onLoss: () => dep.lost() });
  for (const d of datagrams) jb.push(parseRtpPacket(d)!, 0);
  jb.flush(1_000); // a gap that is still open is loss by now
  return { frames, keyFrameRequests: () => keyFrameRequests, dep, jb };
}

describe('Vp9Depacketizer', () => {
  it('joins the spatial layers of a picture into a superframe, lower layers hidden, from reordered and duplicated packets', () => {
    const a = picture({ pictureId: 1, timestamp: 1000, key: true, seq: 65530, refresh: [0xff, 2, 4] });
    const b = picture({ pictureId: 2, timestamp: 4000, key: false, seq: a.nextSeq });
    const packets = [...a.packets, ...b.packets];
    // Swap neighbours and repeat some (probing resends): the buffer puts them right.
    const shuffled = [...packets];
    for (let i = 1; i + 1 < shuffled.length; i += 4) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1]!, shuffled[i]!];
    const { frames } = depacketize([...shuffled.slice(0, 10), packets[3]!, packets[0]!, ...shuffled.slice(10)]);
    expect(frames.map((f) => [f.timestamp, f.keyFrame])).toEqual([
      [1000, true],
      [4000, false],
    ]);
    for (const [i, pic] of [a, b].entries()) {
      const layerFrames = parseVp9SuperframeIndex(frames[i]!.data)!;
      expect(layerFrames).toHaveLength(3);
      expect(frames[i]!.size).toEqual({ width: 1280, height: 720 });
      const reader = new Vp9FrameHeaderReader();
      if (i === 1) reader.read(a.frames[0]!);
      const infos = layerFrames.map((f) => reader.read(f));
      expect(infos.map((h) => h.showFrame)).toEqual([false, false, true]);
      expect(infos.map((h) => h.width)).toEqual([320, 640, 1280]);
      // The top layer is byte for byte what was sent.
      expect(layerFrames[2]!.equals(pic.frames[2]!)).toBe(true);
    }
  });

  it('starts at a keyframe, and after a lost packet drops pictures until the next keyframe, asking for one', () => {
    const a = picture({ pictureId: 1, timestamp: 0, key: false, seq: 100 });
    const b = picture({ pictureId: 2, timestamp: 3000, key: true, seq: a.nextSeq, refresh: [0xff, 2, 4] });
    const c = picture({ pictureId: 3, timestamp: 6000, key: false, seq: b.nextSeq });
    const d = picture({ pictureId: 4, timestamp: 9000, key: false, seq: c.nextSeq });
    const e = picture({ pictureId: 5, timestamp: 12000, key: true, seq: d.nextSeq, refresh: [0xff, 2, 4] });
    const lost = c.packets.filter((_, i) => i !== 4); // the middle of the second layer's frame
    const { frames, keyFrameRequests, dep } = depacketize([...a.packets, ...b.packets, ...lost, ...d.packets, ...e.packets]);
    expect(frames.map((f) => f.timestamp)).toEqual([3000, 12000]);
    expect(keyFrameRequests()).toBeGreaterThanOrEqual(2); // before the first keyframe, and after the loss
    expect(dep.dropped).toBe(3); // a (no keyframe yet), c (incomplete), d (its reference is gone)
  });

  it('a picture without a top-layer frame shows the previous top-layer frame again, or nothing: never a smaller one', () => {
    const a = picture({ pictureId: 1, timestamp: 0, key: true, seq: 1, refresh: [0x01, 0x02, 0x04] });
    // The encoder skipped the top layer here; slot 2 still holds a's top frame.
    const b = picture({ pictureId: 2, timestamp: 3000, key: false, seq: a.nextSeq, layers: 2, refresh: [0x01, 0x02] });
    // A top-layer frame stored nowhere (refresh 0, as Chromium's T2 frames)…
    const c = picture({ pictureId: 3, timestamp: 6000, key: false, seq: b.nextSeq, refresh: [0, 0, 0] });
    // …so when the next picture lacks the top layer, no slot holds c's frame.
    const d = picture({ pictureId: 4, timestamp: 9000, key: false, seq: c.nextSeq, layers: 2, refresh: [0, 0] });
    const { frames, dep } = depacketize([...a.packets, ...b.packets, ...c.packets, ...d.packets]);
    expect(frames).toHaveLength(4);
    const reader = new Vp9FrameHeaderReader();
    const shown = frames.map((f) => {
      const infos = parseVp9SuperframeIndex(f.data)!.map((x) => reader.read(x));
      return infos.filter((h) => h.showFrame || h.showExistingFrame).map((h) => (h.showExistingFrame ? 'repeat' : h.width));
    });
    expect(shown).toEqual([[1280], ['repeat'], [1280], []]);
    expect(parseVp9SuperframeIndex(frames[1]!.data)!.at(-1)![0]! & 7).toBe(2); // slot 2
    expect(frames.every((f) => f.size?.width === 1280)).toBe(true);
    expect([dep.repeated, dep.hidden]).toEqual([1, 1]);
  });

  it('at the start, before the announced top layer arrives, shows nothing rather than a lower layer', () => {
    // The keyframe came without its top-layer frame (the encoder skipped it), though three layers are announced.
    const a = picture({ pictureId: 1, timestamp: 0, key: true, seq: 1, layers: 2, announce: 3, refresh: [0xff, 0x02] });
    const b = picture({ pictureId: 2, timestamp: 3000, key: false, seq: a.nextSeq, refresh: [0x01, 0x02, 0x04] });
    const { frames } = depacketize([...a.packets, ...b.packets]);
    const reader = new Vp9FrameHeaderReader();
    const shown = frames.map((f) => parseVp9SuperframeIndex(f.data)!.map((x) => reader.read(x)).filter((h) => h.showFrame || h.showExistingFrame).map((h) => h.width));
    expect(shown).toEqual([[], [1280]]);
    expect(frames[0]!.keyFrame).toBe(true);
  });
});
