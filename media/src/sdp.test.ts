import { describe, expect, it } from 'vitest';
import {
  announceAddress,
  checkRemoteSdp,
  MAX_ANSWER_MEDIA_SECTIONS,
  MAX_PUBLISH_MEDIA_SECTIONS,
  MAX_SDP_BYTES,
  MAX_SDP_LINE_LENGTH,
  MAX_SDP_LINES,
  offeredCodecOrder,
  parseMediaSections,
  remoteSends,
  simulcastRids,
  withBundleOnlySectionsLive,
  withMsid,
  withoutRecvOnlySsrcs,
  withStartBitrate,
} from './sdp.ts';
import { FIREFOX_ESR_PUBLISH_OFFER } from './testing/firefoxOffer.ts';

const OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1 2 3',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0',
  'a=candidate:2 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0',
  'a=candidate:3 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 54321 generation 0',
  'a=candidate:4 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0',
  'a=mid:0',
  'a=sendonly',
  'a=rtpmap:111 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=sendrecv',
  'a=rtpmap:96 VP8/90000',
  'm=video 0 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:2',
  'a=sendonly',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=mid:3',
  'a=recvonly',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:4',
  'a=inactive',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=mid:5',
  '',
].join('\r\n');

describe('parseMediaSections', () => {
  it('reads mid, kind, port and direction of every m-section', () => {
    expect(parseMediaSections(OFFER)).toEqual([
      { mid: '0', kind: 'audio', port: 9, direction: 'sendonly' },
      { mid: '1', kind: 'video', port: 9, direction: 'sendrecv' },
      { mid: '2', kind: 'video', port: 0, direction: 'sendonly' },
      { mid: '3', kind: 'video', port: 9, direction: 'recvonly' },
      { mid: '4', kind: 'audio', port: 9, direction: 'inactive' },
      // No direction attribute: sendrecv is the SDP default.
      { mid: '5', kind: 'application', port: 9, direction: 'sendrecv' },
    ]);
  });

  it('ignores session-level lines and accepts bare \\n line ends', () => {
    const sdp = 'v=0\na=sendonly\na=mid:x\nm=audio 9 RTP/AVP 0\na=mid:a\na=recvonly\n';
    expect(parseMediaSections(sdp)).toEqual([{ mid: 'a', kind: 'audio', port: 9, direction: 'recvonly' }]);
  });

  it('returns nothing for an SDP without media', () => {
    expect(parseMediaSections('v=0\r\ns=-\r\n')).toEqual([]);
  });
});

describe('remoteSends', () => {
  it('is true only for sendonly/sendrecv sections that are not rejected', () => {
    const sends = parseMediaSections(OFFER).map((s) => [s.mid, remoteSends(s)]);
    expect(sends).toEqual([
      ['0', true],
      ['1', true],
      ['2', false], // port 0: rejected/stopped
      ['3', false],
      ['4', false],
      ['5', true],
    ]);
  });
});

describe('announceAddress', () => {
  it('returns the SDP untouched without an announced address', () => {
    expect(announceAddress(OFFER, undefined)).toBe(OFFER);
    expect(announceAddress(OFFER, '')).toBe(OFFER);
  });

  it('rewrites the address of host candidates and the connection line only', () => {
    const out = announceAddress(OFFER, '198.51.100.77');
    const candidates = out.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    expect(candidates).toEqual([
      'a=candidate:1 1 udp 2122260223 198.51.100.77 54321 typ host generation 0',
      // Reflexive and relay candidates already carry public addresses.
      'a=candidate:2 1 udp 1686052607 203.0.113.7 54321 typ srflx raddr 192.168.1.20 rport 54321 generation 0',
      'a=candidate:3 1 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 54321 generation 0',
      'a=candidate:4 1 tcp 1518280447 198.51.100.77 9 typ host tcptype active generation 0',
    ]);
    expect(out.split('\r\n').filter((l) => l.startsWith('c='))).toEqual([
      'c=IN IP4 198.51.100.77',
      'c=IN IP4 198.51.100.77',
      'c=IN IP4 198.51.100.77',
      'c=IN IP4 198.51.100.77',
    ]);
    // The origin line and everything else are unchanged.
    expect(out).toContain('o=- 4611731400430051336 2 IN IP4 127.0.0.1');
    expect(out.replace(/198\.51\.100\.77/g, '')).toBe(
      OFFER.replace(/192\.168\.1\.20( \d+ typ host)/g, '$1').replace(/c=IN IP4 0\.0\.0\.0/g, 'c=IN IP4 '),
    );
  });
});

