/** The two Node-internal shortcuts of udp.ts, checked against the running Node. */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { enableSyncLookup, interceptMessages } from './udp.ts';

const sockets: dgram.Socket[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const s of sockets.splice(0)) s.close();
});

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

function nextMessage(s: dgram.Socket): Promise<Buffer> {
  return new Promise((resolve) => s.once('message', (m) => resolve(m)));
}

describe('udp shortcuts', () => {
  it('answers IP-literal lookups synchronously, and still asks DNS for names', async () => {
    const lookup = vi.spyOn(dns, 'lookup');
    const tx = await bound(); // dgram captures dns.lookup when the socket is made
    const rx = await bound();
    expect(enableSyncLookup(tx)).toBe(true);
    expect(enableSyncLookup(tx)).toBe(true); // idempotent
    lookup.mockClear(); // bind() resolved its address through it
    const port = rx.address().port;
    const got = nextMessage(rx);
    tx.send(Buffer.from('direct'), port, '127.0.0.1');
    expect((await got).toString()).toBe('direct');
    expect(lookup).not.toHaveBeenCalled();
    const viaName = nextMessage(rx);
    tx.send(Buffer.from('named'), port, 'localhost');
    expect((await viaName).toString()).toBe('named');
    expect(lookup).toHaveBeenCalled();
  });

  it('hands datagrams to the interceptor first and emits only what it declines', async () => {
    const tx = await bound();
    const rx = await bound();
    const taken: string[] = [];
    expect(interceptMessages(rx, (buf) => buf[0] === 0x80 && taken.push(buf.toString('hex')) > 0)).toBe(true);
    const emitted: string[] = [];
    rx.on('message', (m) => emitted.push(m.toString('hex')));
    const port = rx.address().port;
    tx.send(Buffer.from([0x80, 1]), port, '127.0.0.1');
    tx.send(Buffer.from([0x16, 2]), port, '127.0.0.1');
    tx.send(Buffer.from([0x80, 3]), port, '127.0.0.1');
    await vi.waitFor(() => expect(taken.length + emitted.length).toBe(3));
    expect(taken).toEqual(['8001', '8003']);
    expect(emitted).toEqual(['1602']);
  });

  it('declines sockets it does not understand', () => {
    const fake = { send: () => undefined } as unknown as dgram.Socket;
    expect(enableSyncLookup(fake)).toBe(false);
    expect(interceptMessages(fake, () => true)).toBe(false);
  });
});
