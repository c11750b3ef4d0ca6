/**
 * Process-wide werift DTLS patches that make a handshake survive a busy
 * machine (imported by WebRtcTransport and peer.ts; like icePatches.ts,
 * applied once per process). Both fix what was seen as a meeting in which a
 * browser's subscriber stayed "connecting" for good with both cores busy.
 *
 * 1. Early DTLS. A lite agent starts DTLS only once the client has nominated a
 *    pair, but libwebrtc sends its ClientHello as soon as one of its checks is
 *    answered, and its nomination can come later than that. werift drops DTLS
 *    that arrives before its DTLS transport exists, and the browser retransmits
 *    only after a backoff that reaches 15 s and more. A lite connection now
 *    holds the first EARLY_DTLS_LIMIT DTLS datagrams it receives before DTLS
 *    starts and hands them to DTLS the moment it starts.
 *
 * 2. Retransmitted flights (RFC 6347 §4.2.4). A peer whose timer fires before
 *    our answer arrives (libwebrtc starts at 50 ms on loopback, and a busy
 *    worker answers later than that) sends its last flight again, and the
 *    copies can arrive at any later point of the handshake. werift handles
 *    every copy as a new flight: its handlers run again and rebuild flight
 *    state and keys. Seen: a DTLS client that gets a copy of the server's
 *    flight 4 after the handshake runs its flight 5 again and the association
 *    breaks (dtlsPatches.test.ts), and browsers whose association the SFU
 *    called connected while they went on repeating their flight 5. RFC 6347
 *    asks for no more than this: drop a repeated flight, and send our last
 *    flight again. Each DTLS transport's socket gets a
 *    DtlsRetransmissionGuard that does that (our answer at most every
 *    RESEND_INTERVAL_MS).
 *
 * Also: werift's RTCPeerConnection calls connect() on every answer, and a
 * renegotiation while DTLS is still handshaking calls the DTLS transport's
 * start() a second time, which throws and flips the connection to "failed"
 * until the handshake completes; a second start() now waits for the first.
 */
import { Connection, RTCDtlsTransport, isDtls } from 'werift';

const PATCHED = Symbol.for('muster.werift.dtlsPatches');

/**
 * DTLS datagrams a lite connection holds until its DTLS transport starts: a
 * ClientHello is one to a few datagrams and its retransmissions repeat it, so
 * a handful is plenty, and bounds what a client can make the SFU hold.
 */
export const EARLY_DTLS_LIMIT = 8;

/** At most one resend of our last flight per this many ms (a peer's retransmissions cannot make us flood it). */
export const RESEND_INTERVAL_MS = 100;

const RECORD_HEADER_BYTES = 13;
const HANDSHAKE_HEADER_BYTES = 12;
const CONTENT_CHANGE_CIPHER_SPEC = 20;
const CONTENT_HANDSHAKE = 22;
/** A handshake has about a dozen messages; more distinct fragments than this and the guard stops remembering. */
const MAX_REMEMBERED_FRAGMENTS = 256;
/** Our longest flight (ServerHello … ServerHelloDone) is five datagrams. */
const MAX_FLIGHT_DATAGRAMS = 16;

/** Epoch-0 handshake fragments of a datagram, as "message_seq/offset/length", and the highest message_seq; undefined if it has none or does not parse. */
function plaintextHandshakes(datagram: Buffer): { keys: string[]; highestSeq: number } | undefined {
  const keys: string[] = [];
  let highestSeq = -1;
  for (let at = 0; at + RECORD_HEADER_BYTES <= datagram.length; ) {
    const contentType = datagram[at]!;
    const epoch = datagram.readUInt16BE(at + 3);
    const length = datagram.readUInt16BE(at + 11);
    const body = at + RECORD_HEADER_BYTES;
    if (body + length > datagram.length) return undefined;
    if (contentType === CONTENT_HANDSHAKE && epoch === 0) {
      if (length < HANDSHAKE_HEADER_BYTES) return undefined;
      const seq = datagram.readUInt16BE(body + 4);
      keys.push(`${seq}/${datagram.readUIntBE(body + 6, 3)}/${datagram.readUIntBE(body + 9, 3)}`);
      highestSeq = Math.max(highestSeq, seq);
    }
    at = body + length;
  }
  return keys.length > 0 ? { keys, highestSeq } : undefined;
}

/**
 * Tells retransmitted handshake flights from new ones, per DTLS association,
 * and keeps our latest flight to send again (RFC 6347 §4.2.4). Datagrams
 * without plaintext handshake messages (application data, alerts, a lone
 * encrypted Finished) always go through.
 */
export class DtlsRetransmissionGuard {
  readonly #seen = new Set<string>();
  /** Highest message_seq received from the peer. */
  #latestInbound = -1;
  /** The #latestInbound that #lastFlight answers. */
  #answered = -1;
  #lastFlight: Buffer[] = [];
  #resentAt = -Infinity;
  #stats = { retransmissionsDropped: 0, flightsResent: 0 };

