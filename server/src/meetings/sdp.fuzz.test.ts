/**
 * Client SDP under attack (security issue 13): oversized and malformed offers
 * and answers are refused with BAD_SDP by signaling, before any of them reaches
 * the media worker, and the meeting on that worker keeps its media throughout.
 */
import { checkRemoteSdp, MAX_PUBLISH_MEDIA_SECTIONS } from '@muster/media';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, MAX_REQUEST_BYTES, type ErrorCode } from '@muster/signaling/protocol';
import { NodePeer } from '@muster/signaling/testing';
import { ProtocolClient, type Reply } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { mulberry32 } from '@muster/kit/testing';

const ROOM = 'sdp-fuzz';

const UFRAG = 'a=ice-ufrag:KrEo';
const PWD = 'a=ice-pwd:Zsyoh9prWXhsnwG9/jWW+L2R';
const FINGERPRINT = `a=fingerprint:sha-256 ${Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase()).join(':')}`;
const TRANSPORT = [UFRAG, PWD, 'a=ice-options:trickle', FINGERPRINT, 'a=setup:actpass'];

/** One m-section in libwebrtc's shape, transport attributes included. */
function section(kind: 'audio' | 'video', mid: string, direction = 'sendonly'): string[] {
  return kind === 'audio'
    ? ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', ...TRANSPORT, `a=mid:${mid}`, `a=${direction}`, 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1']
    : ['m=video 9 UDP/TLS/RTP/SAVPF 96 97', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', ...TRANSPORT, `a=mid:${mid}`, `a=${direction}`, 'a=rtcp-mux', 'a=rtcp-rsize', 'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96'];
}

/** A well-formed SDP (no final line end: join adds it), BUNDLEd unless `bundle` is false. */
function sdpLines(kinds: ('audio' | 'video')[], options: { bundle?: boolean; direction?: string } = {}): string[] {
  const mids = kinds.map((_, i) => String(i));
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    ...(options.bundle === false ? [] : [`a=group:BUNDLE ${mids.join(' ')}`]),
    'a=msid-semantic: WMS',
    ...kinds.flatMap((kind, i) => section(kind, mids[i]!, options.direction)),
  ];
}

/**
 * The probe's offer: 1,000 audio m-sections without BUNDLE, ICE and DTLS at
 * session level, about 100 KB. Before the fix it kept a worker busy for over a
 * minute (werift made an ICE and DTLS transport per section).
 */
function probeOffer(sections = 1000): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', UFRAG, PWD, FINGERPRINT, 'a=setup:actpass'];
  for (let i = 0; i < sections; i++) lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', `a=mid:${i}`, 'a=sendonly', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2');
  return `${lines.join('\r\n')}\r\n`;
}

type Rand = () => number;
const pick = <T,>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const drop = (prefix: string) => (lines: string[]) => lines.filter((l) => !l.startsWith(prefix));
const replace = (prefix: string, by: string) => (lines: string[]) => lines.map((l) => (l.startsWith(prefix) ? by : l));
/** Inserts `line` anywhere after "v=0" and before the last line, so it is never a harmless trailing one. */
const insert = (rand: Rand, line: string) => (lines: string[]) => {
  const at = 1 + Math.floor(rand() * (lines.length - 1));
  return [...lines.slice(0, at), line, ...lines.slice(at)];
};

function junkLine(rand: Rand): string {
  const fixed = ['junk', '==', 'A=1', 'x=y', '', ' a=x', '\u0000', 'm=', 'm=audio', 'a', '🙂=1', 'V=0', 'v=0', '\u0007a=x', 'a=x\rb=y'];
  if (rand() < 0.5) return pick(rand, fixed);
  const charset = 'abcXYZ019=:;/ -_\t\u00e9\u4e2d\u0001\u007f';
  const text = Array.from({ length: 1 + Math.floor(rand() * 120) }, () => pick(rand, [...charset])).join('');
  // Never a valid "<type>=" start: a junk line must be junk.
  return /^[vosiuepcbtrzkam]=/.test(text) ? `#${text}` : text;
}

