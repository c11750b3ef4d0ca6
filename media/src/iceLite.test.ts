/**
 * The SFU is an ICE-lite agent (security issue 13, finding 7): it answers only
 * Binding requests authenticated with its ice-pwd, never sends a check of its
 * own, never contacts a candidate a client names, and says a=ice-lite.
 */
import { createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Candidate, classes, Connection, DtlsClient, Event, Message, methods, parseMessage, RTCDtlsParameters, RTCDtlsTransport } from 'werift';
import { EARLY_DTLS_LIMIT } from './dtlsPatches.ts';
import { authenticateBindingRequest, iceLiteTiming, STUN_REQUEST_LIMITS } from './icePatches.ts';
import { makeProducer } from './testing/fakes.ts';
import { answerOffer, createClientPeer, loopbackMediaConfig, publishAudioVideo, waitConnected, waitFor, withRetries } from './testing/weriftClient.ts';
import { WebRtcServer } from './WebRtcServer.ts';
import { WebRtcTransport } from './WebRtcTransport.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(): Promise<WebRtcServer> {
  const s = await WebRtcServer.create();
  cleanups.push(() => s.close());
  return s;
}

function credentials(sdp: string): { ufrag: string; pwd: string } {
  return { ufrag: /a=ice-ufrag:(\S+)/.exec(sdp)![1]!, pwd: /a=ice-pwd:(\S+)/.exec(sdp)![1]! };
}

interface RequestOptions {
  /** Sign with this ice-pwd (MESSAGE-INTEGRITY); unsigned without. */
  password?: string;
  /** Add a FINGERPRINT (default when signed); 'wrong' spoils it. */
  fingerprint?: boolean | 'wrong';
  controlling?: bigint;
  controlled?: bigint;
  useCandidate?: boolean;
}

/** A Binding request as an ICE agent sends it: USERNAME, PRIORITY, role, then MESSAGE-INTEGRITY and FINGERPRINT. */
function bindingRequest(username: string, options: RequestOptions = {}): Buffer {
  const message = new Message(methods.BINDING, classes.REQUEST).setAttribute('USERNAME', username).setAttribute('PRIORITY', 1853824767);
  if (options.controlling !== undefined) message.setAttribute('ICE-CONTROLLING', options.controlling);
  if (options.controlled !== undefined) message.setAttribute('ICE-CONTROLLED', options.controlled);
  if (options.useCandidate) message.setAttribute('USE-CANDIDATE', null);
  if (options.password !== undefined) message.addMessageIntegrity(Buffer.from(options.password, 'utf8'));
  if (options.fingerprint ?? options.password !== undefined) message.addFingerprint();
  const bytes = message.bytes;
  if (options.fingerprint === 'wrong') bytes[bytes.length - 1]! ^= 0xff;
  return bytes;
}

/** `request` with one more attribute after all the others (after MESSAGE-INTEGRITY, where nothing is authenticated). */
function withTrailingAttribute(request: Buffer, type: number, value: Buffer): Buffer {
  const attribute = Buffer.alloc(4 + value.length);
  attribute.writeUInt16BE(type, 0);
  attribute.writeUInt16BE(value.length, 2);
  value.copy(attribute, 4);
  const out = Buffer.concat([request, attribute]);
  out.writeUInt16BE(out.length - 20, 2);
  return out;
}

const ICE_CONTROLLED = 0x8029;
const transactionOf = (datagram: Buffer) => datagram.subarray(8, 20).toString('hex');
const isStunRequest = (datagram: Buffer) => datagram.length >= 20 && datagram.readUInt32BE(4) === 0x2112a442 && (datagram.readUInt16BE(0) & 0x0110) === 0;

/** A UDP socket on loopback that keeps everything it receives. */
async function listener(): Promise<{ socket: dgram.Socket; port: number; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (data) => received.push(data));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => socket.close());
  return { socket, port: socket.address().port, received };
}

