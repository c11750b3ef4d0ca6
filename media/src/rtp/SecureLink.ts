/**
 * SecureLink: one werift DTLS transport's SRTP session, the interception of
 * RTP at its ICE sockets (native reader, the dgram handle or werift's
 * callbacks; RFC 7983 demultiplexing) and the send of protected packets from
 * the worker's output scratch buffer. It reports to a LinkOwner, the SFU's
 * TransportMediaPath or a benchmark client (testing/fastRtpClient.ts), so it
 * imports neither: a file of its own, which the client uses without the path.
 */
import { performance } from 'node:perf_hooks';
import { RawRtcp } from './rtcp.ts';
import { isRtcpPacket, parseRtp, type MediaPacket } from './rtpPacket.ts';
import { wordView } from './bytes.ts';
import { MAX_PACKET, SrtpSession, srtpProfilesFor, type SrtpProfile } from './srtp.ts';
import { enableSyncLookup, interceptMessages, readSocketNatively, sendBatch, socketFd } from './udp.ts';
import { SharedUdpTransport } from '../WebRtcServer.ts';
import { ipv4ToNumber, nativePacket } from './nativePacket.ts';
import type { WeriftConnection, WeriftDtlsTransport, WeriftUdpTransport } from './weriftInternals.ts';

/** Counters of the packet path, for tests and diagnostics. */
export interface MediaPathCounters {
  rtpReceived: number;
  rtpDropped: number;
  authFailures: number;
  rtpSent: number;
  rtcpSent: number;
  nacksSent: number;
  /** RTX retransmissions received from publishers (and delivered as the packets they repair). */
  rtxReceived: number;
  /** Retransmissions sent to subscribers as RTX. */
  rtxSent: number;
}

/** What a SecureLink reports to: the SFU's TransportMediaPath, or a test client. */
export interface LinkOwner {
  readonly counters: MediaPathCounters;
  /** One authenticated, parsed RTP packet. */
  onRtp(packet: MediaPacket): void;
  /** The link's SRTP session has started. */
  linkConnected(): void;
}

/** Room before an outgoing packet in the output scratch buffer (HMAC ipad). */
export const SCRATCH_HEADROOM = 64;
const SCRATCH_SIZE = SCRATCH_HEADROOM + MAX_PACKET + 32;

/**
 * Where every outgoing packet is built, at SCRATCH_HEADROOM: one buffer for
 * the whole worker (the packet path is synchronous on one thread), reused
 * while Node sends synchronously; a send Node had to queue keeps it, and the
 * next packet gets a new one.
 */
const output = {
  buffer: Buffer.allocUnsafeSlow(SCRATCH_SIZE),
  words: null as Int32Array | null,
  replace(): void {
    this.buffer = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
    this.words = wordView(this.buffer);
  },
};
output.words = wordView(output.buffer);

/** What werift's UdpTransport.send resolves to when the native path sent the datagram. */
const SENT: Promise<void> = Promise.resolve();

/** Is this datagram RTP (not RTCP, STUN, DTLS)? RFC 7983 demultiplexing. */
function isRtp(data: Buffer, length = data.length): boolean {
  const b0 = data[0]!;
  return b0 > 127 && b0 < 192 && length >= 12 && !isRtcpPacket(data);
}

/**
 * One werift DTLS transport (with BUNDLE, the only one of a peer connection):
 * its SRTP session, the interception of RTP at its ICE sockets, and sending.
 */
export class SecureLink {
  readonly dtls: WeriftDtlsTransport;
  readonly #path: LinkOwner;
  readonly #connection: WeriftConnection;
  readonly #wrapped = new WeakSet<WeriftUdpTransport>();
  readonly #syncLookup = new WeakSet<object>();
  readonly #unsubscribe: (() => void)[] = [];
  session?: SrtpSession;
  #closed = false;
  // The native send's cache: the socket's fd and the destination as a number.
  #fdSocket?: unknown;
  #fd = -1;
  #remoteHost = '';
  #remoteIp = -1;
  /** A socket Node had to queue a datagram on. */
  #queuedIn?: unknown;
  /** Stops the native readers of this link's sockets. */
  readonly #stopReading: (() => void)[] = [];

