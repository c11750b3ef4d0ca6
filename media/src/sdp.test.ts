import { describe, expect, it } from 'vitest';
import { announceAddress, offeredCodecOrder, parseMediaSections, remoteSends, simulcastRids, withMsid, withoutRecvOnlySsrcs, withStartBitrate } from './sdp.ts';

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