/** Inserts candidate lines into every media section of `sdp`, after its ice-pwd. */
function withCandidates(sdp: string, candidates: string[]): string {
  return sdp
    .split('\r\n')
    .flatMap((line) => (line.startsWith('a=ice-pwd:') ? [line, ...candidates.map((c) => `a=candidate:${c}`)] : [line]))
    .join('\r\n');
}

/** A lite connection as WebRtcTransport makes one, on a fake protocol that records what it sends. */
function liteConnection(options: { iceLite?: boolean; controlling?: boolean } = {}) {
  const connection = new Connection(options.controlling ?? false, { iceLite: options.iceLite ?? true, useIpv6: false });
  const sent: Message[] = [];
  const protocol = {
    type: 'stun',
    localIp: '127.0.0.1',
    localCandidate: new Candidate('1', 1, 'udp', 2130706431, '127.0.0.1', 40000, 'host', undefined, undefined, undefined, 0, connection.localUsername),
    transactions: {},
    onRequestReceived: new Event<[Message, [string, number], Buffer]>(),
    onDataReceived: new Event<[Buffer]>(),
    sendStun: vi.fn(async (message: Message) => void sent.push(message)),
    sendData: vi.fn(async () => undefined),
    request: vi.fn(async () => {
      throw new Error('a check was started');
    }),
    close: async () => undefined,
  };
  const internals = connection as unknown as {
    ensureProtocol(p: unknown): void;
    protocols: unknown[];
    localCandidatesEnd: boolean;
    localCandidatesStart: boolean;
    state: string;
    nominated?: { remoteAddr: [string, number] };
    checkList: unknown[];
    canSendApplicationData(): boolean;
  };
  internals.ensureProtocol(protocol);
  internals.protocols.push(protocol);
  internals.localCandidatesStart = true;
  internals.localCandidatesEnd = true;
  connection.setRemoteParams({ iceLite: false, usernameFragment: 'cli', password: 'the-clients-password-22' });
  cleanups.push(() => connection.close());
  /** Hands `bytes` to the connection as werift's StunProtocol does with a datagram from `from`. */
  const receive = (bytes: Buffer, from: [string, number] = ['127.0.0.1', 50000]) => {
    const message = parseMessage(bytes);
    if (message) protocol.onRequestReceived.execute(message, from, bytes);
  };
  return { connection, internals, protocol, sent, receive };
}

