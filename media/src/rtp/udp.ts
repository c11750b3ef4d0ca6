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
import { wordView } from './bytes.ts';

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

/** Binds `socket` to `port` (0: any free one) on `address` (undefined: every address); rejects with the bind error. */
export function bindUdp(socket: dgram.Socket, port: number, address?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ port, address });
  });
}

/**
 * The socket's file descriptor (Unix), for the native packet path's sendto;
 * -1 when Node does not expose it (Windows, a closed socket, other internals).
 */
export function socketFd(socket: dgram.Socket): number {
  const fd = (handleOf(socket) as { fd?: unknown } | undefined)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * Open while a shared port's read batch is handled (WebRtcServer.ts): the
 * packet path then queues what it sends (nativePacket.queueSend) and the
 * server sends the queue with one sendmmsg at the end of the batch.
 */
export const sendBatch = { open: false };

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

/**
 * One datagram of a natively read socket: data[0, length), `words` its word
 * view, from the IPv4 address `ip` (host order) and `port`. The slot is
 * reused after the batch, so a receiver keeps nothing of it past the call.
 */
export type OnDatagram = (buf: Buffer, length: number, words: Int32Array | null, ip: number, port: number) => void;

/**
 * Reads an IPv4 socket with the native reader (recvmmsg into one shared
 * arena, one JS call per batch) instead of Node's per-datagram Buffers:
 * every datagram goes to `onDatagram`, then `onBatchEnd` runs once per
 * batch. Returns a stop function (idempotent; Node reads the socket again if
 * it is still open), or null where it cannot (no addon, IPv6, other Node
 * internals): then nothing changed.
 */
export function readDatagrams(socket: dgram.Socket, onDatagram: OnDatagram, onBatchEnd?: () => void): (() => void) | null {
  const native = nativePacket;
  const handle = handleOf(socket) as (UdpHandle & { recvStart?: () => number; recvStop?: () => number }) | undefined;
  if (native === null || !handle || typeof handle.recvStop !== 'function' || typeof handle.recvStart !== 'function') return null;
  if ((socket as unknown as { type?: string }).type !== 'udp4' || typeof handle.onmessage !== 'function') return null;
  const fd = socketFd(socket);
  if (fd < 0) return null;
  const { meta, slots, words } = sharedArena(native);
  let reader: NativeReader;
  try {
    handle.recvStop();
    reader = native.readerStart(fd, (count) => {
      if (handleOf(socket) !== handle) return; // closed since the batch was read: nobody to give it to
      try {
        for (let i = 0; i < count; i++) {
          const length = meta[i * 4]!;
          if (length <= 0) continue; // truncated (larger than a slot) or empty
          onDatagram(slots[i]!, length, words[i]!, meta[i * 4 + 2]! >>> 0, meta[i * 4 + 1]!);
        }
      } finally {
        onBatchEnd?.();
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

/** Remembers the last address's string form: datagrams mostly come in runs from one sender. */
export function ipv4Strings(): (ip: number) => string {
  let lastIp = -1;
  let lastAddress = '';
  return (ip) => {
    if (ip !== lastIp) {
      lastIp = ip;
      lastAddress = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    }
    return lastAddress;
  };
}

/**
 * readDatagrams for one socket that stays Node's otherwise: `take` sees
 * every datagram first; what it declines is copied and handed to the
 * socket's ordinary 'message' path, so werift still gets STUN, DTLS and
 * RTCP. Null where the native reader cannot be used.
 */
export function readSocketNatively(socket: dgram.Socket, take: TakeDatagram): (() => void) | null {
  const handle = handleOf(socket);
  const addressOf = ipv4Strings();
  return readDatagrams(socket, (buf, length, words, ip, port) => {
    if (take(buf, length, words)) return;
    const copy = Buffer.allocUnsafe(length);
    buf.copy(copy, 0, 0, length);
    // As Node's UDP wrap calls it: dgram's onMessage adds rinfo.size and emits 'message'.
    handle!.onmessage!(length, handle, copy, { address: addressOf(ip), family: 'IPv4', port });
  });
}
