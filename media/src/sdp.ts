/** The little SDP knowledge the SFU needs beyond what werift exposes. */

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface MediaSection {
  mid: string;
  kind: string;
  port: number;
  direction: MediaDirection;
}

/** Splits an SDP into its m-sections and reads mid, kind, port and direction of each. */
export function parseMediaSections(sdp: string): MediaSection[] {
  const sections: MediaSection[] = [];
  let current: MediaSection | undefined;
  for (const rawLine of sdp.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith('m=')) {
      const [kind, port] = line.slice(2).split(' ');
      current = { mid: '', kind: kind ?? '', port: Number(port), direction: 'sendrecv' };
      sections.push(current);
    } else if (current) {
      if (line.startsWith('a=mid:')) current.mid = line.slice(6);
      else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line)) current.direction = line.slice(2) as MediaDirection;
    }
  }
  return sections;
}

/** True when the remote peer will send media on this section. */
export function remoteSends(section: MediaSection): boolean {
  return section.port !== 0 && (section.direction === 'sendonly' || section.direction === 'sendrecv');
}

/**
 * Rewrites the address of our host candidates to the announced one, the way
 * mediasoup's announcedIp does, for a server behind 1:1 NAT.
 */
export function announceAddress(sdp: string, announcedIp: string | undefined): string {
  if (!announcedIp) return sdp;
  return sdp
    .split('\r\n')
    .map((line) => {
      const match = /^(a=candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ host.*)$/.exec(line);
      if (match) return `${match[1]}${announcedIp}${match[3]}`;
      if (line.startsWith('c=IN IP4 ')) return `c=IN IP4 ${announcedIp}`;
      return line;
    })
    .join('\r\n');
}

/**
 * The codecs an offer lists for one m-section, in the offerer's order of
 * preference, as lower-case MIME types ("video/vp9"); RTX, RED and FEC
 * entries are left out.
 */
export function offeredCodecOrder(sdp: string, mid: string): string[] {
  let kind = '';
  let inSection = false;
  let sectionMid = '';
  let payloadOrder: string[] = [];
  const rtpmap = new Map<string, string>();
  let result: string[] | undefined;
  const finish = () => {
    if (inSection && sectionMid === mid && !result) {
      result = payloadOrder
        .map((pt) => rtpmap.get(pt))
        .filter((name): name is string => !!name && !/^(rtx|red|ulpfec|flexfec-03)$/i.test(name))
        .map((name) => `${kind}/${name}`.toLowerCase());
    }
  };
  for (const rawLine of sdp.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith('m=')) {
      finish();
      const parts = line.slice(2).split(' ');
      kind = parts[0] ?? '';
      payloadOrder = parts.slice(3);
      rtpmap.clear();
      sectionMid = '';
      inSection = true;
    } else if (inSection) {
      if (line.startsWith('a=mid:')) sectionMid = line.slice(6);
      const m = /^a=rtpmap:(\d+) ([^/]+)\//.exec(line);
      if (m) rtpmap.set(m[1]!, m[2]!);
    }
  }
  finish();
  return result ?? [];
}

/**
 * Adds x-google-start-bitrate (kbps) to the fmtp of every VP8, VP9 and AV1
 * payload type in an answer to a publisher. Without transport-wide feedback
 * from the SFU, Chrome's send-side estimate starts at 300 kbps and climbs on
 * loss reports alone, too slowly to switch on the upper spatial layers (or
 * simulcast encodings) of a camera for many seconds.
 */
export function withStartBitrate(sdp: string, kbps: number): string {
  const scalable = new Set<string>();
  for (const m of sdp.matchAll(/^a=rtpmap:(\d+) (VP8|VP9|AV1)\//gim)) scalable.add(m[1]!);
  if (scalable.size === 0) return sdp;
  const lines = sdp.split('\r\n');
  const withFmtp = new Set<string>();
  const out = lines.map((line) => {
    const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (!m || !scalable.has(m[1]!)) return line;
    withFmtp.add(m[1]!);
    return /x-google-start-bitrate/.test(m[2]!) ? line : `${line};x-google-start-bitrate=${kbps}`;
  });
  // Payload types without an fmtp line get one after their rtpmap.
  return out
    .flatMap((line) => {
      const m = /^a=rtpmap:(\d+) /.exec(line);
      return m && scalable.has(m[1]!) && !withFmtp.has(m[1]!) ? [line, `a=fmtp:${m[1]} x-google-start-bitrate=${kbps}`] : [line];
    })
    .join('\r\n');
}

/**
 * Drops a=ssrc and a=ssrc-group lines from the recvonly sections of our
 * answer to a publisher. werift announces its idle sender's SSRCs there (two
 * of them once RTX is negotiated, without msid), which libwebrtc before
 * unified-plan cleanup refuses ("more than one track specified with a=ssrc
 * lines"); the SFU never sends media on a publisher's transport.
 */
export function withoutRecvOnlySsrcs(sdp: string): string {
  const lines = sdp.split('\r\n');
  const out: string[] = [];
  let section: string[] = [];
  const flush = () => {
    const recvOnly = section.includes('a=recvonly');
    for (const line of section) if (!recvOnly || !/^a=ssrc(-group)?:/.test(line)) out.push(line);
    section = [];
  };
  for (const line of lines) {
    if (line.startsWith('m=')) flush();
    section.push(line);
  }
  flush();
  return out.join('\r\n');
}

/**
 * Gives each of our m-sections that announces SSRCs an a=msid line (stream
 * "-", track "muster-<mid>", stable across offers). werift writes none; with
 * a media SSRC and its RTX SSRC in one section, libwebrtc then takes them for
 * two tracks and refuses the offer. Clients map tracks by mid, not by msid.
 */
export function withMsid(sdp: string): string {
  const out: string[] = [];
  let section: string[] = [];
  const flush = () => {
    const mid = section.find((l) => l.startsWith('a=mid:'))?.slice(6);
    const needs = mid !== undefined && section.some((l) => l.startsWith('a=ssrc:')) && !section.some((l) => l.startsWith('a=msid:'));
    let added = !needs;
    for (const line of section) {
      if (!added && /^a=ssrc(-group)?:/.test(line)) {
        out.push(`a=msid:- muster-${mid}`);
        added = true;
      }
      out.push(line);
    }
    section = [];
  };
  for (const line of sdp.split('\r\n')) {
    if (line.startsWith('m=')) flush();
    section.push(line);
  }
  flush();
  return out.join('\r\n');
}

/**
 * The rids a section's offer sends as simulcast (`a=simulcast:send r0;r1;r2`),
 * in the order listed (by convention, and in our client, lowest resolution
 * first). Alternatives ("r0,r1") count as their first; paused ones ("~r2")
 * are kept, they may be resumed. Empty without simulcast.
 */
export function simulcastRids(sdp: string, mid: string): string[] {
  let sectionMid: string | null = null;
  let rids: string[] = [];
  let found: string[] = [];
  const finish = () => {
    if (sectionMid === mid && found.length === 0) found = rids;
  };
  for (const rawLine of sdp.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith('m=')) {
      finish();
      sectionMid = null;
      rids = [];
    } else if (line.startsWith('a=mid:')) {
      sectionMid = line.slice(6);
    } else if (line.startsWith('a=simulcast:')) {
      const m = /(?:^|\s)send\s+(\S+)/.exec(line.slice(12));
      if (m) rids = m[1]!.split(';').map((alt) => alt.split(',')[0]!.replace(/^~/, '')).filter(Boolean);
    }
  }
  finish();
  return found;
}

