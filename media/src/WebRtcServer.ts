/**
 * One UDP port for every WebRTC transport of a worker process, as
 * mediasoup's WebRtcServer: a datagram is routed to its transport by the
 * sender's address, and a STUN binding request by the ICE username fragment
 * it carries (RFC 8445 §7.2: "ourUfrag:theirs") — once it proves to be signed
 * with that transport's ice-pwd (authenticateBindingRequest in icePatches.ts):
 * only such a request ties an address to a transport. The transports are
 * ICE-lite agents: they send no checks, and learn a client's address only
 * from its signed requests.
 *
 * Why one port instead of a socket per transport:
 * - reading: recvmmsg on one socket brings a batch of datagrams from many
 *   transports per system call and per event-loop wake-up; with a socket per
 *   transport, each readable event brought about one;
 * - file descriptors: one per worker instead of one per transport (the
 *   process limit here is 20,000; 600 meetings × 2 transports × 2 host
 *   addresses already needs 2,400);
 * - joining: gathering binds nothing, so a transport's candidates are ready
 *   at once however many transports are up;
 * - operations: a firewall opens one port per worker.
 *
 * werift keeps doing ICE, DTLS and SRTCP per transport: each of its ICE
 * protocols gets a SharedUdpTransport, a stand-in for werift's UdpTransport
 * that sends on the shared socket and receives what this server routes to
 * it. A peer connection is put on a server by its `iceFilterStunResponse`
 * option (`server.iceOptions`), the one option werift hands unchanged to
 * the ICE connection, where patchWerift() below finds it.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { Connection, StunProtocol } from 'werift';
import { authenticateBindingRequest, bindInRange, icePasswordFor } from './icePatches.ts';
import { ipv4ToNumber, nativePacket } from './rtp/nativePacket.ts';
import { bindUdp, ipv4Strings, readDatagrams, sendBatch, socketFd, type TakeDatagram } from './rtp/udp.ts';
import { wordView } from './rtp/bytes.ts';

/** Kernel buffers of the shared socket: it carries what thousands of sockets did (capped by net.core.[rw]mem_max). */
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;
/**
 * What the receive buffer may hold past that cap where the process is allowed
 * to (see receiveBuffer in media/native/src/reader.c); the kernel doubles it
 * for its own overhead. About 0.5 s of 50k packets/s of video, absorbed
 * without loss while the worker's event loop is held up.
 */
const RECEIVE_BUFFER_BYTES = 32 * 1024 * 1024;
const STUN_MAGIC_COOKIE = 0x2112a442;
const STUN_BINDING_REQUEST = 0x0001;
const STUN_USERNAME = 0x0006;

export interface WebRtcServerOptions {
  /** Bind the port inside this range (RTC_MIN_PORT..RTC_MAX_PORT); else the system picks one. */
  portRange?: [number, number];
}

export interface WebRtcServerStats {
  port: number;
  /** werift ICE protocols (one per transport and host address) on this port. */
  transports: number;
  /** Remote addresses routed to a transport. */
  addresses: number;
  datagramsIn: number;
  /** Datagrams from an address no transport knows, and not a binding request for a known ufrag. */
  unroutable: number;
  /** Binding requests for a known ufrag not signed with its ice-pwd (or malformed): dropped unanswered. */
  unauthenticated: number;
  /** Datagrams the kernel refused from a batched send (socket buffer full, or an error for that destination). */
  sendDropped: number;
  /** The kernel's receive buffer of the port (raise net.core.rmem_max if it is small; docs/operations.md). */
  receiveBufferBytes: number;
  /** Whether the port is read with recvmmsg and forwards are sent with sendmmsg (the native packet path). */
  nativeReader: boolean;
}

/** What the server needs of werift's ICE connection. */
interface IceConnection {
  localUsername: string;
  localPassword: string;
  userHistory: Record<string, string>;
  options: { filterStunResponse?: unknown };
}

interface IceProtocol {
  type: string;
  localIp?: string;
  transport?: unknown;
  connectionMade: (useIpv4: boolean, ...rest: unknown[]) => Promise<void>;
  datagramReceived(data: Buffer, addr: [string, number]): void;
}

/** The server of a werift ICE connection, found through the marker function of `iceOptions`. */
const SERVER = Symbol('muster.webRtcServer');

/** Address key: IPv4 (host order) and port in one exact integer. */
function addressKey(ip: number, port: number): number {
  return ip * 65536 + port;
}

