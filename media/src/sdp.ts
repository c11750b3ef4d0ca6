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
 * A client's SDP with its bundle-only m-sections written as ordinary bundled
 * ones: port 9 instead of 0, no `a=bundle-only`.
 *
 * Why: under `bundlePolicy: 'max-bundle'` Firefox offers every m-section
 * after the BUNDLE group's tagged one with port 0 and `a=bundle-only`
 * (RFC 8843 §6, JSEP §5.2.1): "live, but only inside the bundle". Chromium
 * writes port 9 instead. werift 0.25 reads any port 0 as a rejected section:
 * it answered Firefox's camera with port 0 and `a=inactive`, so Firefox never
 * sent it and no Producer was made. A section the client stopped has port 0
 * without `a=bundle-only` and is no longer in the BUNDLE group: it stays
 * rejected. Only sections the SDP's BUNDLE group names are rewritten
 * (checkRemoteSdp refuses an offer with a live section outside the group).
 */
export function withBundleOnlySectionsLive(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const bundled = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('m=')) break;
    if (line.startsWith('a=group:BUNDLE ')) for (const mid of line.slice(15).split(' ')) if (mid) bundled.add(mid);
  }
  if (bundled.size === 0) return sdp;
  const out: string[] = [];
  let section: string[] = [];
  const flush = () => {
    const mid = section.find((l) => l.startsWith('a=mid:'))?.slice(6);
    const mLine = /^m=(\S+) 0( .*)$/.exec(section[0] ?? '');
    const bundleOnly = (l: string) => l.trim() === 'a=bundle-only';
    if (mLine && mid !== undefined && bundled.has(mid) && section.some(bundleOnly)) {
      out.push(`m=${mLine[1]} 9${mLine[2]}`, ...section.slice(1).filter((l) => !bundleOnly(l)));
    } else {
      out.push(...section);
    }
    section = [];
  };
  for (const line of lines) {
    if (line.startsWith('m=')) flush();
    section.push(line);
  }
  flush();
  return out.join(eol);
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


// ---------------------------------------------------------------- remote SDP pre-check

/**
 * Most m-sections a publisher's offer may have. A participant publishes at
 * most four sources (camera, microphone, screen, screen audio); the rest is
 * room for sections it stopped (port 0) and has not recycled yet.
 *
 * Why a cap at all: werift's work per offer grows with the square (and, for
 * an offer without BUNDLE, the cube) of the m-section count. See
 * checkRemoteSdp.
 */
export const MAX_PUBLISH_MEDIA_SECTIONS = 8;
/**
 * Most m-sections a subscriber's answer may have: a backstop only. An answer
 * has exactly as many m-sections as the SFU's offer (RFC 3264 §6), which the
 * worker checks against its own offer (WebRtcTransport.applyAnswer); a
 * 128 KiB request cannot carry more than a few hundred real ones anyway.
 */
export const MAX_ANSWER_MEDIA_SECTIONS = 512;
/** Largest SDP accepted, in bytes: the signaling protocol's request limit (MAX_REQUEST_BYTES). */
export const MAX_SDP_BYTES = 128 * 1024;
/** Most lines an SDP may have (a real 128 KiB SDP has about 3,500). */
export const MAX_SDP_LINES = 8192;
/** Longest line accepted, in characters (real ones stay under 600; a BUNDLE line of 512 mids is about 2,000). */
export const MAX_SDP_LINE_LENGTH = 4096;

export interface SdpCheckOptions {
  /** `offer`: a publisher's offer (must BUNDLE every live section, each with a mid); `answer`: a subscriber's answer. */
  kind: 'offer' | 'answer';
  /** Default: MAX_PUBLISH_MEDIA_SECTIONS for offers, MAX_ANSWER_MEDIA_SECTIONS for answers. */
  maxMediaSections?: number;
  /** Default MAX_SDP_BYTES. */
  maxBytes?: number;
}

export type SdpCheck = { ok: true; mediaSections: number } | { ok: false; reason: string };

/** Line types of RFC 8866; any other letter is not SDP. */
const SDP_LINE_TYPES = new Set('vosiuepcbtrzkam');
const MEDIA_KINDS = new Set(['audio', 'video', 'application']);
// Each is anchored and free of nested quantifiers: matching is linear in the (bounded) line.
const CONTROL_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const PORT = /^(\d{1,5})(?:\/\d{1,3})?$/;
const PROTO = /^[A-Za-z0-9][A-Za-z0-9/_.-]*$/;
const RTP_PAYLOAD_TYPE = /^\d{1,3}$/;
const FORMAT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ICE_UFRAG = /^[A-Za-z0-9+/]{4,256}$/;
const ICE_PWD = /^[A-Za-z0-9+/]{22,256}$/;
const FINGERPRINT = /^[A-Za-z0-9-]{1,16} [0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15,63}$/;
const MID = /^[\x21-\x7e]{1,32}$/;