describe('ICE-lite SFU', { timeout: 240_000 }, () => {
  it('answers only Binding requests signed with its ice-pwd, and sends no check of its own', async () => {
    const s = await server();
    // A publisher's offer (its peer closed at once, its candidates dropped): the
    // transport then has the client's credentials, and a full agent would check
    // back whatever address a request came from.
    const offerer = createClientPeer();
    offerer.addTransceiver('audio', { direction: 'sendonly' });
    await offerer.setLocalDescription(await offerer.createOffer());
    const offer = offerer.localDescription!.sdp;
    await offerer.close();
    const publishing = new WebRtcTransport({ id: 'lite-send', direction: 'send', config: loopbackMediaConfig(), webRtcServer: s });
    cleanups.push(() => publishing.close());
    const mid = /a=mid:(\S+)/.exec(offer)![1]!;
    const withoutCandidates = offer.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
    const { ufrag, pwd } = credentials((await publishing.publish(withoutCandidates, [{ mid, source: 'microphone' }])).sdp);
    const client = await listener();
    const send = (datagram: Buffer) => client.socket.send(datagram, s.port, '127.0.0.1');

    const huge = 2n ** 64n - 1n; // wins every tie-break
    const unauthenticated = [
      bindingRequest(`${ufrag}:cli`), // no MESSAGE-INTEGRITY
      bindingRequest(`${ufrag}:cli`, { controlling: huge, useCandidate: true }),
      bindingRequest(`${ufrag}:cli`, { controlled: huge }),
      bindingRequest(`${ufrag}:cli`, { password: 'not-the-ice-pwd-of-this-one' }),
      bindingRequest(`${ufrag}:cli`, { password: pwd, fingerprint: 'wrong' }),
      bindingRequest(`${ufrag}`, { password: pwd }), // USERNAME is "ours:theirs"
      // Signed, but with ICE-CONTROLLED added after MESSAGE-INTEGRITY, where it is not covered.
      withTrailingAttribute(bindingRequest(`${ufrag}:cli`, { password: pwd, fingerprint: false }), ICE_CONTROLLED, Buffer.alloc(8, 0xff)),
    ];
    const before = s.getStats();
    for (let round = 0; round < 20; round++) for (const request of unauthenticated) send(request);
    // Datagrams from one socket to another on loopback arrive in order, and the
    // server handles them in order, so once the answers to these two signed
    // requests are in, everything the server did about the others has arrived too.
    const signed = [
      bindingRequest(`${ufrag}:cli`, { password: pwd, controlling: huge }),
      bindingRequest(`${ufrag}:cli`, { password: pwd, controlling: huge, fingerprint: false }),
    ];
    for (const request of signed) send(request);
    await waitFor(() => client.received.length >= 2, 10_000, 'answers to the signed requests');
    await waitFor(
      () => signed.every((r) => client.received.some((d) => transactionOf(d) === transactionOf(r))),
      10_000,
      'both answers',
    );

    expect(client.received.filter(isStunRequest)).toEqual([]); // no connectivity check, triggered or not
    expect(client.received.map(transactionOf).sort()).toEqual(signed.map(transactionOf).sort());
    for (const answer of client.received) {
      const response = parseMessage(answer, Buffer.from(pwd, 'utf8')); // signed with our ice-pwd
      expect(response?.messageClass).toBe(classes.RESPONSE);
      expect(response?.getAttributeValue('XOR-MAPPED-ADDRESS')).toEqual(['127.0.0.1', client.port]);
    }
    const after = s.getStats();
    expect(after.unauthenticated - before.unauthenticated).toBe(20 * unauthenticated.length);
    expect(after.addresses).toBe(before.addresses + 1); // learnt from the signed requests only
  });

  it('never contacts a candidate a client names; its SDP says a=ice-lite', async () => {
    const s = await server();
    const trap = await listener();
    const sentTo: string[] = [];
    const send = s.send.bind(s);
    vi.spyOn(s, 'send').mockImplementation((transport, data, host, port) => {
      sentTo.push(`${host}:${port}`);
      send(transport, data, host, port);
    });
    // Highest priorities: a full agent checks these first, long before the real peers connect.
    const traps = [
      `1 1 udp 2130706431 127.0.0.1 ${trap.port} typ host`,
      `2 1 udp 2130706430 127.0.0.1 ${trap.port} typ srflx raddr 0.0.0.0 rport 0`,
      `3 1 udp 2130706429 169.254.169.254 80 typ host`,
      `4 1 udp 2130706428 10.255.255.1 53 typ relay raddr 0.0.0.0 rport 0`,
      `5 1 udp 2130706427 metadata.google.internal 80 typ host`,
    ];
    const { value: call, dispose } = await withRetries(3, async (onDispose) => {
      const config = loopbackMediaConfig();
      const sendTransport = new WebRtcTransport({ id: `trap-send-${Math.random()}`, direction: 'send', config, webRtcServer: s });
      onDispose(() => sendTransport.close());
      let answer = '';
      const publisher = await publishAudioVideo(async (sdp, tracks) => {
        const result = await sendTransport.publish(withCandidates(sdp, traps), tracks);
        answer = result.sdp;
        return result;
      });
      onDispose(() => publisher.pc.close());
      const recv = new WebRtcTransport({ id: `trap-recv-${Math.random()}`, direction: 'recv', config, webRtcServer: s });
      onDispose(() => recv.close());
      for (const p of sendTransport.producers) recv.consume(p);
      const offer = await recv.createOffer();
      const subscriber = createClientPeer();
      onDispose(() => subscriber.close());
      await answerOffer(subscriber, offer, (sdp) => recv.applyAnswer(withCandidates(sdp, traps)));
      await waitConnected({ sendTransport, recv, publisher: publisher.pc, subscriber }, 30_000);
      return { answer, offer, clients: [publisher.pc, subscriber] };
    });
    cleanups.push(dispose);

    // Both real peers connected through the same transports that were handed
    // the trap candidates: a full agent would have checked those first.
    expect(trap.received).toEqual([]);
    const trapAddresses = [`127.0.0.1:${trap.port}`, '169.254.169.254:80', '10.255.255.1:53', 'metadata.google.internal:80'];
    expect(sentTo.length).toBeGreaterThan(0);
    expect(sentTo.filter((to) => trapAddresses.includes(to))).toEqual([]);

    // werift as a full agent facing the lite SFU takes the controlling role (and nominates), offerer or answerer.
    for (const pc of call.clients) expect(pc.iceTransports.map((t) => t.role)).toEqual(['controlling']);
    for (const sdp of [call.answer, call.offer]) {
      const lines = sdp.split('\r\n');
      expect(lines.filter((l) => l === 'a=ice-lite')).toHaveLength(1);
      // At session level (RFC 8839 §5.3), where libwebrtc reads it.
      expect(lines.indexOf('a=ice-lite')).toBeLessThan(lines.findIndex((l) => l.startsWith('m=')));
    }
  });
});