/** The local ufrag of a STUN binding request (USERNAME "ours:theirs"), or undefined. */
export function bindingRequestUfrag(buf: Buffer, length: number): string | undefined {
  if (length < 20 || buf.readUInt16BE(0) !== STUN_BINDING_REQUEST || buf.readUInt32BE(4) !== STUN_MAGIC_COOKIE) return undefined;
  const end = Math.min(length, 20 + buf.readUInt16BE(2));
  let at = 20;
  while (at + 4 <= end) {
    const type = buf.readUInt16BE(at);
    const size = buf.readUInt16BE(at + 2);
    if (at + 4 + size > end) return undefined;
    if (type === STUN_USERNAME) {
      const colon = buf.indexOf(58, at + 4);
      const stop = colon >= 0 && colon < at + 4 + size ? colon : at + 4 + size;
      return buf.toString('utf8', at + 4, stop);
    }
    at += 4 + ((size + 3) & ~3);
  }
  return undefined;
}

export class WebRtcServer {
  readonly #socket: dgram.Socket;
  readonly #port: number;
  readonly #fd: number;
  readonly #receiveBufferBytes: number;
  readonly #byAddress = new Map<number, SharedUdpTransport>();
  /**
   * Connections by local ufrag, oldest first. Before BUNDLE is settled werift
   * gives each m-section its own ICE connection with the same credentials;
   * the first is the BUNDLE's (its candidates are the ones signalled), and the
   * others close when the answer arrives.
   */
  readonly #byUfrag = new Map<string, IceConnection[]>();
  readonly #byConnection = new Map<IceConnection, SharedUdpTransport[]>();
  readonly #stopReading: (() => void) | null;
  readonly #addressOf = ipv4Strings();
  readonly #counters = { datagramsIn: 0, unroutable: 0, unauthenticated: 0, sendDropped: 0 };
  /** Pass to RTCPeerConnection: its ICE then runs on this server's port. */
  readonly iceOptions: { iceFilterStunResponse: () => boolean };
  #closed = false;