const CHROME_VIDEO = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:0',
  'a=rtpmap:111 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 98 99 96 97 45',
  'a=mid:1',
  'a=rtpmap:98 VP9/90000',
  'a=fmtp:98 profile-id=0',
  'a=rtpmap:99 rtx/90000',
  'a=fmtp:99 apt=98',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=rtpmap:45 AV1/90000',
  '',
].join('\r\n');

describe('offeredCodecOrder', () => {
  it('lists a section\'s codecs in the offerer\'s order, without RTX', () => {
    expect(offeredCodecOrder(CHROME_VIDEO, '1')).toEqual(['video/vp9', 'video/vp8', 'video/av1']);
    expect(offeredCodecOrder(CHROME_VIDEO, '0')).toEqual(['audio/opus']);
    expect(offeredCodecOrder(CHROME_VIDEO, '7')).toEqual([]);
  });
});

describe('withStartBitrate', () => {
  it('adds x-google-start-bitrate to video codecs (not RTX, not audio), once', () => {
    const out = withStartBitrate(CHROME_VIDEO, 1500);
    expect(out).toContain('a=fmtp:98 profile-id=0;x-google-start-bitrate=1500');
    expect(out).toContain('a=rtpmap:45 AV1/90000\r\na=fmtp:45 x-google-start-bitrate=1500');
    expect(out).toContain('a=rtpmap:96 VP8/90000\r\na=fmtp:96 x-google-start-bitrate=1500');
    expect(out).not.toMatch(/fmtp:9[79] .*x-google/);
    expect(out).not.toMatch(/fmtp:111 .*x-google/);
    expect(withStartBitrate(out, 1500)).toBe(out);
  });
});

describe('withoutRecvOnlySsrcs', () => {
  it('drops our SSRC lines from recvonly sections only', () => {
    const sdp = ['v=0', 'm=video 9 X 96', 'a=recvonly', 'a=ssrc-group:FID 1 2', 'a=ssrc:1 cname:x', 'a=ssrc:2 cname:x', 'm=video 9 X 96', 'a=sendonly', 'a=ssrc:3 cname:x', ''].join('\r\n');
    expect(withoutRecvOnlySsrcs(sdp)).toBe(['v=0', 'm=video 9 X 96', 'a=recvonly', 'm=video 9 X 96', 'a=sendonly', 'a=ssrc:3 cname:x', ''].join('\r\n'));
  });
});

describe('withMsid', () => {
  it('gives sections with SSRC lines and no msid a stable one, before the SSRC lines', () => {
    const sdp = ['v=0', 'm=video 9 X 96 97', 'a=mid:3', 'a=sendonly', 'a=ssrc-group:FID 1 2', 'a=ssrc:1 cname:x', 'a=ssrc:2 cname:x', 'm=audio 9 X 111', 'a=mid:4', 'a=msid:s t', 'a=ssrc:5 cname:x', ''].join('\r\n');
    const out = withMsid(sdp).split('\r\n');
    expect(out.slice(1, 6)).toEqual(['m=video 9 X 96 97', 'a=mid:3', 'a=sendonly', 'a=msid:- muster-3', 'a=ssrc-group:FID 1 2']);
    expect(out.filter((l) => l.startsWith('a=msid:'))).toEqual(['a=msid:- muster-3', 'a=msid:s t']);
    expect(withMsid(withMsid(sdp))).toBe(withMsid(sdp));
  });
});

describe('simulcastRids', () => {
  it('reads the rids a section sends, in order, alternatives and pauses resolved', () => {
    const sdp = ['v=0', 'm=video 9 X 96', 'a=mid:0', 'a=simulcast:send r0;~r1,r1b;r2 recv x', 'm=video 9 X 96', 'a=mid:1', ''].join('\r\n');
    expect(simulcastRids(sdp, '0')).toEqual(['r0', 'r1', 'r2']);
    expect(simulcastRids(sdp, '1')).toEqual([]);
  });
});