interface SectionFacts {
  line: number;
  port: number;
  mid: string | null;
  bundleOnly: boolean;
  ufrag: boolean;
  pwd: boolean;
  fingerprint: boolean;
}

/**
 * A bounded, linear sanity check of an SDP from a client, done before the SDP
 * reaches werift: size, line count, line length, m-section count, `v=0` first,
 * the mandatory session lines, well-formed m-lines, and ICE credentials and a
 * DTLS fingerprint for every live m-section (at session level, in the section,
 * or in the tagged section of its BUNDLE group). An offer must also give every
 * section a unique mid and BUNDLE every live one in a single group.
 *
 * The costs it bounds, all werift's (werift 0.25): setRemoteDescription finds
 * each remote m-section's transceiver by scanning every transceiver (O(n²));
 * and without BUNDLE it makes one ICE and DTLS transport per m-section, each
 * of whose candidate and state events re-serialises the whole local
 * description, scans every m-section × transceiver for the candidate's owner
 * (resolveLocalCandidateOwner) and dedups all transports in O(n²)
 * (uniqueTransports): O(n³) in all, 5.7 s for 400 audio sections and over a
 * minute for 1,000, on the worker's only thread. Capping the sections keeps n
 * tiny; requiring one BUNDLE group keeps werift to one transport per offer.
 */
