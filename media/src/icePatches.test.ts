import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Candidate, Connection } from 'werift';
import { bindInRange } from './icePatches.ts';

const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

function socket(): dgram.Socket {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  return s;
}

describe('ICE patches', () => {
  it('binds in a port range from a rotating cursor, skipping ports in use, and fails when the range is full', async () => {
    const min = 30_000 + Math.floor(Math.random() * 1000) * 10;
    const range: [number, number] = [min, min + 3];
    // Someone else holds min + 1.
    const other = socket();
    await new Promise<void>((resolve) => other.bind(min + 1, '127.0.0.1', resolve));
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) ports.push(await bindInRange(socket(), 'udp4', range, '127.0.0.1'));
    expect(ports).toEqual([min, min + 2, min + 3]);
    await expect(bindInRange(socket(), 'udp4', range, '127.0.0.1')).rejects.toThrow(/no free UDP port/);
    // A port freed at the bottom is found again after the cursor wraps.
    sockets[1]!.close();
    sockets.splice(1, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await bindInRange(socket(), 'udp4', range, '127.0.0.1')).toBe(min);
  });

  it('skips mDNS (.local) remote candidates instead of opening a multicast lookup', async () => {
    await import('./icePatches.ts');
    const connection = new Connection(false, { useIpv6: false });
    const mdns = new Candidate('1', 1, 'udp', 2122260223, '4c2f1c6a-1234.local', 54000, 'host');
    const ip = new Candidate('2', 1, 'udp', 2122260223, '192.0.2.10', 54001, 'host');
    await connection.addRemoteCandidate(mdns);
    await connection.addRemoteCandidate(ip);
    expect(connection.remoteCandidates.map((c) => c.host)).toEqual(['192.0.2.10']);
    expect((connection as unknown as { lookup?: unknown }).lookup).toBeUndefined();
    await connection.close();
  });
});