describe('withBundleOnlySectionsLive', () => {
  it("makes Firefox's bundle-only camera section live: port 9, no a=bundle-only, nothing else changed", () => {
    // As Firefox sends it, the camera reads as rejected (port 0): the bug this fixes.
    const before = parseMediaSections(FIREFOX_ESR_PUBLISH_OFFER);
    expect(before.map((s) => [s.mid, s.kind, s.port, remoteSends(s)])).toEqual([
      ['0', 'audio', 9, true],
      ['1', 'video', 0, false],
    ]);
    const out = withBundleOnlySectionsLive(FIREFOX_ESR_PUBLISH_OFFER);
    expect(parseMediaSections(out).map((s) => [s.mid, s.kind, s.port, remoteSends(s)])).toEqual([
      ['0', 'audio', 9, true],
      ['1', 'video', 9, true],
    ]);
    expect(out).not.toContain('a=bundle-only');
    const lines = FIREFOX_ESR_PUBLISH_OFFER.split('\r\n');
    const expected = lines.filter((l) => l !== 'a=bundle-only').map((l) => (l.startsWith('m=video 0 ') ? l.replace('m=video 0 ', 'm=video 9 ') : l));
    expect(out.split('\r\n')).toEqual(expected);
    // What the SFU reads from the section is there once it is live.
    expect(simulcastRids(out, '1')).toEqual(['r0', 'r1', 'r2']);
    expect(offeredCodecOrder(out, '1')).toEqual(['video/vp8', 'video/vp9', 'video/av1']);
    expect(checkRemoteSdp(out, { kind: 'offer' })).toEqual({ ok: true, mediaSections: 2 });
  });

  it('leaves stopped sections, sections outside the BUNDLE group and bundle-less SDPs alone', () => {
    const head = ['v=0', 'o=- 1 2 IN IP4 0.0.0.0', 's=-', 't=0 0'];
    const section = (mid: string, port: number, extra: string[] = []) => [`m=video ${port} UDP/TLS/RTP/SAVPF 96`, `a=mid:${mid}`, ...extra, 'a=sendonly', 'a=rtpmap:96 VP8/90000'];
    // Firefox stops a transceiver as port 0 without bundle-only, outside the group.
    const stopped = [...head, 'a=group:BUNDLE 0 2', ...section('0', 9), ...section('1', 0), ...section('2', 0, ['a=bundle-only']), ''].join('\r\n');
    expect(parseMediaSections(withBundleOnlySectionsLive(stopped)).map((s) => [s.mid, s.port])).toEqual([
      ['0', 9],
      ['1', 0],
      ['2', 9],
    ]);
    const outside = [...head, 'a=group:BUNDLE 0', ...section('0', 9), ...section('1', 0, ['a=bundle-only']), ''].join('\r\n');
    expect(withBundleOnlySectionsLive(outside)).toBe(outside);
    const noBundle = [...head, ...section('0', 0, ['a=bundle-only']), ''].join('\r\n');
    expect(withBundleOnlySectionsLive(noBundle)).toBe(noBundle);
    // Chromium's offers have no bundle-only section: returned as they are.
    expect(withBundleOnlySectionsLive(PUBLISH_OFFER)).toBe(PUBLISH_OFFER);
  });

  it('keeps bare \\n line ends', () => {
    const sdp = FIREFOX_ESR_PUBLISH_OFFER.replace(/\r\n/g, '\n');
    const out = withBundleOnlySectionsLive(sdp);
    expect(out).not.toContain('\r');
    expect(out).toBe(withBundleOnlySectionsLive(FIREFOX_ESR_PUBLISH_OFFER).replace(/\r\n/g, '\n'));
  });
});


// ---------------------------------------------------------------- checkRemoteSdp