  static async create(options: WebRtcServerOptions = {}): Promise<WebRtcServer> {
    patchWerift();
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
    socket.on('error', () => undefined); // a send error on UDP concerns one datagram, not the port
    if (options.portRange) await bindInRange(socket, 'udp4', options.portRange, undefined);
    else await bindUdp(socket, 0);
    return new WebRtcServer(socket);
  }

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    this.#port = socket.address().port;
    this.#fd = socketFd(socket);
    this.#receiveBufferBytes =
      nativePacket !== null && this.#fd >= 0 ? nativePacket.receiveBuffer(this.#fd, RECEIVE_BUFFER_BYTES) : socket.getRecvBufferSize();
    const marker = Object.assign(() => true, { [SERVER]: this });
    this.iceOptions = { iceFilterStunResponse: marker };
    this.#stopReading = readDatagrams(
      socket,
      (buf, length, words, ip, port) => {
        sendBatch.open = true;
        this.#route(buf, length, words, ip, port);
      },
      () => {
        sendBatch.open = false;
        this.#counters.sendDropped += nativePacket!.flushSends();
      },
    );
    if (this.#stopReading === null) {
      socket.on('message', (data, rinfo) => {
        const ip = ipv4ToNumber(rinfo.address);
        if (ip >= 0) this.#route(data, data.length, wordView(data), ip, rinfo.port, rinfo.address);
      });
    }
  }

  get port(): number {
    return this.#port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #route(buf: Buffer, length: number, words: Int32Array | null, ip: number, port: number, address?: string): void {
    this.#counters.datagramsIn++;
    const key = addressKey(ip, port);
    let transport = this.#byAddress.get(key);
    // Binding requests go by ufrag even from a known address: the ufrag is what
    // ties a sender to a transport (a client's new connection on a reused port,
    // an ICE restart); the address map is learnt from them, signed ones only.
    if (buf[0]! < 2) {
      const ufrag = bindingRequestUfrag(buf, length);
      if (ufrag !== undefined) {
        const connection = this.#byUfrag.get(ufrag)?.[0];
        // Requests always carry one of our ufrags; werift itself would answer any.
        if (connection === undefined) {
          this.#counters.unroutable++;
          return;
        }
        // Anyone can write a ufrag (it travels in clear in every check); only the client has the ice-pwd.
        if (authenticateBindingRequest(buf, length, (u) => (u === ufrag ? icePasswordFor(connection, u) : undefined)) === undefined) {
          this.#counters.unauthenticated++;
          return;
        }
        const byUfrag = this.#transportFor(connection, ip);
        if (byUfrag === undefined) {
          this.#counters.unroutable++;
          return;
        }
        if (byUfrag !== transport) {
          transport?.forget(key);
          transport = byUfrag;
          this.#assign(key, transport);
        }
      }
    }
    if (transport === undefined) {
      this.#counters.unroutable++;
      return;
    }
    if (transport.take !== undefined && transport.take(buf, length, words)) return;
    const copy = Buffer.allocUnsafe(length);
    buf.copy(copy, 0, 0, length);
    transport.deliver(copy, address ?? this.#addressOf(ip), port);
  }

  /** The connection's protocol for a request from `ip`: loopback to the loopback candidate, anything else to the first other. */
  #transportFor(connection: IceConnection, ip: number): SharedUdpTransport | undefined {
    const transports = this.#byConnection.get(connection);
    if (transports === undefined) return undefined;
    const loopback = ip >>> 24 === 127;
    return transports.find((t) => t.loopback === loopback) ?? transports[0];
  }

  /** werift's StunProtocol.connectionMade for a connection on this server. */
  attach(connection: IceConnection, protocol: IceProtocol): SharedUdpTransport {
    if (this.#closed) throw new Error('WebRTC server is closed');
    const transport = new SharedUdpTransport(this, this.#socket, connection, protocol);
    let transports = this.#byConnection.get(connection);
    if (transports === undefined) {
      transports = [];
      this.#byConnection.set(connection, transports);
    }
    transports.push(transport);
    this.renamed(connection);
    return transport;
  }

  /**
   * Gives a connection a ufrag no other connection on this port has. werift
   * draws 4 hex digits (65,536 values), so among a few hundred connections
   * two share one, and on a shared port a check for one would reach the other.
   * Called when werift draws one (construction and ICE restart), before the
   * ufrag is signalled.
   */
  assignUfrag(connection: IceConnection & { protocols?: { localCandidate?: { ufrag?: string } }[] }): void {
    let ufrag: string;
    do ufrag = randomBytes(6).toString('hex');
    while (this.#byUfrag.has(ufrag));
    delete connection.userHistory[connection.localUsername];
    connection.localUsername = ufrag;
    connection.userHistory[ufrag] = connection.localPassword;
    for (const protocol of connection.protocols ?? []) if (protocol.localCandidate) protocol.localCandidate.ufrag = ufrag;
    this.renamed(connection);
  }

  /** The connection has a new local ufrag (ICE restart); its old ones stay valid, as in werift's userHistory. */
  renamed(connection: IceConnection): void {
    if (!this.#byConnection.has(connection)) return;
    const ufrag = connection.localUsername;
    const owners = this.#byUfrag.get(ufrag);
    if (owners === undefined) this.#byUfrag.set(ufrag, [connection]);
    else if (!owners.includes(connection)) owners.push(connection);
  }

  /** Datagrams from the address `key` go to `transport` from now on. */
  #assign(key: number, transport: SharedUdpTransport): void {
    this.#byAddress.set(key, transport);
    transport.learn(key);
  }

  detach(transport: SharedUdpTransport, keys: Iterable<number>): void {
    for (const key of keys) if (this.#byAddress.get(key) === transport) this.#byAddress.delete(key);
    const connection = transport.connection;
    const transports = this.#byConnection.get(connection);
    if (transports === undefined) return;
    transports.splice(transports.indexOf(transport) >>> 0, 1);
    if (transports.length > 0) return;
    this.#byConnection.delete(connection);
    for (const [ufrag, owners] of this.#byUfrag) {
      const index = owners.indexOf(connection);
      if (index < 0) continue;
      owners.splice(index, 1);
      if (owners.length === 0) this.#byUfrag.delete(ufrag);
    }
  }

  /** Sends `transport`'s datagram (werift's STUN, DTLS, SRTCP) on the shared port. */
  send(transport: SharedUdpTransport, data: Buffer, host: string, port: number): void {
    if (this.#closed) return;
    const ip = ipv4ToNumber(host);
    if (ip >= 0) {
      // Replies from where a transport sends are its, unless the address is already another's.
      const key = addressKey(ip, port);
      if (!this.#byAddress.has(key)) this.#assign(key, transport);
    }
    if (nativePacket !== null && this.#fd >= 0 && ip >= 0 && this.#socket.getSendQueueCount() === 0) {
      // Anything but a full socket buffer is final for this datagram, as with dgram.
      if (nativePacket.sendTo(this.#fd, data, 0, data.length, port, ip) !== nativePacket.EAGAIN) return;
    }
    try {
      this.#socket.send(data, port, host);
    } catch {
      // the socket closed under us
    }
  }

  getStats(): WebRtcServerStats {
    let transports = 0;
    for (const list of this.#byConnection.values()) transports += list.length;
    return {
      port: this.#port,
      transports,
      addresses: this.#byAddress.size,
      ...this.#counters,
      nativeReader: this.#stopReading !== null,
      receiveBufferBytes: this.#receiveBufferBytes,
    };
  }

  /** Closes the port; the transports on it stop receiving (their connections fail by consent timeout). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopReading?.();
    this.#socket.close();
    this.#byAddress.clear();
    this.#byUfrag.clear();
    this.#byConnection.clear();
  }
}

/**
 * werift's UdpTransport as seen by its StunProtocol and by the packet path
 * (rtp/SecureLink.ts), for one ICE protocol on a shared port.
 * `socket` is the shared socket: the packet path sends RTP on it directly.
 */
export class SharedUdpTransport {
  readonly type = 'udp';
  readonly socketType = 'udp4';
  readonly socket: dgram.Socket;
  readonly #server: WebRtcServer;
  readonly #protocol: IceProtocol;
  /** Remote addresses routed here, to forget when closed. */
  readonly #keys = new Set<number>();
  readonly connection: IceConnection;
  closed = false;
  rinfo?: { address: string; port: number };
  /** werift's StunProtocol sets this to its datagramReceived. */
  onData: (data: Buffer, addr: [string, number]) => void = () => undefined;
  /** The packet path's receiver: RTP it takes never reaches werift. */
  take?: TakeDatagram;

  constructor(server: WebRtcServer, socket: dgram.Socket, connection: IceConnection, protocol: IceProtocol) {
    this.#server = server;
    this.socket = socket;
    this.connection = connection;
    this.#protocol = protocol;
  }

  get loopback(): boolean {
    return this.#protocol.localIp?.startsWith('127.') ?? false;
  }

  get address(): { address: string; port: number; family: string } {
    return { address: '0.0.0.0', port: this.#server.port, family: 'IPv4' };
  }

  get addressFamily(): number {
    return 4;
  }

  get host(): string {
    return '0.0.0.0';
  }

  get port(): number {
    return this.#server.port;
  }

  learn(key: number): void {
    this.#keys.add(key);
  }

  forget(key: number): void {
    this.#keys.delete(key);
  }

  deliver(data: Buffer, address: string, port: number): void {
    if (this.closed) return;
    this.rinfo = { address, port };
    try {
      this.onData(data, [address, port]);
    } catch {
      // werift's handlers log and drop what they cannot parse; one datagram must not stop the port.
    }
  }

  /** Hands this transport's datagrams to `take` first; returns a function that stops it. */
  interceptRtp(take: TakeDatagram): () => void {
    this.take = take;
    return () => {
      if (this.take === take) this.take = undefined;
    };
  }

  send = async (data: Buffer, addr?: [string, number]): Promise<void> => {
    if (this.closed) return;
    const to = addr ?? (this.rinfo ? [this.rinfo.address, this.rinfo.port] : undefined);
    if (to !== undefined) this.#server.send(this, data, to[0], to[1]);
  };

  close = async (): Promise<void> => {
    if (this.closed) return;
    this.closed = true;
    this.take = undefined;
    this.#server.detach(this, this.#keys);
    this.#keys.clear();
  };
}

function serverOf(connection: IceConnection): WebRtcServer | undefined {
  const marker = connection.options?.filterStunResponse as { [SERVER]?: WebRtcServer } | undefined;
  return marker?.[SERVER];
}

const PATCHED = Symbol.for('muster.werift.webRtcServer');

/**
 * Once per process: a werift ICE connection whose options carry a server's
 * marker gets SharedUdpTransports instead of binding a socket per host
 * address, and tells the server its new ufrag on an ICE restart.
 */
function patchWerift(): void {
  const proto = Connection.prototype as unknown as Record<symbol, unknown> & {
    ensureProtocol: (this: IceConnection, protocol: IceProtocol) => void;
    restart: (this: IceConnection) => Promise<void>;
  };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const ensureProtocol = proto.ensureProtocol;
  proto.ensureProtocol = function (this: IceConnection, protocol: IceProtocol): void {
    ensureProtocol.call(this, protocol);
    const server = serverOf(this);
    if (server === undefined || !((protocol as unknown) instanceof StunProtocol)) return;
    const connection = this;
    protocol.connectionMade = async (useIpv4: boolean) => {
      if (!useIpv4) throw new Error('the WebRTC server port is IPv4');
      const transport = server.attach(connection, protocol);
      transport.onData = (data, addr) => protocol.datagramReceived(data, addr);
      protocol.transport = transport;
    };
  };
  const restart = proto.restart;
  // werift's constructor draws the first ufrag through restart() too; its body runs synchronously.
  proto.restart = function (this: IceConnection): Promise<void> {
    const done = restart.call(this);
    serverOf(this)?.assignUfrag(this as Parameters<WebRtcServer['assignUfrag']>[0]);
    return done;
  };
}
