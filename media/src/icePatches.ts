/**
 * Process-wide werift ICE patches for the SFU's worker processes (imported by
 * WebRtcTransport; like closedNetwork.ts, applied once per process). The first
 * two keep joining fast and cheap when thousands of connections are up; the
 * third makes the SFU an ICE-lite agent that talks only to authenticated peers
 * (security issue 13, finding 7):
 *
 * 1. Port ranges (RTC_MIN_PORT/RTC_MAX_PORT). werift's findPort probes every
 *    port from the bottom of the range on every gather — a bind and a close
 *    per port already taken — so gathering slows linearly with the number of
 *    sockets open (measured: 4 ms at 20 transports, 26 ms at 300, and far
 *    more on a busy worker). Here a process-wide cursor walks the range and
 *    the transport's own socket binds at the cursor: one bind in the common
 *    case, and no window between probing a port and binding it.
 * 2. mDNS (.local) remote candidates. werift opens a multicast socket per
 *    connection and a 10 s query per candidate to resolve them; from a server
 *    they almost never resolve (the browser is on another network), and ICE
 *    finds the browser anyway as a peer-reflexive candidate from its own
 *    checks. The SFU skips them: one socket and one timer fewer per connection.
 * 3. ICE-lite (RFC 8445 §2.5), as mediasoup and LiveKit: every SFU transport is
 *    a lite agent (WebRtcTransport sets werift's `iceLite`, and moves its
 *    a=ice-lite to session level). werift's lite mode already sends no check
 *    of its own (no ordinary, triggered or consent checks; it gathers host
 *    candidates only) and stays controlled; on top of it, here:
 *    - every connection (lite or full, so werift client peers in this process
 *      too) acts only on Binding requests that authenticateBindingRequest()
 *      accepts: signed with one of its own ice-pwds, USERNAME "ourUfrag:…",
 *      FINGERPRINT valid when present, nothing after them. Anything else is
 *      dropped unanswered before werift sees it: no response, no role switch
 *      (ICE-CONTROLLING/-CONTROLLED), no candidate learnt, no check;
 *    - a lite connection ignores remote candidates (SDP or trickle): it learns
 *      the client's address only from a signed request (peer-reflexive), so it
 *      never contacts an address a client merely names;
 *    - a signed USE-CANDIDATE on another pair than the selected one selects it
 *      (libwebrtc, facing a lite agent, nominates the pair it switches to);
 *    - consent, receiving side (RFC 7675): a lite agent sends no consent
 *      checks, the client does; with no signed request for
 *      iceLiteTiming.consentTimeoutMs the connection fails and stops sending,
 *      as werift's own consent expiry does for a full agent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Connection, UdpTransport, interfaceAddress } from 'werift';
import { bindUdp } from './rtp/udp.ts';

const PATCHED = Symbol.for('muster.werift.icePatches');

interface UdpTransportInternals {
  socketType: 'udp4' | 'udp6';
  socket: import('node:dgram').Socket;
  options: { port?: number; portRange?: [number, number]; interfaceAddresses?: Record<string, string> };
}

/** Next port to try, per range and socket type, shared by every transport of the process. */
const cursors = new Map<string, number>();

/** Binds `socket` to the first free port of [min, max] at or after the range's cursor. */
export async function bindInRange(
  socket: import('node:dgram').Socket,
  type: 'udp4' | 'udp6',
  [min, max]: [number, number],
  address: string | undefined,
): Promise<number> {
  const key = `${type}:${min}-${max}`;
  const size = max - min + 1;
  const start = cursors.get(key) ?? min;
  for (let i = 0; i < size; i++) {
    const port = min + ((start - min + i) % size);
    const bound = await bindUdp(socket, port, address).then(
      () => true,
      () => false,
    );
    if (bound) {
      cursors.set(key, port === max ? min : port + 1);
      return port;
    }
  }
  throw new Error(`no free UDP port in ${min}-${max}`);
}

/**
 * Bounds of the STUN requests authenticateBindingRequest() reads (anything
 * past them is refused before any HMAC is computed). Real checks are about
 * 100–200 bytes with under a dozen attributes.
 */
export const STUN_REQUEST_LIMITS = {
  /** Whole message (20-byte header included). */
  maxBytes: 1200,
  /** Attributes, MESSAGE-INTEGRITY and FINGERPRINT included. */
  maxAttributes: 32,
  /** USERNAME value: RFC 5389 §15.3 allows under 513 bytes (ufrags of up to 256 characters each, and the colon). */
  maxUsernameBytes: 512,
} as const;

/** Timers of the lite agent; mutable for tests only. */
export const iceLiteTiming = {
  /** No signed request for this long: the client is gone (RFC 7675's 30 s, werift's CONSENT_TIMEOUT). */
  consentTimeoutMs: 30_000,
};

