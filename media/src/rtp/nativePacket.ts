/**
 * The native packet path (media/native, built at install by native/build.mjs):
 * SRTP AES_CM_128_HMAC_SHA1_80 with OpenSSL from Node itself, a direct
 * sendto, and reading with recvmmsg (udp.ts readSocketNatively). Optional:
 * when it did not build, or MUSTER_NATIVE=0, this is null and srtp.ts /
 * SecureLink.ts / Node's dgram do the same steps in JS. Both paths
 * produce identical bytes (nativePacket.test.ts checks them against each other).
 */
import { createRequire } from 'node:module';

/** Opaque handle to one direction's SRTP session keys. */
export type NativeSrtpKeys = object & { readonly __nativeSrtpKeys: unique symbol };

export interface NativePacket {
  srtpKeys(sessionKey: Buffer, sessionSalt: Buffer, authKey: Buffer): NativeSrtpKeys;
  /** Encrypts src[srcAt, +bodyLength) after the header at out[offset, +headerLength) and appends the 10-byte tag; returns the SRTP length. */
  srtpProtect(keys: NativeSrtpKeys, out: Buffer, offset: number, headerLength: number, src: Buffer, srcAt: number, bodyLength: number, roc: number): number;
  /** Checks the tag of buf[0, length) and decrypts in place; returns the RTP length or -1. */
  srtpUnprotect(keys: NativeSrtpKeys, buf: Buffer, headerLength: number, length: number, roc: number): number;
  /** One datagram to an IPv4 address (host order); bytes sent or -errno. */
  sendTo(fd: number, buf: Buffer, offset: number, length: number, port: number, ipv4: number): number;
  /**
   * Queues one datagram (copied) for the next flushSends, which sends the
   * queue with one sendmmsg; 0 when queued. A datagram for another fd
   * flushes the queue first.
   */
  queueSend(fd: number, buf: Buffer, offset: number, length: number, port: number, ipv4: number): number;
  /** Sends what queueSend queued; returns how many datagrams were dropped since the last call. */
  flushSends(): number;
  readonly EAGAIN: number;
  /** Once per process: the arena every reader receives into (slots of slotSize bytes; meta: 4 words per slot). */
  readerArena(data: Buffer, meta: Int32Array, slotSize: number, slots: number): void;
  /** Reads a dup of fd with recvmmsg into the arena; `onBatch(count)` per batch. */
  readerStart(fd: number, onBatch: (count: number) => void): NativeReader;
  /** Sets the socket's receive buffer past net.core.rmem_max where the process may (SO_RCVBUFFORCE); returns the size in force. */
  receiveBuffer(fd: number, bytes: number): number;
  /** Stops reading and closes the dup (idempotent). */
  readerStop(reader: NativeReader): void;
}

/** Opaque handle to one socket's native reader. */
export type NativeReader = object & { readonly __nativeReader: unique symbol };

export interface NativePacketStatus {
  loaded: boolean;
  /** Why not, when not loaded. */
  reason?: string;
}

function load(): { native: NativePacket | null; status: NativePacketStatus } {
  if (process.env.MUSTER_NATIVE === '0') return { native: null, status: { loaded: false, reason: 'disabled by MUSTER_NATIVE=0' } };
  try {
    const require = createRequire(import.meta.url);
    const native = require('../../native/build/Release/muster_packet.node') as NativePacket;
    return { native, status: { loaded: true } };
  } catch (error) {
    return { native: null, status: { loaded: false, reason: `not built (${(error as Error).message.split('\n')[0]})` } };
  }
}

const loaded = load();

/** The addon, or null: callers keep a JS path for null. */
export const nativePacket: NativePacket | null = loaded.native;
export const nativePacketStatus: NativePacketStatus = loaded.status;

/** "a.b.c.d" → the address as an unsigned 32-bit number, or -1 if it is not a dotted IPv4 literal. */
export function ipv4ToNumber(address: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}
