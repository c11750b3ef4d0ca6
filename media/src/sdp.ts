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