/** Changes that each make an SDP invalid (the generator checks it). */
function breakers(rand: Rand): ((lines: string[]) => string[])[] {
  const sections = pick(rand, [MAX_PUBLISH_MEDIA_SECTIONS + 1, 12, 33, 100, 400, 1000]);
  const huge = pick(rand, [4097, 20_000, 60_000, 140_000]);
  return [
    () => sdpLines(Array.from({ length: sections }, (_, i) => (i % 2 ? 'video' : 'audio')), { bundle: rand() < 0.5 }),
    () => probeOffer(sections).trimEnd().split('\r\n'),
    drop('a=ice-ufrag:'),
    drop('a=ice-pwd:'),
    drop('a=fingerprint:'),
    (lines) => drop('a=fingerprint:')(drop('a=ice-ufrag:')(lines)),
    insert(rand, `a=x-huge:${'x'.repeat(huge)}`),
    replace('a=ice-ufrag:', `a=ice-ufrag:${'u'.repeat(pick(rand, [300, 3000]))}`),
    replace('a=ice-pwd:', 'a=ice-pwd:short'),
    replace('a=fingerprint:', `a=fingerprint:sha-256 ${'AB:'.repeat(2000)}AB`),
    replace('a=fingerprint:', 'a=fingerprint:sha-256'),
    (lines) => insert(rand, junkLine(rand))(lines),
    (lines) => [junkLine(rand) || 'junk', ...lines],
    () => ['v=0', ...Array.from({ length: 1 + Math.floor(rand() * 20) }, () => junkLine(rand) || 'junk')],
    () => ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0'],
    replace('v=0', 'v=1'),
    drop('o='),
    insert(rand, 'v=0'),
    replace('m=audio', 'm=text 9 UDP/TLS/RTP/SAVPF 111'),
    replace('m=audio', 'm=audio x UDP/TLS/RTP/SAVPF 111'),
    replace('m=audio', 'm=audio 99999 UDP/TLS/RTP/SAVPF 111'),
    replace('m=audio', 'm=audio 9 UDP/TLS/RTP/SAVPF'),
    replace('m=audio', 'm=audio 9 UDP/TLS/RTP/SAVPF opus'),
    replace('m=audio', 'm=audio 9 UDP/TLS/RTP/SAVPF 300'),
    replace('a=mid:1', 'a=mid:0'),
    replace('a=group:BUNDLE', 'a=group:BUNDLE 0 1 7'),
    replace('a=rtcp-mux', 'a=rtcp\u0000mux'),
    replace('a=rtcp-mux', 'a=rtcp\rmux'),
    insert(rand, Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))).toString('latin1')),
  ];
}

/** Changes that keep an SDP as valid as it was. */
function noise(rand: Rand): ((lines: string[]) => string[])[] {
  return [(lines) => lines, (lines) => lines.map((l) => (l === 'a=rtcp-mux' ? 'a=rtcp-mux\r\na=x-benign:1' : l)), (lines) => [...lines, 'a=x-benign:2']];
}

/** A malformed offer or answer: the valid `base`, broken once or twice, plus noise; and its line ends. */
function malformed(rand: Rand, base: string[], kind: 'offer' | 'answer'): string {
  for (;;) {
    let lines = base;
    const breaks = breakers(rand);
    for (let n = 1 + Math.floor(rand() * 2); n > 0; n--) lines = pick(rand, breaks)(lines);
    lines = pick(rand, noise(rand))(lines);
    const sdp = lines.join(rand() < 0.8 ? '\r\n' : '\n') + (rand() < 0.8 ? '\r\n' : '');
    // Each case must be invalid by construction; a break that happened to be harmless is drawn again.
    if (!checkRemoteSdp(sdp, { kind }).ok) return sdp;
  }
}

/** Reaches signaling's SDP check: anything else the request schema or size limit refuses first. */
function passesSchema(payload: { sdp: string }): boolean {
  return payload.sdp.length >= 10 && payload.sdp.length <= MAX_REQUEST_BYTES && payload.sdp.startsWith('v=0') && Buffer.byteLength(JSON.stringify(payload)) <= MAX_REQUEST_BYTES;
}