  constructor(path: LinkOwner, dtls: WeriftDtlsTransport) {
    this.#path = path;
    this.dtls = dtls;
    this.#connection = dtls.iceTransport.connection;
    this.prepare();
    this.#unsubscribe.push(
      dtls.onStateChange.subscribe((state) => {
        if (state === 'connected') this.#start();
      }).unSubscribe,
      this.#connection.stateChanged.subscribe(() => {
        if (this.session) this.#wrapProtocols();
      }).unSubscribe,
    );
    if (dtls.state === 'connected') this.#start();
  }

  /**
   * Before DTLS starts: the SRTP profiles to negotiate, cheapest first (see
   * srtpProfilesFor). The role may only be known after the answer, so this
   * runs again on every attach until the handshake begins.
   */
  prepare(): void {
    const dtls = this.dtls;
    if (dtls.state !== 'new' || !Array.isArray(dtls.srtpProfiles)) return;
    const role = dtls.role === 'client' || dtls.role === 'server' ? dtls.role : this.#connection.iceControlling ? 'server' : 'client';
    dtls.srtpProfiles = srtpProfilesFor(role);
  }

  #start(): void {
    if (this.session || this.#closed) return;
    const config = this.dtls.srtp?.config;
    if (!config) return;
    this.session = new SrtpSession({ profile: config.profile as SrtpProfile, ...config.keys });
    this.#wrapProtocols();
    // Anything not arriving over a wrapped host socket (TURN, TCP) reaches the
    // connection's onData; take RTP there too, before werift's SRTP does.
    const onData = this.#connection.onData;
    const original = onData.execute;
    onData.execute = (data: Buffer) => {
      if (this.session && isRtp(data)) this.#receive(data);
      else original(data);
    };
    this.#path.linkConnected();
  }

  #wrapProtocols(): void {
    for (const protocol of this.#connection.protocols) {
      const udp = protocol.transport;
      if (protocol.type !== 'stun' || !udp || udp.type !== 'udp' || this.#wrapped.has(udp)) continue;
      this.#wrapped.add(udp);
      // On a worker's shared port the server routes this transport's datagrams
      // here; its own send (STUN, SRTCP) is already the native one.
      if (udp instanceof SharedUdpTransport) {
        this.#stopReading.push(
          udp.interceptRtp((data, length, words) => {
            if (this.session === undefined || udp.closed || !isRtp(data, length)) return false;
            this.#receive(data, length, words);
            return true;
          }),
        );
        continue;
      }
      // werift's own datagrams on this socket (STUN consent checks and their
      // answers, SRTCP) take the native send too: once media flows they are
      // most of what a quiet transport costs, mostly in dgram's send.
      const send = udp.send;
      if (nativePacket !== null && typeof send === 'function') {
        udp.send = (data: Buffer, addr?: [string, number]) =>
          addr !== undefined && !udp.closed && this.#sendNative(udp.socket, data, 0, data.length, addr) ? SENT : send(data, addr);
      }
      // Read the socket natively (recvmmsg, no Buffer per datagram) when the
      // addon is there; else take RTP where the socket's handle delivers it;
      // if Node's internals differ, one step later, from werift's UdpTransport.
      const stopReading =
        typeof udp.socket?.send === 'function'
          ? readSocketNatively(udp.socket, (data, length, words) => {
              if (this.session === undefined || udp.closed || !isRtp(data, length)) return false;
              this.#receive(data, length, words);
              return true;
            })
          : null;
      if (stopReading !== null) {
        this.#stopReading.push(stopReading);
        continue;
      }
      const taken =
        typeof udp.socket?.send === 'function' &&
        interceptMessages(udp.socket, (data) => {
          if (this.session === undefined || udp.closed || !isRtp(data)) return false;
          this.#receive(data);
          return true;
        });
      if (taken) continue;
      const original = udp.onData;
      udp.onData = (data: Buffer, addr: [string, number]) => {
        if (this.session !== undefined && isRtp(data)) this.#receive(data);
        else original(data, addr);
      };
    }
  }

  /** SRTP datagram data[0, datagramLength); `words` is wordView(data). */
  #receive(data: Buffer, datagramLength = data.length, words = wordView(data)): void {
    const dtls = this.dtls;
    dtls.bytesReceived += datagramLength;
    dtls.packetsReceived++;
    const pair = this.#connection.nominated;
    if (pair !== undefined) {
      pair.packetsReceived++;
      pair.bytesReceived += datagramLength;
    }
    // One word view per datagram serves decryption, the MAC and the producer's ring copy.
    const length = this.session!.remote.unprotectRtp(data, datagramLength, words);
    if (length < 0) {
      this.#path.counters.authFailures++;
      return;
    }
    const packet = parseRtp(data, length);
    if (packet === null) {
      this.#path.counters.rtpDropped++;
      return;
    }
    packet.words = words;
    packet.receivedAt = performance.now();
    this.#path.onRtp(packet);
  }

  /**
   * The buffer to build the next outgoing packet in, at offset
   * SCRATCH_HEADROOM (the bytes before it are the MAC's scratch space). Valid
   * until the next send() on this link.
   */
  get outputBuffer(): Buffer {
    return output.buffer;
  }

  /** outputBuffer as 32-bit words. */
  get outputWords(): Int32Array | null {
    return output.words;
  }

  /** Sends protected RTP buf[offset, offset + length) on the selected candidate pair. */
  send(buf: Buffer, length: number, offset = 0): boolean {
    const connection = this.#connection;
    const pair = connection.nominated;
    if (pair === undefined || this.#closed || !connection.canSendApplicationData()) return false;
    const protocol = pair.protocol;
    const udp = protocol.transport;
    try {
      if (protocol.type === 'stun' && udp !== undefined && udp.type === 'udp') {
        if (udp.closed) return false;
        const socket = udp.socket;
        if (!this.#syncLookup.has(socket)) {
          this.#syncLookup.add(socket);
          enableSyncLookup(socket);
        }
        if (!this.#sendNative(socket, buf, offset, length, pair.remoteAddr)) {
          socket.send(buf, offset, length, pair.remoteAddr[1], pair.remoteAddr[0]);
          // Node sends at once unless the socket buffer is full; then the queued
          // datagram still references the buffer, so stop reusing it.
          if ((socket.getSendQueueCount?.() ?? 0) > 0) {
            this.#queuedIn = socket;
            if (buf === output.buffer) output.replace();
          }
        }
      } else {
        protocol.sendData(Buffer.from(buf.subarray(offset, offset + length)), pair.remoteAddr).catch(() => undefined);
      }
    } catch {
      return false; // the socket closed under us
    }
    pair.packetsSent++;
    pair.bytesSent += length;
    this.dtls.packetsSent++;
    this.dtls.bytesSent += length;
    return true;
  }

  /**
   * sendto(2) straight from the native packet path, for an IPv4 destination
   * on a socket whose fd Node exposes; false to let Node send (no addon, IPv6,
   * or the socket buffer full: Node queues, and while its queue drains every
   * datagram on that socket goes through it, so none overtakes another).
   */
  #sendNative(socket: WeriftUdpTransport['socket'], buf: Buffer, offset: number, length: number, remote: readonly [string, number]): boolean {
    const native = nativePacket;
    if (native === null) return false;
    if (this.#queuedIn === socket) {
      if ((socket.getSendQueueCount?.() ?? 0) > 0) return false;
      this.#queuedIn = undefined;
    }
    if (this.#fdSocket !== socket) {
      this.#fdSocket = socket;
      this.#fd = socketFd(socket);
    }
    if (this.#fd < 0) return false;
    if (this.#remoteHost !== remote[0]) {
      this.#remoteHost = remote[0];
      this.#remoteIp = ipv4ToNumber(remote[0]);
    }
    if (this.#remoteIp < 0) return false;
    const sent = sendBatch.open
      ? native.queueSend(this.#fd, buf, offset, length, remote[1], this.#remoteIp)
      : native.sendTo(this.#fd, buf, offset, length, remote[1], this.#remoteIp);
    // Other errors (an ICMP unreachable reported late, say) lose the datagram, as dgram would.
    return sent !== native.EAGAIN;
  }

  sendRtcp(packet: Buffer): void {
    if (this.#closed || this.dtls.state !== 'connected') return;
    this.#path.counters.rtcpSent++;
    this.dtls.sendRtcp([new RawRtcp(packet)]).catch(() => undefined);
  }

  close(): void {
    this.#closed = true;
    this.session = undefined;
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    for (const stop of this.#stopReading.splice(0)) stop();
  }
}