describe('authenticateBindingRequest', () => {
  const password = 'abcdefghijklmnopqrstuv';
  const passwords: Record<string, string> = { ours: password };
  const passwordOf = (ufrag: string) => (Object.hasOwn(passwords, ufrag) ? passwords[ufrag] : undefined);
  const check = (datagram: Buffer, length = datagram.length) => authenticateBindingRequest(datagram, length, passwordOf);

  it('accepts a Binding request signed with the password of its USERNAME’s local part', () => {
    expect(check(bindingRequest('ours:cli', { password }))).toBe('ours');
    expect(check(bindingRequest('ours:cli', { password, fingerprint: false }))).toBe('ours');
    expect(check(bindingRequest('ours:cli', { password, controlling: 5n, useCandidate: true }))).toBe('ours');
    // Inside a larger buffer (the native reader's), only [0, length) counts.
    const request = bindingRequest('ours:cli', { password });
    expect(check(Buffer.concat([request, Buffer.alloc(64, 0xee)]), request.length)).toBe('ours');
  });

  it('refuses anything unsigned, signed with another password, or malformed', () => {
    const signed = bindingRequest('ours:cli', { password });
    const cases: Record<string, Buffer> = {
      unsigned: bindingRequest('ours:cli'),
      'fingerprint only': bindingRequest('ours:cli', { fingerprint: true }),
      'wrong password': bindingRequest('ours:cli', { password: 'x'.repeat(22) }),
      'unknown ufrag': bindingRequest('theirs:cli', { password }),
      'prototype key as ufrag': bindingRequest('constructor:cli', { password }),
      'no colon': bindingRequest('ours', { password }),
      'empty ufrag': bindingRequest(':cli', { password }),
      'wrong fingerprint': bindingRequest('ours:cli', { password, fingerprint: 'wrong' }),
      'attribute after MESSAGE-INTEGRITY': withTrailingAttribute(bindingRequest('ours:cli', { password, fingerprint: false }), ICE_CONTROLLED, Buffer.alloc(8)),
      'attribute after FINGERPRINT': withTrailingAttribute(signed, ICE_CONTROLLED, Buffer.alloc(8)),
      'not a request': new Message(methods.BINDING, classes.INDICATION).setAttribute('USERNAME', 'ours:cli').addMessageIntegrity(Buffer.from(password)).bytes,
      'not Binding': new Message(methods.ALLOCATE, classes.REQUEST).setAttribute('USERNAME', 'ours:cli').addMessageIntegrity(Buffer.from(password)).bytes,
      'too short': signed.subarray(0, 19),
    };
    const tampered = Buffer.from(signed);
    tampered.writeUInt32BE(0xdeadbeef, 28); // inside PRIORITY, covered by MESSAGE-INTEGRITY
    cases['tampered after signing'] = tampered;
    const lengthMismatch = Buffer.from(signed);
    lengthMismatch.writeUInt16BE(signed.length - 20 - 4, 2);
    cases['length field short of the datagram'] = lengthMismatch;
    const overrun = Buffer.from(signed);
    overrun.writeUInt16BE(0xfff0, 22); // USERNAME's length runs past the end
    cases['attribute overrunning the message'] = overrun;
    for (const [what, datagram] of Object.entries(cases)) expect(check(datagram), what).toBeUndefined();
    // The length field must match what arrived: a datagram cut short is refused.
    expect(check(signed, signed.length - 4)).toBeUndefined();
  });

  it('bounds what it reads: message size, USERNAME size, attribute count', () => {
    const { maxBytes, maxUsernameBytes, maxAttributes } = STUN_REQUEST_LIMITS;
    const longest = 'u'.repeat(maxUsernameBytes - 4); // with ":cli", USERNAME is exactly at the bound
    passwords[longest] = password;
    passwords[`${longest}u`] = password;
    expect(check(bindingRequest(`${longest}:cli`, { password }))).toBe(longest);
    expect(check(bindingRequest(`${longest}u:cli`, { password }))).toBeUndefined();
    // Unknown comprehension-optional attributes (0x8000+) before MESSAGE-INTEGRITY: counted, and size-bounded.
    const padded = (sizes: number[]) => {
      const message = new Message(methods.BINDING, classes.REQUEST).setAttribute('USERNAME', 'ours:cli');
      sizes.forEach((size, i) => message.appendRawAttribute(0xc000 + i, Buffer.alloc(size, 1)));
      return signed(message.bytes); // werift writes raw attributes after its own: sign by hand, after them
    };
    expect(check(padded(Array(maxAttributes - 2).fill(4)))).toBe('ours'); // USERNAME + these + MESSAGE-INTEGRITY
    expect(check(padded(Array(maxAttributes - 1).fill(4)))).toBeUndefined();
    const fits = padded([maxBytes - 20 - 12 - 24 - 4]); // header, USERNAME, MESSAGE-INTEGRITY, one attribute's header
    expect(fits.length).toBe(maxBytes);
    expect(check(fits)).toBe('ours');
    expect(check(padded([maxBytes]))).toBeUndefined();
  });

  /** `unsigned` (a request's bytes) with MESSAGE-INTEGRITY appended, as RFC 5389 §15.4 computes it. */
  function signed(unsigned: Buffer): Buffer {
    const out = Buffer.concat([unsigned, Buffer.alloc(24)]);
    out.writeUInt16BE(out.length - 20, 2); // the length field counts MESSAGE-INTEGRITY
    const hmac = createHmac('sha1', password).update(out.subarray(0, unsigned.length)).digest();
    out.writeUInt16BE(0x0008, unsigned.length);
    out.writeUInt16BE(20, unsigned.length + 2);
    hmac.copy(out, unsigned.length + 4);
    return out;
  }
});