function expectRefused(reply: Reply, payload: { sdp: string }, label: string): void {
  expect(reply.ok, label).toBe(false);
  if (reply.ok) return;
  expect(ERROR_CODES, label).toContain(reply.error.code);
  expect(reply.error.code, label).not.toBe('INTERNAL');
  expect(reply.error.message.length, label).toBeGreaterThan(0);
  const expected: ErrorCode[] = passesSchema(payload) ? ['BAD_SDP'] : ['BAD_SDP', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE'];
  expect(expected, `${label}: ${reply.error.code} ${reply.error.message}`).toContain(reply.error.code);
}

describe('SDP offers and answers under attack', { timeout: 180_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const peers: NodePeer[] = [];
  const clients: ProtocolClient[] = [];
  /** Inbound audio packet counts of both peers over time, sampled while the fuzzing runs. */
  const samples: { at: number; alice: number; bob: number }[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let workerDeaths = 0;
  let workerPid: number | undefined;
  let before: { alice: Awaited<ReturnType<NodePeer['inboundPackets']>>; bob: Awaited<ReturnType<NodePeer['inboundPackets']>> };

  /** A fresh attacker in the meeting, on the meeting's worker (the server has one). */
  async function mallory(): Promise<ProtocolClient> {
    const client = await ProtocolClient.join(server.url, ROOM, `Mallory ${clients.length + 1}`);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    server = await startTestServer();
    server.pool.on('workerdied', () => workerDeaths++);
    const alice = new NodePeer(server.url);
    const bob = new NodePeer(server.url);
    peers.push(alice, bob);
    await alice.join(ROOM, 'Alice');
    await bob.join(ROOM, 'Bob');
    for (const peer of peers) await waitUntil(async () => (await peer.inboundPackets()).framesDecoded > 5, 20_000, 'initial media');
    workerPid = server.rooms.get(ROOM)!.worker.pid;
    before = { alice: await alice.inboundPackets(), bob: await bob.inboundPackets() };
    // The first sample is taken before any fuzzing, the last after it (in the last test).
    samples.push({ at: Date.now(), alice: before.alice.audio, bob: before.bob.audio });
    let sampling = false;
    sampler = setInterval(() => {
      if (sampling) return;
      sampling = true;
      void sample().finally(() => (sampling = false));
    }, 250);
  });

  async function sample(): Promise<void> {
    const [a, b] = await Promise.all(peers.map((p) => p.inboundPackets()));
    samples.push({ at: Date.now(), alice: a!.audio, bob: b!.audio });
  }

  afterAll(async () => {
    clearInterval(sampler);
    for (const client of clients) client.close();
    for (const peer of peers) await peer.close().catch(() => undefined);
    await server?.close();
  });

  it('refuses the probe\'s offer of 1,000 m-sections with BAD_SDP at once, and the worker keeps answering', async () => {
    const attacker = await mallory();
    const sdp = probeOffer();
    expect(sdp.length).toBeGreaterThan(90_000);
    const started = Date.now();
    const reply = await attacker.send('publish', { sdp, tracks: [{ mid: '0', source: 'microphone' }] });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_SDP' } });
    expect(!reply.ok && reply.error.message).toBe(`the offer was refused: the offer has more than ${MAX_PUBLISH_MEDIA_SECTIONS} media sections (m-lines)`);
    expect(Date.now() - started).toBeLessThan(3_000);

    const worker = server.rooms.get(ROOM)!.worker;
    const asked = Date.now();
    expect((await worker.getStats()).pid).toBe(workerPid);
    expect(Date.now() - asked).toBeLessThan(3_000);
    // A well-formed offer of the maximum size is still taken.
    const ok = await attacker.send('publish', {
      sdp: `${sdpLines(Array.from({ length: MAX_PUBLISH_MEDIA_SECTIONS }, (_, i) => (i % 2 ? 'video' : 'audio'))).join('\r\n')}\r\n`,
      tracks: [{ mid: '0', source: 'microphone' }],
    });
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
  });

  it('refuses every malformed offer with a coded error (BAD_SDP once it passes the request schema), never INTERNAL', async () => {
    const rand = mulberry32(13_2);
    const base = sdpLines(['audio', 'video']);
    expect(checkRemoteSdp(`${base.join('\r\n')}\r\n`, { kind: 'offer' }).ok).toBe(true);
    let attacker = await mallory();
    let refusedAsBadSdp = 0;
    for (let i = 0; i < 160; i++) {
      // Stay under the per-socket rate limit (burst 60): that limit has its own test.
      if (i > 0 && i % 40 === 0) {
        await attacker.send('leave', {});
        attacker = await mallory();
      }
      const payload = { sdp: malformed(rand, base, 'offer'), tracks: [{ mid: '0', source: 'microphone' as const }] };
      const reply = await attacker.send('publish', payload);
      expectRefused(reply, payload, `offer #${i} (${payload.sdp.length} chars: ${JSON.stringify(payload.sdp.slice(0, 80))})`);
      if (!reply.ok && reply.error.code === 'BAD_SDP') refusedAsBadSdp++;
    }
    expect(refusedAsBadSdp).toBeGreaterThan(100);
  });

  it('refuses every malformed answer with BAD_SDP and leaves the offer outstanding; the worker refuses an answer that does not match its offer', async () => {
    const rand = mulberry32(13_3);
    let answered = 0;
    for (let batch = 0; batch < 3; batch++) {
      // Each attacker gets an offer for the meeting's four tracks and answers it with junk, quickly (the server's answer timeout is 10 s).
      const attacker = await mallory();
      const { offerId, sdp: offer } = await attacker.waitFor('subscriber.offer', () => true, 10_000);
      const kinds = [...offer.matchAll(/^m=(audio|video) /gm)].map((m) => m[1] as 'audio' | 'video');
      const base = sdpLines(kinds, { direction: 'recvonly' });
      expect(checkRemoteSdp(`${base.join('\r\n')}\r\n`, { kind: 'answer' }).ok).toBe(true);
      for (let i = 0; i < 30; i++) {
        const payload = { offerId, sdp: malformed(rand, base, 'answer') };
        const reply = await attacker.send('subscriber.answer', payload);
        expectRefused(reply, payload, `answer #${batch}.${i} (${payload.sdp.length} chars: ${JSON.stringify(payload.sdp.slice(0, 80))})`);
        answered++;
      }
      if (batch === 2) {
        // Well formed, one m-section too many: signaling lets it through, the worker refuses it (RFC 3264: as many as offered).
        const extra = sdpLines([...kinds, 'audio'], { direction: 'recvonly' });
        const reply = await attacker.send('subscriber.answer', { offerId, sdp: `${extra.join('\r\n')}\r\n` });
        expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
        expect(!reply.ok && reply.error.message).toMatch(`the answer has ${kinds.length + 1} media sections, the offer had ${kinds.length}`);
      }
      await attacker.send('leave', {});
    }
    expect(answered).toBe(90);
  });

  it('keeps the meeting on the same worker receiving media throughout, and the worker never died or stalled', async () => {
    const [alice, bob] = peers as [NodePeer, NodePeer];
    // Packets kept arriving after the fuzzing as well.
    const after = await waitUntil(async () => {
      const now = { alice: await alice.inboundPackets(), bob: await bob.inboundPackets() };
      return now.alice.audio > before.alice.audio + 100 && now.bob.audio > before.bob.audio + 100 && now.alice.video > before.alice.video && now.bob.video > before.bob.video ? now : null;
    }, 10_000, 'media still flowing');
    expect(after.alice.framesDecoded).toBeGreaterThan(before.alice.framesDecoded);
    expect(after.bob.framesDecoded).toBeGreaterThan(before.bob.framesDecoded);
    // And while it ran: no gap of 3 s or more without a new audio packet (50 arrive per second).
    clearInterval(sampler);
    await sample();
    expect(samples.length).toBeGreaterThan(3);
    for (const who of ['alice', 'bob'] as const) {
      let lastGrowth = samples[0]!.at;
      let longestGap = 0;
      for (let i = 1; i < samples.length; i++) {
        if (samples[i]![who] > samples[i - 1]![who]) lastGrowth = samples[i]!.at;
        longestGap = Math.max(longestGap, samples[i]!.at - lastGrowth);
      }
      expect(longestGap, `${who}: longest time without a new audio packet`).toBeLessThan(3_000);
    }
    const room = server.rooms.get(ROOM)!;
    expect(workerDeaths).toBe(0);
    expect(room.worker.pid).toBe(workerPid);
    expect(server.pool.workers.map((w) => w.pid)).toEqual([workerPid]);
    expect(room.dump().participants.map((p) => p.name)).toEqual(expect.arrayContaining(['Alice', 'Bob']));
  });
});