  /** A datagram from the peer: whether werift should see it, and what to send again. */
  inbound(datagram: Buffer, now: number): { deliver: boolean; resend: readonly Buffer[] } {
    const handshakes = plaintextHandshakes(datagram);
    if (handshakes === undefined) return { deliver: true, resend: [] };
    if (handshakes.keys.some((key) => !this.#seen.has(key))) {
      if (this.#seen.size + handshakes.keys.length <= MAX_REMEMBERED_FRAGMENTS) for (const key of handshakes.keys) this.#seen.add(key);
      this.#latestInbound = Math.max(this.#latestInbound, handshakes.highestSeq);
      return { deliver: true, resend: [] };
    }
    this.#stats.retransmissionsDropped++;
    // Only the peer's latest flight, once answered, asks for our answer again; while werift still
    // works on its answer, or for an older flight of the peer, the copy is just dropped.
    const answered = handshakes.highestSeq === this.#latestInbound && this.#answered === this.#latestInbound && this.#lastFlight.length > 0;
    if (!answered || now - this.#resentAt < RESEND_INTERVAL_MS) return { deliver: false, resend: [] };
    this.#resentAt = now;
    this.#stats.flightsResent++;
    return { deliver: false, resend: this.#lastFlight };
  }

  /** A datagram we send: handshake datagrams make up our latest flight. */
  outbound(datagram: Buffer): void {
    const contentType = datagram[0];
    if (contentType !== CONTENT_HANDSHAKE && contentType !== CONTENT_CHANGE_CIPHER_SPEC) return;
    if (this.#answered !== this.#latestInbound) {
      this.#answered = this.#latestInbound;
      this.#lastFlight = [];
    }
    // werift's own timers resend the same bytes: keep one copy.
    if (this.#lastFlight.length >= MAX_FLIGHT_DATAGRAMS || this.#lastFlight.some((sent) => sent.equals(datagram))) return;
    this.#lastFlight.push(Buffer.from(datagram));
  }

  getStats(): { retransmissionsDropped: number; flightsResent: number } {
    return { ...this.#stats };
  }
}

/** Lite connections' DTLS held before DTLS started, or DTLS_STARTED once it has. */
const earlyDtls = new WeakMap<object, Buffer[] | typeof DTLS_STARTED>();
const DTLS_STARTED = Symbol('dtls started');

function holdEarlyDtls(connection: object, data: Buffer): void {
  const held = earlyDtls.get(connection) ?? [];
  if (held === DTLS_STARTED || held.length >= EARLY_DTLS_LIMIT || !Buffer.isBuffer(data) || !isDtls(data)) return;
  // A copy: the shared port reads datagrams into buffers it reuses.
  held.push(Buffer.from(data));
  earlyDtls.set(connection, held);
}

/** The DTLS transport's guard, for tests and diagnostics. */
const guards = new WeakMap<object, DtlsRetransmissionGuard>();

export function retransmissionGuardOf(dtlsTransport: object): DtlsRetransmissionGuard | undefined {
  return guards.get(dtlsTransport);
}

/** What the patch uses of werift's RTCDtlsTransport. */
interface DtlsTransportInternals {
  iceTransport: { connection: object };
  dtls?: { transport?: { socket?: DtlsSocketTransport } };
}

/** werift's IceTransport under a DTLS socket: onData is the socket's receive handler, send goes to the ICE connection. */
interface DtlsSocketTransport {
  onData?: (data: Buffer) => void;
  send?: (data: Buffer) => Promise<void>;
}

/** Puts `guard` between werift's DTLS socket and its ICE transport. */
function guardSocket(socket: DtlsSocketTransport, guard: DtlsRetransmissionGuard): void {
  const receive = socket.onData;
  const send = socket.send;
  if (typeof receive !== 'function' || typeof send !== 'function') return;
  socket.send = (data: Buffer) => {
    guard.outbound(data);
    return send.call(socket, data);
  };
  socket.onData = (data: Buffer) => {
    const { deliver, resend } = guard.inbound(data, performance.now());
    for (const datagram of resend) send.call(socket, datagram).catch(() => undefined);
    if (deliver) receive(data);
  };
}

export function applyDtlsPatches(): void {
  const dtlsProto = RTCDtlsTransport.prototype as unknown as Record<symbol, unknown> & {
    start: (this: DtlsTransportInternals) => Promise<void>;
  };
  if (dtlsProto[PATCHED]) return;
  dtlsProto[PATCHED] = true;

  const connectionProto = Connection.prototype as unknown as {
    iceLite: boolean;
    ensureProtocol: (this: { iceLite: boolean }, protocol: { onDataReceived: { subscribe: (listener: (data: Buffer) => void) => unknown } }) => void;
    close: (this: object) => Promise<void>;
  };
  const originalEnsure = connectionProto.ensureProtocol;
  connectionProto.ensureProtocol = function ensureProtocol(protocol): void {
    originalEnsure.call(this, protocol);
    if (this.iceLite) protocol.onDataReceived.subscribe((data) => holdEarlyDtls(this, data));
  };
  const originalClose = connectionProto.close;
  connectionProto.close = function close(): Promise<void> {
    earlyDtls.delete(this);
    return originalClose.call(this);
  };

  const inFlight = new WeakMap<object, Promise<void>>();
  const originalStart = dtlsProto.start;
  dtlsProto.start = function start(this: DtlsTransportInternals): Promise<void> {
    const running = inFlight.get(this);
    if (running) return running;
    const connection = this.iceTransport.connection;
    const held = earlyDtls.get(connection);
    earlyDtls.set(connection, DTLS_STARTED);
    // werift builds its DTLS socket synchronously in start(), before the handshake's first await.
    const started = originalStart.call(this);
    const settled = started.finally(() => inFlight.delete(this));
    settled.catch(() => undefined);
    inFlight.set(this, settled);
    const socket = this.dtls?.transport?.socket;
    if (socket) {
      const guard = new DtlsRetransmissionGuard();
      guards.set(this, guard);
      guardSocket(socket, guard);
      if (Array.isArray(held)) {
        for (const datagram of held) {
          try {
            socket.onData?.(datagram);
          } catch {
            // as werift's own receive path: a datagram it cannot parse is dropped
          }
        }
      }
    }
    return started;
  };
}

applyDtlsPatches();
