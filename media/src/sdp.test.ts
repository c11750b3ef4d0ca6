import { describe, expect, it } from 'vitest';
import { announceAddress, parseMediaSections, remoteSends } from './sdp.ts';

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
