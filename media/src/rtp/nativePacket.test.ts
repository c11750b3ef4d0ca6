import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ipv4ToNumber, nativePacket, nativePacketStatus } from './nativePacket.ts';
import { SRTP_AES128_CM_HMAC_SHA1_80, SrtpContext } from './srtp.ts';
import { readSocketNatively, socketFd } from './udp.ts';

const CI = process.env.CI === 'true';

if (!nativePacket && !CI) {
  console.warn(`\n!!! nativePacket.test.ts: the native packet path is not loaded (${nativePacketStatus.reason}); its tests are skipped. Run npm install with a C compiler to build it.\n`);
}

describe('ipv4ToNumber', () => {
  it('parses dotted IPv4 literals and refuses anything else', () => {
    expect(ipv4ToNumber('127.0.0.1')).toBe(0x7f000001);
    expect(ipv4ToNumber('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToNumber('10.1.2.3')).toBe(0x0a010203);
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '::1', 'fe80::1', 'localhost', '1.2.3.', '1234.1.1.1']) {
      expect(ipv4ToNumber(bad), bad).toBe(-1);
    }
  });
});

describe.runIf(nativePacket !== null || CI)('native packet path', () => {
  const sockets: dgram.Socket[] = [];
  afterAll(() => sockets.forEach((s) => s.close()));
  /** `count` UDP sockets bound on loopback, closed after the tests. */
  const boundSockets = async (count: number) => {
    const bound = Array.from({ length: count }, () => dgram.createSocket('udp4'));
    sockets.push(...bound);
    for (const s of bound) s.bind(0, '127.0.0.1');
    await Promise.all(bound.map((s) => once(s, 'listening')));
    return bound;
  };

  it('is built by npm install (CI requires it)', () => {
    expect(nativePacketStatus).toEqual({ loaded: true });
  });

  it('protects byte for byte as the JS path does, and each unprotects the other', () => {
    const key = crypto.randomBytes(16);
    const salt = crypto.randomBytes(14);
    const native = new SrtpContext(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    const js = new SrtpContext(SRTP_AES128_CM_HMAC_SHA1_80, key, salt, { native: false });
    const nativeIn = new SrtpContext(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    const jsIn = new SrtpContext(SRTP_AES128_CM_HMAC_SHA1_80, key, salt, { native: false });
    expect(native.native).toBe(true);
    expect(js.native).toBe(false);
    // Across a sequence-number wrap (ROC 0 → 1), with and without header extensions, empty bodies included.
    for (let i = 0; i < 600; i++) {
      const seq = (65_300 + i) & 0xffff;
      const extension = i % 3 === 0;
      const headerLength = extension ? 20 : 12;
      const body = i % 97 === 0 ? 0 : 1 + ((i * 37) % 1200);
      const plain = Buffer.alloc(headerLength + body + 10);
      plain[0] = 0x80 | (extension ? 0x10 : 0);
      plain[1] = 96;
      plain.writeUInt16BE(seq, 2);
      plain.writeUInt32BE(i * 3000, 4);
      plain.writeUInt32BE(0xcafe0000 + (i % 2), 8);
      if (extension) {
        plain.writeUInt16BE(0xbede, 12);
        plain.writeUInt16BE(1, 14);
        plain[16] = 0x10;
        plain[17] = 0xab;
      }
      crypto.randomFillSync(plain, headerLength, body);
      const a = Buffer.from(plain);
      const b = Buffer.from(plain);
      const la = native.protectRtp(a, headerLength, headerLength + body);
      const lb = js.protectRtp(b, headerLength, headerLength + body);
      expect(la).toBe(headerLength + body + 10);
      expect(a.subarray(0, la).equals(b.subarray(0, lb)), `packet ${i}`).toBe(true);
      expect(jsIn.unprotectRtp(a, la)).toBe(headerLength + body);
      expect(a.subarray(0, headerLength + body).equals(plain.subarray(0, headerLength + body))).toBe(true);
      expect(nativeIn.unprotectRtp(b, lb)).toBe(headerLength + body);
      expect(b.subarray(0, headerLength + body).equals(plain.subarray(0, headerLength + body))).toBe(true);
    }
  });

  it('rejects a tampered packet and leaves it undecrypted', () => {
    const key = crypto.randomBytes(16);
    const salt = crypto.randomBytes(14);
    const out = new SrtpContext(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    const into = new SrtpContext(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    const packet = Buffer.alloc(12 + 200 + 10);
    packet[0] = 0x80;
    packet.writeUInt16BE(7, 2);
    packet.writeUInt32BE(42, 8);
    const length = out.protectRtp(packet, 12, 212);
    for (const at of [1, 50, length - 1]) {
      const copy = Buffer.from(packet);
      copy[at]! ^= 0x01;
      const before = Buffer.from(copy);
      expect(into.unprotectRtp(copy, length)).toBe(-1);
      expect(copy.equals(before)).toBe(true);
    }
    expect(into.unprotectRtp(packet, length)).toBe(212);
  });

  it('refuses out-of-bounds spans with an error instead of touching memory', () => {
    const keys = nativePacket!.srtpKeys(Buffer.alloc(16), Buffer.alloc(14), Buffer.alloc(20));
    const small = Buffer.alloc(40);
    expect(() => nativePacket!.srtpProtect(keys, small, 0, 12, small, 12, 100, 0)).toThrow(/out of bounds/);
    expect(() => nativePacket!.sendTo(0, small, 30, 20, 9, 0x7f000001)).toThrow(/out of bounds/);
    expect(() => nativePacket!.srtpKeys(Buffer.alloc(15), Buffer.alloc(14), Buffer.alloc(20))).toThrow(/expects/);
    expect(nativePacket!.srtpUnprotect(keys, small, 12, 500, 0)).toBe(-1);
  });

  it('reads a socket natively: taken datagrams in the arena, the rest to Node as usual, Node again after stop', async () => {
    const [receiver, sender] = await boundSockets(2);
    const taken: Buffer[] = [];
    const viaNode: [Buffer, dgram.RemoteInfo][] = [];
    receiver.on('message', (data, rinfo) => viaNode.push([data, rinfo]));
    const stop = readSocketNatively(receiver, (buf, length) => {
      if (buf[0] !== 0x80) return false;
      taken.push(Buffer.from(buf.subarray(0, length)));
      return true;
    });
    expect(stop).not.toBeNull();
    const port = receiver.address().port;
    const rtpLike = Array.from({ length: 100 }, (_, i) => Buffer.concat([Buffer.from([0x80, i]), crypto.randomBytes(20 + i * 10)]));
    const other = Array.from({ length: 10 }, (_, i) => Buffer.from(`stun-ish ${i}`));
    for (const d of [...rtpLike, ...other]) sender.send(d, port, '127.0.0.1');
    await vi.waitFor(() => expect(taken.length + viaNode.length).toBe(110), { timeout: 5_000 });
    // Arena slots are reused across batches: every datagram must still be intact.
    expect(taken.map((b) => b.toString('hex')).sort()).toEqual(rtpLike.map((b) => b.toString('hex')).sort());
    expect(viaNode.map(([d]) => d.toString()).sort()).toEqual(other.map((b) => b.toString()).sort());
    expect(viaNode[0]![1]).toMatchObject({ address: '127.0.0.1', family: 'IPv4', port: sender.address().port, size: viaNode[0]![0].length });
    stop!();
    stop!();
    sender.send(Buffer.from([0x80, 1, 2, 3]), port, '127.0.0.1');
    await vi.waitFor(() => expect(viaNode.length).toBe(11), { timeout: 5_000 });
    expect(taken.length).toBe(100);
  });

  it('stops reading when the socket closes, leaving no descriptor behind', async () => {
    const receiver = dgram.createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    const port = receiver.address().port;
    expect(readSocketNatively(receiver, () => true)).not.toBeNull();
    receiver.close();
    await once(receiver, 'close');
    // The reader's dup of the fd is closed when libuv has closed its poll
    // handle (the loop's next close phase); then the port is free again.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const again = dgram.createSocket('udp4');
    sockets.push(again);
    again.bind(port, '127.0.0.1');
    await once(again, 'listening');
    expect(again.address().port).toBe(port);
  });

  it('sends a datagram on a Node socket by its fd', async () => {
    const [receiver, sender] = await boundSockets(2);
    const fd = socketFd(sender);
    expect(fd).toBeGreaterThanOrEqual(0);
    const payload = crypto.randomBytes(300);
    const frame = Buffer.concat([Buffer.alloc(17), payload, Buffer.alloc(5)]);
    const message = once(receiver, 'message');
    expect(nativePacket!.sendTo(fd, frame, 17, 300, receiver.address().port, ipv4ToNumber('127.0.0.1'))).toBe(300);
    const [data, rinfo] = (await message) as [Buffer, dgram.RemoteInfo];
    expect(data.equals(payload)).toBe(true);
    expect(rinfo.port).toBe(sender.address().port);
  });

  it('queues datagrams and sends them with one sendmmsg, in order, copied at queue time', async () => {
    const [receiver, otherReceiver, sender, otherSender] = await boundSockets(4);
    // 300 datagrams at once: more than a default receive buffer holds.
    receiver.setRecvBufferSize(4 * 1024 * 1024);
    const received: Buffer[] = [];
    receiver.on('message', (data) => received.push(data));
    const fromOther: Buffer[] = [];
    otherReceiver.on('message', (data) => fromOther.push(data));
    const ip = ipv4ToNumber('127.0.0.1');
    const scratch = Buffer.alloc(1600);
    const sent: Buffer[] = [];
    // More than the queue holds (it flushes when full), each written into the same reused buffer.
    for (let i = 0; i < 300; i++) {
      const datagram = crypto.randomBytes(40 + (i % 50));
      datagram.copy(scratch, 3);
      expect(nativePacket!.queueSend(socketFd(sender), scratch, 3, datagram.length, receiver.address().port, ip)).toBe(0);
      sent.push(datagram);
    }
    // A datagram on another socket flushes the queue first; one larger than a slot goes at once.
    const big = crypto.randomBytes(1800);
    expect(nativePacket!.queueSend(socketFd(otherSender), Buffer.from('x'), 0, 1, otherReceiver.address().port, ip)).toBe(0);
    expect(nativePacket!.queueSend(socketFd(otherSender), big, 0, big.length, otherReceiver.address().port, ip)).toBe(1800);
    expect(nativePacket!.flushSends()).toBe(0);
    await vi.waitFor(() => expect(received.length + fromOther.length).toBe(302), { timeout: 5_000 });
    expect(received.map((b) => b.toString('hex'))).toEqual(sent.map((b) => b.toString('hex')));
    expect(fromOther.map((b) => b.length)).toEqual([1, 1800]);
    expect(() => nativePacket!.queueSend(socketFd(sender), scratch, 1590, 20, 9, ip)).toThrow(/out of bounds/);
  });
});