const STUN_MAGIC_COOKIE = 0x2112a442;
const STUN_BINDING_REQUEST = 0x0001;
const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
const ATTR_FINGERPRINT = 0x8028;
const FINGERPRINT_XOR = 0x5354554e;

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as zlib's) over the chunks in order. */
function crc32(...chunks: Uint8Array[]): number {
  let crc = -1;
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i++) crc = CRC_TABLE[(crc ^ chunk[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** The first 4 header bytes with the length field set to `length` (RFC 5389 §15.4, §15.5). */
function headerWithLength(buf: Buffer, length: number): Buffer {
  const header = Buffer.allocUnsafe(4);
  header[0] = buf[0]!;
  header[1] = buf[1]!;
  header.writeUInt16BE(length, 2);
  return header;
}

/**
 * The local ufrag of `buf[0, length)` if it is an ICE Binding request
 * authenticated for it, else undefined. Authenticated: a USERNAME
 * "ourUfrag:theirs" (one, of at most maxUsernameBytes, non-empty ufrag) whose
 * ufrag `passwordOf` knows; a MESSAGE-INTEGRITY (HMAC-SHA1, RFC 5389 §15.4)
 * keyed with that ice-pwd over everything before it; after it nothing but a
 * FINGERPRINT, which must then be valid and last (RFC 5389 §15.5 — what
 * follows MESSAGE-INTEGRITY is not covered by it, so werift must not read
 * it). The header's length must match the datagram; see STUN_REQUEST_LIMITS
 * for the other bounds. `passwordOf` must look up own keys only.
 */
export function authenticateBindingRequest(
  buf: Buffer,
  length: number,
  passwordOf: (ufrag: string) => string | undefined,
): string | undefined {
  if (length < 20 || length > STUN_REQUEST_LIMITS.maxBytes || length > buf.length || (length & 3) !== 0) return undefined;
  if (buf.readUInt16BE(0) !== STUN_BINDING_REQUEST || buf.readUInt32BE(4) !== STUN_MAGIC_COOKIE) return undefined;
  if (buf.readUInt16BE(2) !== length - 20) return undefined;
  let ufrag: string | undefined;
  let signed = false;
  let attributes = 0;
  for (let at = 20; at < length; ) {
    if (++attributes > STUN_REQUEST_LIMITS.maxAttributes || at + 4 > length) return undefined;
    const type = buf.readUInt16BE(at);
    const size = buf.readUInt16BE(at + 2);
    const next = at + 4 + ((size + 3) & ~3);
    if (next > length) return undefined;
    if (signed) {
      // Only a FINGERPRINT may follow MESSAGE-INTEGRITY, and it ends the message.
      if (type !== ATTR_FINGERPRINT || size !== 4 || next !== length) return undefined;
      const expected = (crc32(headerWithLength(buf, next - 20), buf.subarray(4, at)) ^ FINGERPRINT_XOR) >>> 0;
      return buf.readUInt32BE(at + 4) === expected ? ufrag : undefined;
    }
    if (type === ATTR_USERNAME) {
      if (ufrag !== undefined || size > STUN_REQUEST_LIMITS.maxUsernameBytes) return undefined;
      const colon = buf.subarray(at + 4, at + 4 + size).indexOf(0x3a);
      if (colon < 1) return undefined;
      ufrag = buf.toString('utf8', at + 4, at + 4 + colon);
    } else if (type === ATTR_MESSAGE_INTEGRITY) {
      if (size !== 20 || ufrag === undefined) return undefined;
      const password = passwordOf(ufrag);
      if (typeof password !== 'string' || password === '') return undefined;
      const mac = createHmac('sha1', password)
        .update(headerWithLength(buf, next - 20))
        .update(buf.subarray(4, at))
        .digest();
      if (!timingSafeEqual(mac, buf.subarray(at + 4, at + 24))) return undefined;
      signed = true;
    } else if (type === ATTR_FINGERPRINT) {
      return undefined; // before MESSAGE-INTEGRITY: not where it belongs
    }
    at = next;
  }
  return signed ? ufrag : undefined;
}

/** werift's ICE credentials of a connection. */
export interface IceCredentials {
  localUsername: string;
  localPassword: string;
  /** Every ufrag the connection has had, with its ice-pwd (werift keeps them after an ICE restart). */
  userHistory: Record<string, string>;
}

/**
 * The connection's ice-pwd for `ufrag`: its current one, or one it had before
 * an ICE restart; own keys only ("constructor" is no ufrag). The current one
 * is not always in userHistory: werift copies a BUNDLE's credentials into the
 * other transports of a peer connection without recording them there.
 */
export function icePasswordFor(connection: IceCredentials, ufrag: string): string | undefined {
  if (ufrag === connection.localUsername) return connection.localPassword;
  return Object.hasOwn(connection.userHistory, ufrag) ? connection.userHistory[ufrag] : undefined;
}

/** What the patches below use of werift's ICE Connection. */
interface LiteConnection extends IceCredentials {
  iceLite: boolean;
  state: string;
  nominated?: CandidatePairLike;
  checkList: CandidatePairLike[];
  remoteCandidatesEnd: boolean;
  setState(state: string): void;
}

interface CandidatePairLike {
  protocol: unknown;
  nominated: boolean;
  remoteCandidate: { host: string; port: number };
}

interface RequestEvent {
  execute: (message: { attributesKeys: string[] }, addr: [string, number], data: Buffer) => void;
}

/** Lite connections: when a signed request last came, and the timer that checks it. */
const consent = new WeakMap<LiteConnection, { heardAt: number; timer?: ReturnType<typeof setTimeout> }>();

function watchConsent(connection: LiteConnection): void {
  const watch = consent.get(connection) ?? { heardAt: 0 };
  consent.set(connection, watch);
  watch.heardAt = Date.now();
  if (watch.timer !== undefined || connection.nominated === undefined) return;
  const check = (): void => {
    watch.timer = undefined;
    if (connection.state === 'closed' || connection.state === 'failed' || connection.nominated === undefined) return;
    const idle = Date.now() - watch.heardAt;
    if (idle < iceLiteTiming.consentTimeoutMs) {
      watch.timer = setTimeout(check, iceLiteTiming.consentTimeoutMs - idle);
      watch.timer.unref?.();
      return;
    }
    // As werift's own consent expiry: the transport stops sending, an ICE restart can revive it.
    connection.setState('failed');
  };
  watch.timer = setTimeout(check, iceLiteTiming.consentTimeoutMs);
  watch.timer.unref?.();
}

export function applyIcePatches(): void {
  const udpProto = UdpTransport.prototype as unknown as Record<string | symbol, unknown> & { init: (this: UdpTransportInternals) => Promise<void> };
  if (udpProto[PATCHED]) return;
  const originalInit = udpProto.init;
  udpProto.init = async function init(this: UdpTransportInternals): Promise<void> {
    const range = this.options.portRange;
    if (!range || this.options.port) return originalInit.call(this);
    await bindInRange(this.socket, this.socketType, range, interfaceAddress(this.socketType, this.options.interfaceAddresses as never));
  };
  udpProto[PATCHED] = true;

  const connectionProto = Connection.prototype as unknown as {
    addRemoteCandidate: (this: LiteConnection, candidate?: { host: string }) => Promise<void>;
    ensureProtocol: (this: LiteConnection, protocol: { onRequestReceived: RequestEvent }) => void;
    checkIncoming: (this: LiteConnection, message: { attributesKeys: string[] }, addr: [string, number], protocol: unknown) => void;
    close: (this: LiteConnection) => Promise<void>;
  };
  const originalAdd = connectionProto.addRemoteCandidate;
  connectionProto.addRemoteCandidate = async function addRemoteCandidate(this: LiteConnection, candidate?: { host: string }): Promise<void> {
    // A lite agent contacts no candidate: the client's address comes from its signed requests.
    if (this.iceLite) {
      if (!candidate) this.remoteCandidatesEnd = true;
      return;
    }
    if (candidate && typeof candidate.host === 'string' && candidate.host.toLowerCase().endsWith('.local')) return;
    return originalAdd.call(this, candidate);
  };

  // werift answers, and acts on, any request carrying one of its ufrags; only signed ones get through here.
  const originalEnsure = connectionProto.ensureProtocol;
  connectionProto.ensureProtocol = function ensureProtocol(this: LiteConnection, protocol: { onRequestReceived: RequestEvent }): void {
    originalEnsure.call(this, protocol);
    const event = protocol.onRequestReceived;
    const execute = event.execute;
    const connection = this;
    event.execute = (message, addr, data) => {
      if (!Buffer.isBuffer(data) || authenticateBindingRequest(data, data.length, (ufrag) => icePasswordFor(connection, ufrag)) === undefined) {
        return;
      }
      execute(message, addr, data);
    };
  };

  const originalCheckIncoming = connectionProto.checkIncoming;
  connectionProto.checkIncoming = function checkIncoming(this: LiteConnection, message, addr, protocol): void {
    if (!this.iceLite) return originalCheckIncoming.call(this, message, addr, protocol);
    const selected = this.nominated;
    originalCheckIncoming.call(this, message, addr, protocol);
    if (selected !== undefined && this.nominated === selected && message.attributesKeys.includes('USE-CANDIDATE')) {
      // werift keeps the first nominated pair for good; a controlling libwebrtc nominates the pair it moves to.
      const pair = this.checkList.find(
        (p) => p.protocol === protocol && p.remoteCandidate.host === addr[0] && p.remoteCandidate.port === addr[1],
      );
      if (pair !== undefined && pair !== selected && pair.nominated) {
        selected.nominated = false;
        this.nominated = pair;
      }
    }
    watchConsent(this);
  };

  const originalClose = connectionProto.close;
  connectionProto.close = function close(this: LiteConnection): Promise<void> {
    const watch = consent.get(this);
    if (watch?.timer !== undefined) clearTimeout(watch.timer);
    consent.delete(this);
    return originalClose.call(this);
  };
}

applyIcePatches();
