import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { ByteSource } from './byteSource.ts';

/**
 * Fixtures made at test time (nothing binary is committed): media by
 * ffmpeg's lavfi sources, hostile files crafted byte by byte. Test data only:
 * product code never writes a file.
 */

/** A scratch directory for ffmpeg outputs that need a seekable file (MP4), and its removal. */
export async function scratchDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'muster-processing-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

function run(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.FFMPEG_PATH || 'ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`ffmpeg ${args.join(' ')}: ${err}`))));
  });
}

/** ffmpeg writes `name` in `dir` (a seekable file: an MP4's index goes at the end, as by default); its bytes. */
export async function ffmpegFile(dir: string, name: string, args: string[]): Promise<Buffer> {
  const file = path.join(dir, name);
  await run(['-y', ...args, file]);
  return readFile(file);
}

/**
 * ffmpeg writes to a pipe in `format`: a WebM made so has no duration and no
 * cues, like a browser's MediaRecorder output.
 */
export function ffmpegPiped(format: string, args: string[]): Promise<Buffer> {
  return run([...args, '-f', format, 'pipe:1']);
}

/** A sine tone as lavfi input arguments. */
export function sine(seconds: number, frequency = 440): string[] {
  return ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${seconds}:sample_rate=48000`];
}

/** A test pattern as lavfi input arguments. */
export function testsrc(seconds: number, size = '320x240', rate = 25): string[] {
  return ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}:duration=${seconds}`];
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/**
 * A PNG whose header claims width × height RGB pixels, with one real row of
 * image data: a few hundred bytes that would decode to gigabytes.
 */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3); // filter byte + zeros
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(row, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A zip holding one file of `mebibytes` MiB of zeros, deflated, built by
 * hand: the same non-final deflate blocks of 1 MiB of zeros repeated (valid,
 * since the window they refer back to holds zeros too), then a final empty
 * block. About 1 KB per MiB.
 */
export function zipOfZeros(mebibytes: number, name = 'zeros.bin'): Buffer {
  const mib = Buffer.alloc(1 << 20);
  const block = zlib.deflateRawSync(mib, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const data = Buffer.concat([...Array.from({ length: mebibytes }, () => block), Buffer.from([0x03, 0x00])]);
  let crc = 0;
  for (let i = 0; i < mebibytes; i++) crc = zlib.crc32(mib, crc);
  const size = mebibytes * (1 << 20);
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size >>> 0, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // made by
  central.writeUInt16LE(20, 6); // needed
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size >>> 0, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(0, 42); // local header offset
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

/**
 * A ByteSource like the encrypted store's: every read is a fresh stream of
 * small chunks, and the reads are recorded (to see that ffmpeg seeks).
 */
export function chunkedSource(bytes: Buffer, chunkSize = 16 * 1024): ByteSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    size: bytes.length,
    reads,
    async read(start, end) {
      reads.push([start, end]);
      const slice = bytes.subarray(start, end + 1);
      return Readable.from(
        (function* () {
          for (let at = 0; at < slice.length; at += chunkSize) yield slice.subarray(at, at + chunkSize);
        })(),
      );
    },
  };
}

/**
 * An MP4 of one video track with its track header's display matrix set to a
 * 90° rotation, as a phone writes portrait video (ffmpeg 5.1 has no option
 * that writes it).
 */
export function rotateMp4By90(mp4: Buffer): Buffer {
  const out = Buffer.from(mp4);
  const at = out.indexOf('tkhd');
  if (at < 0) throw new Error('no tkhd box');
  const version = out[at + 4];
  // type, version+flags, times and track id (20 or 32 bytes), duration… reserved, layer, group, volume, reserved.
  const matrix = at + 4 + 4 + (version === 0 ? 20 : 32) + 8 + 8;
  [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000].forEach((value, i) => out.writeInt32BE(value, matrix + i * 4));
  return out;
}
