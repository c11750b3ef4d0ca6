/**
 * Just enough of an EXIF (TIFF) reader to answer two questions about a
 * photo: does it say where it was taken (a GPS IFD), and which harmless
 * descriptive tags are worth carrying over when the location is removed.
 * Every offset is bounds-checked: the bytes come from an uploader.
 */

export interface ExifSummary {
  /** A GPS IFD is present (or the EXIF could not be parsed, so it cannot be ruled out). */
  hasGps: boolean;
  make?: string;
  model?: string;
  /** "YYYY:MM:DD HH:MM:SS", as EXIF writes it. */
  dateTimeOriginal?: string;
}

const TAG_MAKE = 0x010f;
const TAG_MODEL = 0x0110;
const TAG_EXIF_IFD = 0x8769;
const TAG_GPS_IFD = 0x8825;
const TAG_DATE_TIME_ORIGINAL = 0x9003;
const TYPE_ASCII = 2;
const TYPE_LONG = 4;
const MAX_ENTRIES = 1000;

/** `exif`: sharp's `metadata().exif` (with or without the "Exif\0\0" prefix). */
export function readExif(exif: Buffer): ExifSummary {
  try {
    return parse(exif);
  } catch {
    // Unreadable EXIF may still hide a location: assume it does, so it is removed.
    return { hasGps: true };
  }
}

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Where the 4-byte value field sits (the value itself when it fits, else an offset). */
  at: number;
}

function parse(raw: Buffer): ExifSummary {
  const tiff = raw.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? raw.subarray(6) : raw;
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') throw new Error('not TIFF');
  const little = order === 'II';
  const u16 = (at: number) => {
    if (at < 0 || at + 2 > tiff.length) throw new RangeError('outside EXIF');
    return little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at);
  };
  const u32 = (at: number) => {
    if (at < 0 || at + 4 > tiff.length) throw new RangeError('outside EXIF');
    return little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at);
  };
  if (u16(2) !== 42) throw new Error('not TIFF');

  const entries = (offset: number): Entry[] => {
    const count = u16(offset);
    if (count > MAX_ENTRIES) throw new Error('implausible IFD');
    const out: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const at = offset + 2 + i * 12;
      out.push({ tag: u16(at), type: u16(at + 2), count: u32(at + 4), at: at + 8 });
    }
    return out;
  };
  const ascii = (entry: Entry | undefined): string | undefined => {
    if (!entry || entry.type !== TYPE_ASCII || entry.count === 0 || entry.count > 256) return undefined;
    const start = entry.count <= 4 ? entry.at : u32(entry.at);
    if (start + entry.count > tiff.length) return undefined;
    const text = tiff.subarray(start, start + entry.count).toString('latin1').replace(/\0+$/, '').trim();
    // Only printable text is carried over.
    return text && /^[\x20-\x7e]+$/.test(text) ? text : undefined;
  };
  const pointer = (entry: Entry | undefined) => (entry && (entry.type === TYPE_LONG || entry.type === 13) ? u32(entry.at) : undefined);

  const ifd0 = entries(u32(4));
  const byTag = (list: Entry[], tag: number) => list.find((e) => e.tag === tag);
  const gps = byTag(ifd0, TAG_GPS_IFD);
  let hasGps = false;
  if (gps) {
    const gpsOffset = pointer(gps);
    // A pointer we cannot follow counts as a location: the answer must err on the side of removing it.
    hasGps = gpsOffset === undefined || entries(gpsOffset).length > 0;
  }
  const exifOffset = pointer(byTag(ifd0, TAG_EXIF_IFD));
  let dateTimeOriginal: string | undefined;
  if (exifOffset !== undefined) {
    try {
      dateTimeOriginal = ascii(byTag(entries(exifOffset), TAG_DATE_TIME_ORIGINAL));
    } catch {
      // A broken Exif IFD only costs the date.
    }
  }
  return { hasGps, make: ascii(byTag(ifd0, TAG_MAKE)), model: ascii(byTag(ifd0, TAG_MODEL)), dateTimeOriginal };
}
