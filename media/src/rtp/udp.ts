/**
 * Two shortcuts through Node's dgram layer for the packet path, both on the
 * socket's internal UDP handle (reached through the socket's state symbol).
 * If Node changes either, the functions return false and the ordinary path
 * is used; media/src/rtp/udp.test.ts checks both against the running Node.
 *
 * - Sending: dgram resolves every destination through the handle's `lookup`,
 *   even an IP literal, and dns.lookup answers on process.nextTick, so each
 *   datagram costs a tick, closures and a deferred send. ICE destinations are
 *   IP literals; enableSyncLookup() answers those synchronously.
 * - Receiving: each datagram goes handle.onmessage → emit('message') →
 *   werift's listener → its protocol. interceptMessages() lets the packet
 *   path take RTP at handle.onmessage, before the EventEmitter.
 */
import type dgram from 'node:dgram';
import { isIP } from 'node:net';
import { nativePacket, type NativePacket, type NativeReader } from './nativePacket.ts';
import { wordView } from './srtp.ts';

type LookupCallback = (error: Error | null, address?: string, family?: number) => void;
type Lookup = (address: string, callback: LookupCallback) => void;

const PATCHED = Symbol.for('muster.udp.syncLookup');
let stateSymbol: symbol | null | undefined;

function findStateSymbol(socket: dgram.Socket): symbol | null {
  if (stateSymbol === undefined) {
    stateSymbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol') ?? null;
  }
  return stateSymbol;
}

type OnMessage = (nread: number, handle: unknown, buf: Buffer, rinfo: unknown) => unknown;
type UdpHandle = { lookup?: Lookup; onmessage?: OnMessage } & Record<symbol, unknown>;

function handleOf(socket: dgram.Socket): UdpHandle | undefined {
  const symbol = findStateSymbol(socket);
  if (!symbol) return undefined;
  return (socket as unknown as Record<symbol, { handle?: UdpHandle } | undefined>)[symbol]?.handle;
}

/**
 * Hands every datagram the socket receives to `take` first; what it returns
 * true for is consumed (no 'message' event). False if Node's internals differ.
 */
export function interceptMessages(socket: dgram.Socket, take: (buf: Buffer) => boolean): boolean {
  const handle = handleOf(socket);
  const original = handle?.onmessage;
  if (!handle || typeof original !== 'function' || original.length !== 4) return false;
  handle.onmessage = function onRtpOrMessage(this: unknown, nread: number, h: unknown, buf: Buffer, rinfo: unknown) {
    if (nread > 0 && take(buf)) return;
    return original.call(this, nread, h, buf, rinfo);
  };
  return true;
}

export function enableSyncLookup(socket: dgram.Socket): boolean {
  const handle = handleOf(socket);
  if (!handle || typeof handle.lookup !== 'function') return false;
  if (handle[PATCHED]) return true;
  const original = handle.lookup;
  const family = (socket as unknown as { type?: string }).type === 'udp6' ? 6 : 4;
  let known = '';
  handle.lookup = function syncLookup(address: string, callback: LookupCallback): void {
    if (address === known || isIP(address) === family) {
      known = address;
      callback(null, address, family);
      return;
    }
    original.call(this, address, callback);
  };
  handle[PATCHED] = true;
  return true;
}

/**
 * The socket's file descriptor (Unix), for the native packet path's sendto;
 * -1 when Node does not expose it (Windows, a closed socket, other internals).
 */
export function socketFd(socket: dgram.Socket): number {
  const fd = (handleOf(socket) as { fd?: unknown } | undefined)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** Receives one datagram of a natively read socket; valid only during the call. True: taken (Node never sees it). */
export type TakeDatagram = (buf: Buffer, length: number, words: Int32Array | null) => boolean;

const SLOT_BYTES = 2048;
const SLOTS = 64;
let arena: { meta: Int32Array; slots: Buffer[]; words: (Int32Array | null)[] } | undefined;

function sharedArena(native: NativePacket): NonNullable<typeof arena> {
  if (arena === undefined) {
    const data = Buffer.allocUnsafeSlow(SLOT_BYTES * SLOTS);
    const meta = new Int32Array(SLOTS * 4);
    native.readerArena(data, meta, SLOT_BYTES, SLOTS);
    const slots = Array.from({ length: SLOTS }, (_, i) => data.subarray(i * SLOT_BYTES, (i + 1) * SLOT_BYTES));
    arena = { meta, slots, words: slots.map(wordView) };
  }
  return arena;
}

function ipv4String(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/**
 * Reads an IPv4 socket with the native reader (recvmmsg into one shared
 * arena, one JS call per batch) instead of Node's per-datagram Buffers.
 * `take` sees every datagram first; what it declines is copied and handed
 * to the socket's ordinary 'message' path, so werift still gets STUN, DTLS
 * and RTCP. Returns a stop function (idempotent; Node reads the socket
 * again if it is still open), or null where it cannot (no addon, IPv6,
 * other Node internals): then nothing changed.
 */
export function readSocketNatively(socket: dgram.Socket, take: TakeDatagram): (() => void) | null {
  const native = nativePacket;
  const handle = handleOf(socket) as (UdpHandle & { recvStart?: () => number; recvStop?: () => number }) | undefined;
  if (native === null || !handle || typeof handle.recvStop !== 'function' || typeof handle.recvStart !== 'function') return null;
  if ((socket as unknown as { type?: string }).type !== 'udp4' || typeof handle.onmessage !== 'function') return null;
  const fd = socketFd(socket);
  if (fd < 0) return null;
  const { meta, slots, words } = sharedArena(native);
  let lastIp = -1;
  let lastAddress = '';
  let reader: NativeReader;
  try {
    handle.recvStop();
    reader = native.readerStart(fd, (count) => {
      if (handleOf(socket) !== handle) return; // closed since the batch was read: nobody to give it to
      for (let i = 0; i < count; i++) {
        const length = meta[i * 4]!;
        if (length <= 0) continue; // truncated (larger than a slot) or empty
        const buf = slots[i]!;
        if (take(buf, length, words[i]!)) continue;
        const ip = meta[i * 4 + 2]! >>> 0;
        if (ip !== lastIp) {
          lastIp = ip;
          lastAddress = ipv4String(ip);
        }
        const copy = Buffer.allocUnsafe(length);
        buf.copy(copy, 0, 0, length);
        // As Node's UDP wrap calls it: dgram's onMessage adds rinfo.size and emits 'message'.
        handle.onmessage!(length, handle, copy, { address: lastAddress, family: 'IPv4', port: meta[i * 4 + 1]! });
      }
    });
  } catch {
    handle.recvStart();
    return null;
  }
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    socket.off('close', stop);
    native.readerStop(reader);
    // Still open (the link closed first): give reading back to Node.
    if (handleOf(socket) === handle) handle.recvStart!();
  };
  socket.once('close', stop);
  return stop;
}
