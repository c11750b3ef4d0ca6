/**
 * Process-wide werift ICE patches for the SFU's worker processes (imported by
 * WebRtcTransport; like closedNetwork.ts, applied once per process). They
 * keep joining fast and cheap when thousands of connections are up:
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
 */
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
    addRemoteCandidate: (this: unknown, candidate?: { host: string }) => Promise<void>;
  };
  const originalAdd = connectionProto.addRemoteCandidate;
  connectionProto.addRemoteCandidate = async function addRemoteCandidate(this: unknown, candidate?: { host: string }): Promise<void> {
    if (candidate && typeof candidate.host === 'string' && candidate.host.toLowerCase().endsWith('.local')) return;
    return originalAdd.call(this, candidate);
  };
}

applyIcePatches();
