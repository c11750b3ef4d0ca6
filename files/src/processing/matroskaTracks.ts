/**
 * Which kinds of track a WebM/Matroska file declares, read from its first
 * bytes: the Tracks element (EBML id 0x1654AE6B) lists every TrackEntry with
 * its TrackType (1 video, 2 audio). A browser's voice message is a WebM
 * with one audio track; knowing that from the header spares an ffprobe run
 * (a process start, most of a short voice message's cost) before the
 * decode that measures it.
 *
 * Only a sure answer is given: anything unexpected (no Tracks before the
 * first Cluster, a truncated element, a size that runs past the bytes read)
 * is `undefined`, and the caller probes as before.
 */

const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const TRACK_TYPE = 0x83;
const CLUSTER = 0x1f43b675;

export type TrackKind = 'video' | 'audio' | 'other';

interface Element {
  id: number;
  /** Where its content starts. */
  start: number;
  /** Where it ends, or undefined for an unknown size (a live recording's Segment). */
  end: number | undefined;
}

/** The track kinds in `head`, or undefined when the header does not say for sure. */
export function matroskaTrackKinds(head: Uint8Array): Set<TrackKind> | undefined {
  let at = 0;
  const ebml = element(head, at);
  if (!ebml || ebml.id !== EBML || ebml.end === undefined) return undefined;
  at = ebml.end;
  const segment = element(head, at);
  if (!segment || segment.id !== SEGMENT) return undefined;
  at = segment.start;
  const segmentEnd = Math.min(segment.end ?? head.length, head.length);
  while (at < segmentEnd) {
    const child = element(head, at);
    if (!child || child.end === undefined || child.id === CLUSTER) return undefined;
    if (child.id === TRACKS) return child.end <= head.length ? trackKinds(head, child.start, child.end) : undefined;
    at = child.end;
  }
  return undefined;
}

function trackKinds(head: Uint8Array, start: number, end: number): Set<TrackKind> | undefined {
  const kinds = new Set<TrackKind>();
  for (let at = start; at < end; ) {
    const entry = element(head, at);
    if (!entry || entry.end === undefined || entry.end > end) return undefined;
    if (entry.id === TRACK_ENTRY) {
      const type = trackType(head, entry.start, entry.end);
      if (type === undefined) return undefined;
      kinds.add(type === 1 ? 'video' : type === 2 ? 'audio' : 'other');
    }
    at = entry.end;
  }
  return kinds.size > 0 ? kinds : undefined;
}

function trackType(head: Uint8Array, start: number, end: number): number | undefined {
  for (let at = start; at < end; ) {
    const field = element(head, at);
    if (!field || field.end === undefined || field.end > end) return undefined;
    if (field.id === TRACK_TYPE) return field.end - field.start === 1 ? head[field.start] : undefined;
    at = field.end;
  }
  return undefined;
}

/** The element at `at`: its id (with its length marker, as EBML ids are written) and its content's bounds. */
function element(head: Uint8Array, at: number): Element | undefined {
  const id = vint(head, at, 4, true);
  if (!id || id.value === undefined) return undefined;
  const size = vint(head, at + id.length, 8, false);
  if (!size) return undefined;
  const start = at + id.length + size.length;
  return { id: id.value, start, end: size.value === undefined ? undefined : start + size.value };
}

/** An EBML variable-length integer; `undefined` value: "unknown size" (all value bits set). */
function vint(head: Uint8Array, at: number, maxLength: number, keepMarker: boolean): { value: number | undefined; length: number } | undefined {
  const first = head[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (length > maxLength || at + length > head.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    const byte = head[at + i]!;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value: !keepMarker && allOnes ? undefined : value, length };
}
