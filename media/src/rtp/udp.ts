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