export function checkRemoteSdp(sdp: unknown, options: SdpCheckOptions): SdpCheck {
  const what = options.kind;
  const maxBytes = options.maxBytes ?? MAX_SDP_BYTES;
  const maxSections = options.maxMediaSections ?? (what === 'offer' ? MAX_PUBLISH_MEDIA_SECTIONS : MAX_ANSWER_MEDIA_SECTIONS);
  const fail = (reason: string): SdpCheck => ({ ok: false, reason });
  if (typeof sdp !== 'string') return fail(`the ${what} is not a string`);
  // A UTF-8 byte is at most one UTF-16 unit: the cheap length test first, so byteLength only ever sees a bounded string.
  if (sdp.length > maxBytes || Buffer.byteLength(sdp) > maxBytes) return fail(`the ${what} is larger than ${maxBytes} bytes`);
  if (!sdp.startsWith('v=0')) return fail('an SDP starts with "v=0"');

  const session = { ufrag: false, pwd: false, fingerprint: false, o: false, s: false, t: false };
  const sections: SectionFacts[] = [];
  const mids = new Set<string>();
  const bundles: string[][] = [];
  let current: SectionFacts | undefined;
  let lineNo = 0;
  let blankAt = 0;
  for (let pos = 0; pos < sdp.length; ) {
    const newline = sdp.indexOf('\n', pos);
    const end = newline < 0 ? sdp.length : newline;
    // Checked before slicing: a huge line is refused without being copied.
    if (end - pos > MAX_SDP_LINE_LENGTH + 1) return fail(`line ${lineNo + 1} is longer than ${MAX_SDP_LINE_LENGTH} characters`);
    let line = sdp.slice(pos, end);
    pos = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    lineNo++;
    if (lineNo > MAX_SDP_LINES) return fail(`the ${what} has more than ${MAX_SDP_LINES} lines`);
    if (line.length > MAX_SDP_LINE_LENGTH) return fail(`line ${lineNo} is longer than ${MAX_SDP_LINE_LENGTH} characters`);
    if (line === '') {
      blankAt ||= lineNo;
      continue;
    }
    if (blankAt) return fail(`line ${blankAt} is empty`);
    if (lineNo === 1) {
      if (line !== 'v=0') return fail('an SDP starts with "v=0"');
      continue;
    }
    if (line[1] !== '=' || !SDP_LINE_TYPES.has(line[0]!)) return fail(`line ${lineNo} is not an SDP line ("<type>=<value>")`);
    if (CONTROL_CHARS.test(line)) return fail(`line ${lineNo} contains control characters`);
    const type = line[0];
    const value = line.slice(2);
    if (type === 'v') return fail(`line ${lineNo}: a second "v=" line`);
    if (type === 'm') {
      if (sections.length >= maxSections) {
        return fail(`the ${what} has more than ${maxSections} media sections (m-lines)`);
      }
      const fields = value.split(' ');
      const [kind, port, proto, ...formats] = fields;
      const portMatch = PORT.exec(port ?? '');
      if (!MEDIA_KINDS.has(kind!)) return fail(`line ${lineNo}: media kind "${kind!.slice(0, 16)}" is not audio, video or application`);
      if (!portMatch || Number(portMatch[1]) > 65535) return fail(`line ${lineNo}: the m-line's port is not a port number`);
      if (!proto || !PROTO.test(proto)) return fail(`line ${lineNo}: the m-line has no transport protocol`);
      if (formats.length === 0) return fail(`line ${lineNo}: the m-line lists no formats`);
      const rtp = kind !== 'application';
      for (const format of formats) {
        if (rtp ? !RTP_PAYLOAD_TYPE.test(format) || Number(format) > 127 : !FORMAT.test(format)) {
          return fail(`line ${lineNo}: "${format.slice(0, 16)}" is not a ${rtp ? 'payload type (0-127)' : 'format'}`);
        }
      }
      current = { line: lineNo, port: Number(portMatch[1]), mid: null, bundleOnly: false, ufrag: false, pwd: false, fingerprint: false };
      sections.push(current);
      continue;
    }
    if (!current) {
      if (type === 'o') session.o = true;
      else if (type === 's') session.s = true;
      else if (type === 't') session.t = true;
    }
    if (type !== 'a') continue;
    const colon = value.indexOf(':');
    const name = colon < 0 ? value : value.slice(0, colon);
    const arg = colon < 0 ? '' : value.slice(colon + 1);
    const facts = current ?? session;
    switch (name) {
      case 'ice-ufrag':
        if (!ICE_UFRAG.test(arg)) return fail(`line ${lineNo}: a=ice-ufrag must be 4-256 ICE characters`);
        facts.ufrag = true;
        break;
      case 'ice-pwd':
        if (!ICE_PWD.test(arg)) return fail(`line ${lineNo}: a=ice-pwd must be 22-256 ICE characters`);
        facts.pwd = true;
        break;
      case 'fingerprint':
        if (!FINGERPRINT.test(arg)) return fail(`line ${lineNo}: a=fingerprint must be "<hash> <hex:hex:...>"`);
        facts.fingerprint = true;
        break;
      case 'mid':
        if (!current) break;
        if (!MID.test(arg)) return fail(`line ${lineNo}: a=mid must be 1-32 printable characters`);
        if (current.mid !== null) return fail(`line ${lineNo}: a second a=mid in one media section`);
        if (mids.has(arg)) return fail(`line ${lineNo}: mid "${arg}" is used twice`);
        mids.add(arg);
        current.mid = arg;
        break;
      case 'bundle-only':
        if (current) current.bundleOnly = true;
        break;
      case 'group':
        if (!current && (arg === 'BUNDLE' || arg.startsWith('BUNDLE '))) bundles.push(arg.slice(7).split(' ').filter(Boolean));
        break;
    }
  }

  if (!session.o || !session.s || !session.t) return fail(`the ${what} lacks one of the mandatory "o=", "s=" and "t=" lines`);
  if (sections.length === 0) return fail(`the ${what} has no media sections (m-lines)`);

  const live = (s: SectionFacts) => s.port !== 0 || s.bundleOnly;
  const groupOf = new Map<string, string[]>();
  for (const group of bundles) {
    for (const mid of group) {
      if (!mids.has(mid)) return fail(`the BUNDLE group names mid "${mid.slice(0, 32)}", which no media section has`);
      if (groupOf.has(mid)) return fail(`mid "${mid}" is named twice in BUNDLE groups`);
      groupOf.set(mid, group);
    }
  }
  if (what === 'offer') {
    if (bundles.length > 1) return fail('the offer has more than one BUNDLE group; the SFU needs all media on one transport');
    for (const [i, s] of sections.entries()) {
      if (s.mid === null) return fail(`media section ${i + 1} (line ${s.line}) has no a=mid`);
      if (live(s) && !groupOf.has(s.mid)) return fail(`media section ${i + 1} (mid "${s.mid}") is not in the BUNDLE group; the SFU needs all media on one transport`);
    }
  }
  // Transport attributes: the section's own, the session's, or those of its BUNDLE group's tagged (first) section.
  const byMid = new Map<string, SectionFacts>();
  for (const s of sections) if (s.mid !== null) byMid.set(s.mid, s);
  for (const [i, s] of sections.entries()) {
    if (!live(s)) continue;
    const tag = s.mid !== null ? byMid.get(groupOf.get(s.mid)?.[0] ?? '') : undefined;
    for (const [attribute, key] of [['ice-ufrag', 'ufrag'], ['ice-pwd', 'pwd'], ['fingerprint', 'fingerprint']] as const) {
      if (!s[key] && !session[key] && !tag?.[key]) return fail(`media section ${i + 1} (line ${s.line}) has no a=${attribute}, nor has the session`);
    }
  }
  return { ok: true, mediaSections: sections.length };
}