const UFRAG = 'a=ice-ufrag:KrEo';
const PWD = 'a=ice-pwd:Zsyoh9prWXhsnwG9/jWW+L2R';
const FINGERPRINT = 'a=fingerprint:sha-256 44:90:DC:44:E6:F7:69:05:63:0B:05:58:E3:1D:97:E0:39:D1:E0:5C:19:2D:37:D3:0A:20:41:F1:98:93:53:1B';
const TRANSPORT = [UFRAG, PWD, 'a=ice-options:trickle', FINGERPRINT, 'a=setup:actpass'];
const HEAD = ['v=0', 'o=- 5466660577905355544 2 IN IP4 127.0.0.1', 's=-', 't=0 0'];

function audio(mid: string, extra: string[] = TRANSPORT): string[] {
  return ['m=audio 9 UDP/TLS/RTP/SAVPF 111 63', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', ...extra, `a=mid:${mid}`, 'a=sendonly', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:63 red/48000/2', 'a=ssrc:1236229389 cname:72qiF7zxcRSdUZeV'];
}

function video(mid: string, extra: string[] = TRANSPORT): string[] {
  return ['m=video 9 UDP/TLS/RTP/SAVPF 96 97', 'c=IN IP4 0.0.0.0', ...extra, `a=mid:${mid}`, 'a=sendonly', 'a=rtcp-mux', 'a=rtcp-rsize', 'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96'];
}

/** An SDP of `sections`, BUNDLEd by mid unless `bundle` says otherwise. */
function sdpOf(sections: string[][], options: { session?: string[]; bundle?: string | null } = {}): string {
  const mids = sections.map((s) => s.find((l) => l.startsWith('a=mid:'))?.slice(6)).filter(Boolean);
  const bundle = options.bundle === undefined ? `a=group:BUNDLE ${mids.join(' ')}` : options.bundle;
  return [...HEAD, ...(bundle ? [bundle] : []), 'a=msid-semantic: WMS', ...(options.session ?? []), ...sections.flat(), ''].join('\r\n');
}

/** The libwebrtc (Chrome) shape: transport attributes in every m-section. */
const PUBLISH_OFFER = sdpOf([audio('0'), video('1')]);

function refused(sdp: unknown, kind: 'offer' | 'answer' = 'offer', maxMediaSections?: number): string {
  const result = checkRemoteSdp(sdp, { kind, maxMediaSections });
  if (result.ok) throw new Error('expected the SDP to be refused');
  return result.reason;
}

