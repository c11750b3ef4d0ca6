/**
 * werift DTLS under retransmission (dtlsPatches.ts, patch 2): a peer that
 * sends a flight again, because our answer was slow or lost, or whose copy
 * arrives late, still ends up with a working association; repeated flights
 * never reach werift, and our last flight is sent again instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DtlsClient, DtlsServer, Event, RTCDtlsParameters, RTCDtlsTransport, type RTCCertificate } from 'werift';
import { DtlsRetransmissionGuard, RESEND_INTERVAL_MS, retransmissionGuardOf } from './dtlsPatches.ts';
import { waitFor } from './testing/weriftClient.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One DTLS record: content type, epoch, record sequence number and body. */
function record(contentType: number, epoch: number, sequence: number, body: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header[0] = contentType;
  header.writeUInt16BE(0xfefd, 1);
  header.writeUInt16BE(epoch, 3);
  header.writeUIntBE(sequence, 5, 6);
  header.writeUInt16BE(body.length, 11);
  return Buffer.concat([header, body]);
}

/** A handshake message (whole, unfragmented) with `messageSeq` and a body of `size` bytes. */
function handshake(type: number, messageSeq: number, size = 8): Buffer {
  const body = Buffer.alloc(12 + size, 7);
  body[0] = type;
  body.writeUIntBE(size, 1, 3);
  body.writeUInt16BE(messageSeq, 4);
  body.writeUIntBE(0, 6, 3);
  body.writeUIntBE(size, 9, 3);
  return body;
}

describe('DtlsRetransmissionGuard', () => {
  it('passes new flights, drops repeats, and answers a repeat of the latest flight with our last flight', () => {
    const guard = new DtlsRetransmissionGuard();
    const clientHello = record(22, 0, 0, handshake(1, 0));
    expect(guard.inbound(clientHello, 0)).toEqual({ deliver: true, resend: [] });
    const helloVerify = record(22, 0, 0, handshake(3, 0));
    guard.outbound(helloVerify);
    // The same ClientHello again, in a record with another sequence number: our HelloVerifyRequest is resent.
    expect(guard.inbound(record(22, 0, 1, handshake(1, 0)), 10)).toEqual({ deliver: false, resend: [helloVerify] });
    // Not again within RESEND_INTERVAL_MS.
    expect(guard.inbound(record(22, 0, 2, handshake(1, 0)), 10 + RESEND_INTERVAL_MS / 2)).toEqual({ deliver: false, resend: [] });

    const clientHello2 = record(22, 0, 3, handshake(1, 1));
    expect(guard.inbound(clientHello2, 200).deliver).toBe(true);
    // A repeat before werift has answered it: dropped, nothing resent (the answer is still being made).
    expect(guard.inbound(record(22, 0, 4, handshake(1, 1)), 400)).toEqual({ deliver: false, resend: [] });
    const flight4 = [record(22, 0, 1, handshake(2, 1)), record(22, 0, 2, handshake(11, 2)), record(22, 0, 3, handshake(14, 3))];
    for (const datagram of flight4) guard.outbound(datagram);
    guard.outbound(flight4[0]!); // werift's own timer resends the same bytes: kept once
    guard.outbound(record(23, 1, 9, Buffer.alloc(20))); // application data is no flight
    expect(guard.inbound(record(22, 0, 5, handshake(1, 1)), 600)).toEqual({ deliver: false, resend: flight4 });
    // A repeat of an older flight of the peer gets nothing.
    expect(guard.inbound(record(22, 0, 6, handshake(1, 0)), 800)).toEqual({ deliver: false, resend: [] });
    expect(guard.getStats()).toEqual({ retransmissionsDropped: 5, flightsResent: 2 });
  });

  it('lets through what holds no plaintext handshake message, and anything it cannot parse', () => {
    const guard = new DtlsRetransmissionGuard();
    const applicationData = record(23, 1, 1, Buffer.alloc(40));
    expect(guard.inbound(applicationData, 0).deliver).toBe(true);
    expect(guard.inbound(applicationData, 1).deliver).toBe(true);
    const encryptedFinished = Buffer.concat([record(20, 0, 5, Buffer.from([1])), record(22, 1, 0, Buffer.alloc(40))]);
    expect(guard.inbound(encryptedFinished, 2).deliver).toBe(true);
    expect(guard.inbound(encryptedFinished, 3).deliver).toBe(true);
    const truncated = record(22, 0, 0, handshake(1, 0)).subarray(0, 20);
    expect(guard.inbound(truncated, 4).deliver).toBe(true);
    expect(guard.inbound(truncated, 5).deliver).toBe(true);
    expect(guard.getStats().retransmissionsDropped).toBe(0);
  });
});