describe('werift ICE patches: role attributes and nomination', () => {
  it('an unsigned ICE-CONTROLLING or ICE-CONTROLLED changes nothing, and gets no answer (full and lite agents)', () => {
    for (const iceLite of [false, true]) {
      const { connection, internals, protocol, sent, receive } = liteConnection({ iceLite, controlling: !iceLite });
      const ufrag = connection.localUsername;
      const role = connection.iceControlling;
      for (const attack of [{ controlling: 2n ** 64n - 1n }, { controlled: 2n ** 64n - 1n }, { controlled: 0n }, { controlling: 0n }]) {
        receive(bindingRequest(`${ufrag}:cli`, { ...attack, useCandidate: true }));
        receive(bindingRequest(`${ufrag}:cli`, { ...attack, useCandidate: true, password: 'wrong-password-wrong-pw' }));
      }
      expect(connection.iceControlling).toBe(role);
      expect(sent).toEqual([]);
      expect(protocol.request).not.toHaveBeenCalled();
      expect(internals.checkList).toEqual([]);
      expect(connection.remoteCandidates).toEqual([]);
      if (!iceLite) {
        // The same request, signed, is acted on: a full controlling agent yields to a larger tie-breaker.
        receive(bindingRequest(`${ufrag}:cli`, { controlling: 2n ** 64n - 1n, password: connection.localPassword }));
        expect(connection.iceControlling).toBe(false);
        expect(sent.map((m) => m.messageClass)).toEqual([classes.RESPONSE]);
      } else {
        // A lite agent stays controlled; a signed ICE-CONTROLLED gets 487 Role Conflict, as RFC 8445 §7.3.1.1 asks.
        receive(bindingRequest(`${ufrag}:cli`, { controlled: 2n ** 64n - 1n, password: connection.localPassword }));
        expect(connection.iceControlling).toBe(false);
        expect(sent.map((m) => [m.messageClass, m.getAttributeValue('ERROR-CODE')?.[0]])).toEqual([[classes.ERROR, 487]]);
      }
    }
  });

  it('accepts the ufrags a connection has: current (also when copied in, as werift does for BUNDLE), and before an ICE restart', async () => {
    const { connection, sent, receive } = liteConnection();
    const original = { ufrag: connection.localUsername, pwd: connection.localPassword };
    // werift's createTransport copies the first transport's credentials into the others, without userHistory.
    Object.assign(connection, { localUsername: 'inheritedufrag', localPassword: 'inherited-password-22ch' });
    receive(bindingRequest('inheritedufrag:cli', { password: 'inherited-password-22ch' }));
    receive(bindingRequest(`${original.ufrag}:cli`, { password: original.pwd }));
    receive(bindingRequest('inheritedufrag:cli', { password: original.pwd })); // each ufrag its own ice-pwd
    receive(bindingRequest('constructor:cli', { password: 'x' }));
    expect(sent.map((m) => m.messageClass)).toEqual([classes.RESPONSE, classes.RESPONSE]);
  });

  it('lite: ignores remote candidates, selects the pair a signed USE-CANDIDATE names, follows a new one, checks nothing', async () => {
    const { connection, internals, protocol, sent, receive } = liteConnection();
    await connection.addRemoteCandidate(new Candidate('9', 1, 'udp', 2130706431, '127.0.0.1', 9, 'host'));
    await connection.addRemoteCandidate(new Candidate('8', 1, 'udp', 2130706431, 'printer.local', 9, 'host'));
    await connection.addRemoteCandidate(undefined);
    expect(connection.remoteCandidates).toEqual([]);
    expect(connection.remoteCandidatesEnd).toBe(true);
    const connected = connection.connect();
    const password = connection.localPassword;
    const ufrag = connection.localUsername;
    receive(bindingRequest(`${ufrag}:cli`, { password, controlling: 1n }), ['127.0.0.1', 50000]);
    expect(internals.nominated).toBeUndefined(); // checked, not nominated yet
    receive(bindingRequest(`${ufrag}:cli`, { password, controlling: 1n, useCandidate: true }), ['127.0.0.1', 50000]);
    await connected;
    expect(connection.state).toBe('connected');
    expect(internals.nominated?.remoteAddr).toEqual(['127.0.0.1', 50000]);
    // The client moves to another address and nominates it: the SFU follows (libwebrtc nominates its selected pair).
    receive(bindingRequest(`${ufrag}:cli`, { password, controlling: 1n, useCandidate: true }), ['127.0.0.1', 50002]);
    expect(internals.nominated?.remoteAddr).toEqual(['127.0.0.1', 50002]);
    // A check without USE-CANDIDATE from elsewhere is answered, and moves nothing.
    receive(bindingRequest(`${ufrag}:cli`, { password, controlling: 1n }), ['127.0.0.1', 50004]);
    expect(internals.nominated?.remoteAddr).toEqual(['127.0.0.1', 50002]);
    expect(sent.map((m) => m.messageClass)).toEqual([classes.RESPONSE, classes.RESPONSE, classes.RESPONSE, classes.RESPONSE]);
    expect(protocol.request).not.toHaveBeenCalled();
  });

  it('lite: DTLS the client sends before it nominates is handled the moment DTLS starts, not after a retransmission', async () => {
    const { connection, protocol, receive } = liteConnection();
    const certificate = await RTCDtlsTransport.SetupCertificate();
    // The client's first flight, as libwebrtc sends it once a check is answered, which may be before it nominates.
    const flight: Buffer[] = [];
    const client = new DtlsClient({
      cert: certificate.certPem,
      key: certificate.privateKey,
      signatureHash: certificate.signatureHash,
      transport: { type: 'test', address: {} as never, closed: false, onData: () => undefined, send: async (b: Buffer) => void flight.push(Buffer.from(b)), close: async () => undefined },
      srtpProfiles: [1],
      extendedMasterSecret: true,
    });
    void client.connect().catch(() => undefined);
    cleanups.push(() => client.close());
    await waitFor(() => flight.length > 0, 10_000, 'the client hello');
    const ufrag = connection.localUsername;
    const password = connection.localPassword;
    const connected = connection.connect();
    receive(bindingRequest(`${ufrag}:cli`, { password, controlling: 1n }));
    // Retransmissions too, more than the connection keeps (EARLY_DTLS_LIMIT datagrams; the rest are dropped).
    for (let i = 0; i < EARLY_DTLS_LIMIT + 4; i++) for (const datagram of flight) protocol.onDataReceived.execute(datagram);
    // Anything else before DTLS is not held.
    protocol.onDataReceived.execute(Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]));
    expect(protocol.sendData).not.toHaveBeenCalled();
    receive(bindingRequest(`${ufrag}:cli`, { password, controlling: 1n, useCandidate: true }));
    await connected;
    const dtls = new RTCDtlsTransport({} as never, { connection, role: 'controlled', stop: async () => undefined } as never, certificate, [1]);
    dtls.role = 'server';
    dtls.setRemoteParams(new RTCDtlsParameters(certificate.getFingerprints(), 'client'));
    void dtls.start().catch(() => undefined);
    cleanups.push(() => dtls.stop());
    // The server answers the held ClientHello right away: DTLS handshake records (content type 22) go to the client.
    await waitFor(() => protocol.sendData.mock.calls.length > 0, 10_000, 'the server’s answer to the held ClientHello');
    const answers = protocol.sendData.mock.calls.map((call) => (call as unknown[])[0] as Buffer);
    expect(answers.every((datagram) => datagram[0] === 22)).toBe(true);
    expect((protocol.sendData.mock.calls[0] as unknown[])[1]).toEqual(['127.0.0.1', 50000]);
  });

  it('lite: stops sending once no signed request came for the consent timeout', async () => {
    vi.useFakeTimers();
    const { connection, internals, receive } = liteConnection();
    const connected = connection.connect();
    const request = () =>
      receive(bindingRequest(`${connection.localUsername}:cli`, { password: connection.localPassword, controlling: 1n, useCandidate: true }));
    request();
    await connected;
    expect(internals.canSendApplicationData()).toBe(true);
    const timeout = iceLiteTiming.consentTimeoutMs;
    vi.advanceTimersByTime(timeout - 1000);
    request(); // a consent check from the client
    vi.advanceTimersByTime(timeout - 1000);
    expect(connection.state).toBe('connected');
    // Unsigned requests do not count.
    receive(bindingRequest(`${connection.localUsername}:cli`, { controlling: 1n, useCandidate: true }));
    vi.advanceTimersByTime(2000);
    expect(connection.state).toBe('failed');
    expect(internals.canSendApplicationData()).toBe(false);
    expect(internals.nominated).toBeDefined();
  });
});