describe('checkRemoteSdp', () => {
  it('accepts the offers and answers real clients send', () => {
    expect(checkRemoteSdp(PUBLISH_OFFER, { kind: 'offer' })).toEqual({ ok: true, mediaSections: 2 });
    expect(checkRemoteSdp(PUBLISH_OFFER, { kind: 'answer' })).toEqual({ ok: true, mediaSections: 2 });
    // Firefox: the fingerprint at session level, ICE credentials per section.
    const firefox = sdpOf([audio('0', [UFRAG, PWD, 'a=setup:actpass']), video('1', [UFRAG, PWD, 'a=setup:actpass'])], { session: [FINGERPRINT, 'a=ice-options:trickle'] });
    expect(checkRemoteSdp(firefox, { kind: 'offer' }).ok).toBe(true);
    // RFC 8843: transport attributes only in the BUNDLE group's tagged (first) section.
    expect(checkRemoteSdp(sdpOf([audio('0'), video('1', [])]), { kind: 'answer' }).ok).toBe(true);
    // Bare \n line ends, and no final line end.
    expect(checkRemoteSdp(PUBLISH_OFFER.replace(/\r\n/g, '\n').trimEnd(), { kind: 'offer' }).ok).toBe(true);
    // A stopped (port 0) section needs no transport attributes and may stay outside BUNDLE.
    const stopped = ['m=video 0 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:2', 'a=inactive', 'a=rtpmap:96 VP8/90000'];
    expect(checkRemoteSdp(sdpOf([audio('0'), video('1'), stopped], { bundle: 'a=group:BUNDLE 0 1' }), { kind: 'offer' })).toEqual({ ok: true, mediaSections: 3 });
    // An answer without BUNDLE (the SFU's offer after its last consumer went has none) and without mids.
    const plain = sdpOf([audio('0'), video('1')], { bundle: null }).replace(/a=mid:\d\r\n/g, '');
    expect(checkRemoteSdp(plain, { kind: 'answer' }).ok).toBe(true);
    // A data channel section.
    const data = ['m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', ...TRANSPORT, 'a=mid:2', 'a=sctp-port:5000'];
    expect(checkRemoteSdp(sdpOf([audio('0'), video('1'), data]), { kind: 'offer' }).ok).toBe(true);
  });

  it(`caps the m-sections: ${MAX_PUBLISH_MEDIA_SECTIONS} in an offer, ${MAX_ANSWER_MEDIA_SECTIONS} in an answer`, () => {
    const sections = (n: number) => Array.from({ length: n }, (_, i) => audio(String(i)));
    expect(checkRemoteSdp(sdpOf(sections(MAX_PUBLISH_MEDIA_SECTIONS)), { kind: 'offer' }).ok).toBe(true);
    expect(refused(sdpOf(sections(MAX_PUBLISH_MEDIA_SECTIONS + 1)))).toBe(`the offer has more than ${MAX_PUBLISH_MEDIA_SECTIONS} media sections (m-lines)`);
    // The probe's offer: 1,000 audio sections.
    expect(checkRemoteSdp(sdpOf(sections(20)), { kind: 'offer', maxMediaSections: 20 }).ok).toBe(true);
    const short = (mid: string) => ['m=audio 9 UDP/TLS/RTP/SAVPF 111', `a=mid:${mid}`, 'a=sendonly', 'a=rtpmap:111 opus/48000/2'];
    const many = (n: number) => sdpOf(Array.from({ length: n }, (_, i) => short(String(i))), { session: [UFRAG, PWD, FINGERPRINT] });
    // The probe's offer: 1,000 audio sections in about 100 KB.
    expect(refused(many(1000))).toBe('the offer has more than 8 media sections (m-lines)');
    expect(checkRemoteSdp(many(MAX_ANSWER_MEDIA_SECTIONS), { kind: 'answer' }).ok).toBe(true);
    expect(refused(many(MAX_ANSWER_MEDIA_SECTIONS + 1), 'answer')).toMatch(/more than 512 media sections/);
  });

  it('refuses "v=0" plus junk, and anything that does not start with "v=0"', () => {
    expect(refused('v=0\r\njunk\r\n')).toMatch(/line 2 is not an SDP line/);
    expect(refused('v=0\r\n' + 'x'.repeat(100))).toMatch(/not an SDP line/);
    expect(refused('v=0\r\nm=garbage\r\n')).toMatch(/media kind "garbage"/);
    expect(refused('v=0')).toMatch(/lacks one of the mandatory/);
    expect(refused('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n')).toBe('the offer has no media sections (m-lines)');
    expect(refused('v=1\r\n')).toBe('an SDP starts with "v=0"');
    expect(refused(' v=0\r\n')).toBe('an SDP starts with "v=0"');
    expect(refused('\r\nv=0\r\n')).toBe('an SDP starts with "v=0"');
    expect(refused('')).toBe('an SDP starts with "v=0"');
    expect(refused('v=0 \r\n')).toBe('an SDP starts with "v=0"');
    expect(refused(PUBLISH_OFFER.replace('s=-', 'x=-'))).toMatch(/line 3 is not an SDP line/);
    expect(refused(PUBLISH_OFFER.replace('s=-', 'S=-'))).toMatch(/line 3 is not an SDP line/);
    expect(refused(PUBLISH_OFFER.replace('s=-\r\n', ''))).toMatch(/mandatory "o=", "s=" and "t="/);
    expect(refused(PUBLISH_OFFER.replace('t=0 0', 'v=0'))).toMatch(/a second "v=" line/);
    expect(refused(PUBLISH_OFFER.replace('a=rtcp-mux', 'a=rtcp-mux\r\n\r\na=x'))).toMatch(/is empty/);
    expect(refused(PUBLISH_OFFER.replace('a=rtcp-mux', 'a=rtcp\u0000mux'))).toMatch(/control characters/);
    expect(refused(PUBLISH_OFFER.replace('a=rtcp-mux', 'a=rtcp\rmux'))).toMatch(/control characters/);
    for (const value of [undefined, null, 42, {}, ['v=0']]) expect(refused(value)).toBe('the offer is not a string');
  });

  it('refuses an offer or answer without ICE credentials or a DTLS fingerprint', () => {
    for (const [line, attribute] of [[UFRAG, 'ice-ufrag'], [PWD, 'ice-pwd'], [FINGERPRINT, 'fingerprint']] as const) {
      const without = sdpOf([audio('0', TRANSPORT.filter((l) => l !== line)), video('1', TRANSPORT.filter((l) => l !== line))]);
      expect(refused(without)).toBe(`media section 1 (line ${without.split('\r\n').indexOf('m=audio 9 UDP/TLS/RTP/SAVPF 111 63') + 1}) has no a=${attribute}, nor has the session`);
      expect(refused(without, 'answer')).toMatch(new RegExp(`has no a=${attribute}`));
    }
    // Only in the second section, which is not the BUNDLE tag: the first lacks them.
    expect(refused(sdpOf([audio('0', []), video('1')]))).toMatch(/media section 1 .* has no a=ice-ufrag/);
    // Malformed values count as refusals, with the line.
    expect(refused(PUBLISH_OFFER.replace(UFRAG, 'a=ice-ufrag:ab'))).toMatch(/a=ice-ufrag must be 4-256 ICE characters/);
    expect(refused(PUBLISH_OFFER.replace(UFRAG, 'a=ice-ufrag:ab cd'))).toMatch(/a=ice-ufrag/);
    expect(refused(PUBLISH_OFFER.replace(PWD, 'a=ice-pwd:short'))).toMatch(/a=ice-pwd must be 22-256/);
    expect(refused(PUBLISH_OFFER.replace(FINGERPRINT, 'a=fingerprint:sha-256 zz:zz'))).toMatch(/a=fingerprint must be/);
    expect(refused(PUBLISH_OFFER.replace(FINGERPRINT, 'a=fingerprint:sha-256'))).toMatch(/a=fingerprint must be/);
  });

  it('refuses malformed m-lines', () => {
    const withMLine = (mline: string) => PUBLISH_OFFER.replace('m=audio 9 UDP/TLS/RTP/SAVPF 111 63', mline);
    expect(refused(withMLine('m=text 9 UDP/TLS/RTP/SAVPF 111'))).toMatch(/media kind "text" is not audio, video or application/);
    expect(refused(withMLine('m=audio x UDP/TLS/RTP/SAVPF 111'))).toMatch(/port is not a port number/);
    expect(refused(withMLine('m=audio 70000 UDP/TLS/RTP/SAVPF 111'))).toMatch(/port is not a port number/);
    expect(refused(withMLine('m=audio 9 UDP/TLS/RTP/SAVPF'))).toMatch(/lists no formats/);
    expect(refused(withMLine('m=audio 9'))).toMatch(/no transport protocol/);
    expect(refused(withMLine('m=audio 9  UDP/TLS/RTP/SAVPF 111'))).toMatch(/no transport protocol/);
    expect(refused(withMLine('m=audio 9 UDP/TLS/RTP/SAVPF 111 opus'))).toMatch(/"opus" is not a payload type/);
    expect(refused(withMLine('m=audio 9 UDP/TLS/RTP/SAVPF 128'))).toMatch(/"128" is not a payload type/);
    expect(refused(withMLine('m=audio 9 UDP/TLS/RTP/SAVPF 111 '))).toMatch(/"" is not a payload type/);
  });

  it('makes an offer BUNDLE every live section, each with its own mid, in one group', () => {
    expect(refused(sdpOf([audio('0'), video('1')], { bundle: null }))).toMatch(/media section 1 \(mid "0"\) is not in the BUNDLE group/);
    expect(refused(sdpOf([audio('0'), video('1')], { bundle: 'a=group:BUNDLE 0' }))).toMatch(/media section 2 \(mid "1"\) is not in the BUNDLE group/);
    expect(refused(sdpOf([audio('0'), video('1')], { bundle: 'a=group:BUNDLE 0\r\na=group:BUNDLE 1' }))).toMatch(/more than one BUNDLE group/);
    expect(refused(sdpOf([audio('0'), video('1')], { bundle: 'a=group:BUNDLE 0 1 2' }))).toMatch(/names mid "2", which no media section has/);
    expect(refused(sdpOf([audio('0'), video('1')], { bundle: 'a=group:BUNDLE 0 1 0' }))).toMatch(/mid "0" is named twice/);
    expect(refused(sdpOf([audio('0'), video('0')]))).toMatch(/mid "0" is used twice/);
    expect(refused(sdpOf([audio('0'), video('1').filter((l) => l !== 'a=mid:1')]))).toMatch(/media section 2 \(line \d+\) has no a=mid/);
    expect(refused(PUBLISH_OFFER.replace('a=mid:1\r\n', 'a=mid:1\r\na=mid:2\r\n'))).toMatch(/a second a=mid/);
    expect(refused(PUBLISH_OFFER.replace('a=mid:1\r\n', `a=mid:${'m'.repeat(33)}\r\n`))).toMatch(/a=mid must be 1-32 printable/);
  });

  it(`bounds the size (${MAX_SDP_BYTES} bytes), the lines (${MAX_SDP_LINES}) and their length (${MAX_SDP_LINE_LENGTH})`, () => {
    const padded = (extra: string) => PUBLISH_OFFER.replace('a=rtcp-mux', `a=rtcp-mux\r\n${extra}`);
    expect(refused(padded(`a=x-junk:${'a'.repeat(MAX_SDP_BYTES)}`))).toBe(`the offer is larger than ${MAX_SDP_BYTES} bytes`);
    // Multi-byte characters count as bytes.
    expect(refused(padded(`a=x:${'€'.repeat(MAX_SDP_BYTES / 3)}`))).toMatch(/larger than/);
    expect(checkRemoteSdp(padded(`a=x-junk:${'a'.repeat(MAX_SDP_LINE_LENGTH - 9)}`), { kind: 'offer' }).ok).toBe(true);
    expect(refused(padded(`a=x-junk:${'a'.repeat(MAX_SDP_LINE_LENGTH - 8)}`))).toMatch(new RegExp(`line \\d+ is longer than ${MAX_SDP_LINE_LENGTH} characters`));
    expect(refused(padded(`a=ice-ufrag:${'a'.repeat(300)}`))).toMatch(/a=ice-ufrag must be 4-256/);
    expect(refused(padded(Array.from({ length: MAX_SDP_LINES }, () => 'a=x').join('\r\n')))).toBe(`the offer has more than ${MAX_SDP_LINES} lines`);
    expect(checkRemoteSdp('v=0\r\n'.repeat(2), { kind: 'offer', maxBytes: 5 })).toEqual({ ok: false, reason: 'the offer is larger than 5 bytes' });
  });

  it('does work linear in its input: adversarial 128 KiB inputs are checked in well under a second each', () => {
    const limit = MAX_SDP_BYTES - 1024;
    const fill = (line: string) => Array.from({ length: Math.floor(limit / (line.length + 2)) }, () => line).join('\r\n');
    const inputs = [
      // Many sections, each minimal: stops at the cap.
      sdpOf([], { session: [UFRAG, PWD, FINGERPRINT, fill('m=audio 9 RTP/AVP 0')] }),
      // As many lines as fit.
      sdpOf([audio('0'), video('1')], { session: [fill('a=x')] }),
      // Long BUNDLE groups naming many mids, repeated.
      sdpOf([audio('0'), video('1')], { session: [fill(`a=group:BUNDLE ${Array.from({ length: 600 }, (_, i) => i).join(' ')}`)] }),
      // Long lines that nearly match the attribute patterns.
      sdpOf([audio('0'), video('1')], { session: [fill(`a=fingerprint:sha-256 ${'AB:'.repeat(1300)}`)] }),
      fill(`v=0${'\r'.repeat(3000)}`),
      `v=0\r\n${'a'.repeat(limit)}`,
      `v=0${'\n'.repeat(limit)}`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      const result = checkRemoteSdp(input, { kind: 'answer' });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(result.ok).toBe(false);
    }
  });
});