/** What a werift DtlsClient/DtlsServer of the test needs: the shared certificate, and an in-memory transport that sends with `send`. */
function peerOptions(certificate: RTCCertificate, send: (data: Buffer) => void) {
  return {
    cert: certificate.certPem,
    key: certificate.privateKey,
    signatureHash: certificate.signatureHash,
    transport: { type: 'test', address: {} as never, closed: false, onData: () => undefined, send: async (data: Buffer) => send(data), close: async () => undefined },
    srtpProfiles: [1 as const],
    extendedMasterSecret: true,
  };
}

/** The SFU's side: an RTCDtlsTransport in `role` over a stand-in ICE connection (onData in, send out). */
function sfuTransport(certificate: RTCCertificate, connection: { onData: Event<[Buffer]>; send: (data: Buffer) => Promise<void> }, role: 'client' | 'server') {
  const transport = new RTCDtlsTransport({} as never, { connection, role: 'controlled', stop: async () => undefined } as never, certificate, [1]);
  transport.role = role;
  transport.setRemoteParams(new RTCDtlsParameters(certificate.getFingerprints(), role === 'server' ? 'client' : 'server'));
  return transport;
}

/** Hands `data` to a werift DTLS peer as its transport would. */
const receiveOn = (peer: object) => (data: Buffer) => (peer as { transport: { socket: { onData: (d: Buffer) => void } } }).transport.socket.onData(data);

/**
 * A werift DTLS client and an SFU-side RTCDtlsTransport (server) joined by an
 * in-memory link; `toClient`/`toServer` may drop or duplicate datagrams.
 */
async function association(link: { toClient?: (datagram: Buffer) => Buffer[]; toServer?: (datagram: Buffer) => Buffer[] }) {
  const certificate = await RTCDtlsTransport.SetupCertificate();
  const iceData = new Event<[Buffer]>();
  let clientReceive: (data: Buffer) => void = () => undefined;
  // The server's ICE connection, as werift's IceTransport uses it: onData in, send out.
  const connection = {
    onData: iceData,
    send: async (data: Buffer) => {
      for (const datagram of link.toClient?.(data) ?? [data]) setImmediate(() => clientReceive(datagram));
    },
  };
  const server = sfuTransport(certificate, connection, 'server');
  const serverConnected = server.start();
  serverConnected.catch(() => undefined);
  cleanups.push(() => server.stop());

  const client = new DtlsClient(
    peerOptions(certificate, (data) => {
      for (const datagram of link.toServer?.(data) ?? [data]) setImmediate(() => iceData.execute(Buffer.from(datagram)));
    }),
  );
  clientReceive = receiveOn(client);
  let clientConnected = false;
  client.onConnect.once(() => (clientConnected = true));
  void client.connect().catch(() => undefined);
  cleanups.push(() => client.close());

  /** Application data from the client, as the server decrypts it: proves both sides have the same keys. */
  const serverReceived: string[] = [];
  const dtls = (server as unknown as { dtls: { onData: Event<[Buffer]> } }).dtls;
  dtls.onData.subscribe((data) => serverReceived.push(data.toString()));
  return { server, client, serverConnected, isClientConnected: () => clientConnected, serverReceived };
}

const isFlight5 = (datagram: Buffer) => datagram[0] === 22 && datagram.readUInt16BE(3) === 0 && datagram[13] === 11;
/** The server's flight 6: ChangeCipherSpec, then its Finished (a handshake record of epoch 1). */
const isFlight6 = (datagram: Buffer) => datagram[0] === 20 || (datagram[0] === 22 && datagram.readUInt16BE(3) === 1);

describe('werift DTLS with a peer that retransmits', { timeout: 60_000 }, () => {
  it('a copy of the client’s flight 5 that arrives while the server works on it does not spoil the keys', async () => {
    // The client's Certificate … Finished arrives twice, as libwebrtc resends it when the answer is slow.
    const { serverConnected, client, isClientConnected, serverReceived, server } = await association({
      toServer: (datagram) => (isFlight5(datagram) ? [datagram, datagram] : [datagram]),
    });
    await serverConnected;
    await waitFor(isClientConnected, 20_000, 'the client to verify the server’s Finished');
    await client.send(Buffer.from('hello over DTLS'));
    await waitFor(() => serverReceived.length > 0, 20_000, 'application data decrypted by the server');
    expect(serverReceived).toEqual(['hello over DTLS']);
    expect(retransmissionGuardOf(server)?.getStats().retransmissionsDropped).toBeGreaterThanOrEqual(1);
  });

  it('a lost last flight (ChangeCipherSpec, Finished) is sent again when the client repeats its flight', async () => {
    let dropped = 0;
    const { serverConnected, isClientConnected, server } = await association({
      // The server's first ChangeCipherSpec and Finished are lost; werift's client repeats flight 5 after 500 ms.
      toClient: (datagram) => (isFlight6(datagram) && dropped < 2 ? (dropped++, []) : [datagram]),
    });
    await serverConnected;
    await waitFor(isClientConnected, 20_000, 'the client to get the server’s Finished again');
    expect(dropped).toBe(2);
    expect(retransmissionGuardOf(server)?.getStats().flightsResent).toBeGreaterThanOrEqual(1);
  });
});

describe('werift DTLS client with a server that repeats its flight 4', { timeout: 60_000 }, () => {
  it('a late copy of the server’s flight 4 after the handshake leaves the association working', async () => {
    const certificate = await RTCDtlsTransport.SetupCertificate();
    const iceData = new Event<[Buffer]>();
    const flight4: Buffer[] = [];
    let changeCipherSpecs = 0;
    let serverReceive: (data: Buffer) => void = () => undefined;
    const connection = {
      onData: iceData,
      send: async (data: Buffer) => void setImmediate(() => serverReceive(Buffer.from(data))),
    };
    const sfu = sfuTransport(certificate, connection, 'client');
    const browser = new DtlsServer({
      ...peerOptions(certificate, (data) => {
        if (data[0] === 22 && data.readUInt16BE(3) === 0 && data[13] !== 3) flight4.push(Buffer.from(data));
        if (data[0] === 20) changeCipherSpecs++;
        setImmediate(() => iceData.execute(Buffer.from(data)));
      }),
      certificateRequest: true,
    });
    serverReceive = receiveOn(browser);
    cleanups.push(() => browser.close());
    const started = sfu.start();
    cleanups.push(() => sfu.stop());
    await started;
    const received: string[] = [];
    (browser as unknown as { onData: Event<[Buffer]> }).onData.subscribe((data) => received.push(data.toString()));
    // The server's flight 4 again, late (it had repeated it before our flight 5 reached it).
    for (const datagram of flight4) iceData.execute(datagram);
    // The SFU answers with its flight 5, and the server with its flight 6 again.
    await waitFor(() => changeCipherSpecs >= 2, 10_000, 'the server to answer the SFU’s answer to the copy');
    await (sfu as unknown as { dtls: { send: (b: Buffer) => Promise<void> } }).dtls.send(Buffer.from('still the same keys'));
    await waitFor(() => received.length > 0, 10_000, 'application data from the SFU after the late flight 4');
    expect(received).toEqual(['still the same keys']);
    // All five datagrams of the copy dropped; our flight 5 sent again once (they came together).
    expect(retransmissionGuardOf(sfu)?.getStats()).toEqual({ retransmissionsDropped: flight4.length, flightsResent: 1 });
  });
});
