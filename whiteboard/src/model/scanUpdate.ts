import * as decoding from 'lib0/decoding';

/**
 * A bounded reading of a Yjs (v1) update, done before Yjs sees it.
 *
 * Why our own walk rather than `Y.decodeUpdate`: Yjs trusts the numbers in an
 * update. A struct claiming 17 million deleted items is 22 bytes on the wire,
 * and any code that loops over claimed lengths (ours did) or allocates per
 * claimed count (`new Array(numberOfStructs)` in Yjs, one `Doc` per
 * `ContentDoc`, pending structs and pending delete sets kept forever, unbounded
 * `readAny` recursion) does work a client chose for free. This walk reads the
 * same format with lib0's primitives, the way Yjs's own `readClientsStructRefs`
 * and `readAndApplyDeleteSet` read it (the path `Y.applyUpdate` takes), and
 * checks every number read from the input against a bound before it is used:
 *
 * - every count (clients, structs, values, keys, delete ranges) is at most the
 *   bytes left (each counted thing takes at least one byte) and at most its
 *   constant below, so no loop runs longer than the input is long;
 * - every length and clock is a safe integer within `MAX_CLOCK`, and the sum of
 *   struct lengths (the items an update may create, in Yjs's counting) is at
 *   most `MAX_UPDATE_ITEMS`; nothing is ever done per claimed item;
 * - only the struct and content kinds a board uses are accepted (GC, deleted,
 *   plain values, maps), so Yjs never builds texts, XML, embedded documents or
 *   binary content from a client, and never sees a Skip;
 * - plain values nest at most `MAX_VALUE_DEPTH` deep, and strings and keys are
 *   length-checked before they are read;
 * - the update is read to its last byte (no trailing data Yjs would ignore).
 *
 * The result is a plain description (ids as numbers, values decoded) that
 * `validateUpdate` checks against the document. The input must be an exactly
 * sized copy (its own ArrayBuffer): lib0 reads strings and floats through views
 * of the underlying buffer, which for a pooled Buffer extends past the update.
 */

/** Client ids are random uint32 in Yjs. */
export const MAX_CLIENT_ID = 0xffff_ffff;
/** Far above what any real client reaches (one per edit), far below where arithmetic loses precision. */
export const MAX_CLOCK = 2 ** 40;
/** Distinct clients in one update (struct sections or delete-set sections). */
export const MAX_UPDATE_CLIENTS = 1_024;
/** Structs in one update: the objects Yjs allocates for it. */
export const MAX_UPDATE_STRUCTS = 50_000;
/**
 * Items one update may create, in Yjs's counting (the sum of struct lengths: a
 * run of deleted items counts each one). A reconnecting client with a long
 * offline session sends mostly such runs; a million edits is hours of drawing.
 */
export const MAX_UPDATE_ITEMS = 1_000_000;
/** Delete ranges in one update (sorted, disjoint, per client). */
export const MAX_DELETE_RANGES = 50_000;
/** Root names and map keys (object ids, page ids and field names are at most 40 characters). */
export const MAX_KEY_BYTES = 256;
/** Nesting of plain values: board fields are numbers, strings, arrays of numbers and one flat object. */
export const MAX_VALUE_DEPTH = 8;
/** Entries in a state vector (`board.join`): client ids that ever wrote to a board. */
export const MAX_STATE_VECTOR_CLIENTS = 50_000;

export class UpdateBoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpdateBoundError';
  }
}

export interface ScannedId {
  client: number;
  clock: number;
}

export type ScannedContent = { kind: 'deleted' } | { kind: 'map' } | { kind: 'any'; values: unknown[] };

export interface ScannedStruct {
  client: number;
  clock: number;
  /** Clocks it covers: [clock, clock + length). */
  length: number;
  kind: 'gc' | 'item';
  origin: ScannedId | null;
  rightOrigin: ScannedId | null;
  /** A root type by name, a nested type by the id of the item holding it, or none (it continues its origin's parent). */
  parent: { root: string } | { id: ScannedId } | null;
  parentSub: string | null;
  /** Null for GC structs. */
  content: ScannedContent | null;
}

export interface ScannedSection {
  client: number;
  /** First clock and end (exclusive) of the section's structs. */
  clock: number;
  end: number;
  /** In clock order, contiguous. */
  structs: ScannedStruct[];
}

export interface ScannedDeletes {
  client: number;
  /** Sorted, disjoint, non-empty ranges [clock, end). */
  ranges: { clock: number; end: number }[];
}

export interface ScannedUpdate {
  sections: ScannedSection[];
  deletes: ScannedDeletes[];
  structCount: number;
  /** Sum of struct lengths. */
  items: number;
}

// Yjs's struct info byte (see yjs/src/utils/encoding.js).
const BITS5 = 0b11111;
const BIT6 = 0b10_0000; // parentSub present
const BIT7 = 0b100_0000; // right origin present
const BIT8 = 0b1000_0000; // origin present
const CONTENT_DELETED = 1;
const CONTENT_TYPE = 7;
const CONTENT_ANY = 8;
const STRUCT_SKIP = 10;
/** `typeRefs` index of YMap. */
const TYPE_REF_MAP = 1;

function fail(message: string): never {
  throw new UpdateBoundError(message);
}

function left(decoder: decoding.Decoder): number {
  return decoder.arr.length - decoder.pos;
}

/** A varuint that must be a safe integer no greater than `max`. */
function readUint(decoder: decoding.Decoder, max: number, what: string): number {
  if (left(decoder) <= 0) fail(`truncated at ${what}`);
  let value: number;
  try {
    value = decoding.readVarUint(decoder);
  } catch {
    fail(`bad number at ${what}`);
  }
  if (!Number.isSafeInteger(value) || value > max) fail(`${what} out of range`);
  return value;
}

/** A count of things that each take at least `minBytes` bytes: bounded by what is left as well as by `max`. */
function readCount(decoder: decoding.Decoder, max: number, minBytes: number, what: string): number {
  const count = readUint(decoder, max, what);
  if (count * minBytes > left(decoder)) fail(`${what} claims more than the update holds`);
  return count;
}

/** A length-prefixed UTF-8 string of at most `maxBytes`, read by lib0 as Yjs reads it. */
function readString(decoder: decoding.Decoder, maxBytes: number, what: string): string {
  const start = decoder.pos;
  const length = readUint(decoder, maxBytes, `${what} length`);
  if (length > left(decoder)) fail(`${what} runs past the end`);
  decoder.pos = start;
  try {
    return decoding.readVarString(decoder);
  } catch {
    fail(`${what} is not UTF-8`);
  }
}

function readId(decoder: decoding.Decoder, what: string): ScannedId {
  const client = readUint(decoder, MAX_CLIENT_ID, `${what} client`);
  const clock = readUint(decoder, MAX_CLOCK, `${what} clock`);
  return { client, clock };
}

/**
 * lib0's `readAny`, bounded: counts by the bytes left, nesting by
 * `MAX_VALUE_DEPTH`, fixed-size numbers by the bytes left. Same encoding, so
 * the value is the one Yjs will decode.
 */
function readValue(decoder: decoding.Decoder, depth: number): unknown {
  if (depth > MAX_VALUE_DEPTH) fail(`values nest at most ${MAX_VALUE_DEPTH} deep`);
  if (left(decoder) <= 0) fail('truncated value');
  const tag = decoding.readUint8(decoder);
  const need = (bytes: number) => {
    if (left(decoder) < bytes) fail('truncated number');
  };
  switch (tag) {
    case 127:
      return undefined;
    case 126:
      return null;
    case 125: {
      if (left(decoder) <= 0) fail('truncated integer');
      let value: number;
      try {
        value = decoding.readVarInt(decoder);
      } catch {
        fail('bad integer');
      }
      if (!Number.isSafeInteger(value)) fail('integer out of range');
      return value;
    }
    case 124:
      need(4);
      return decoding.readFloat32(decoder);
    case 123:
      need(8);
      return decoding.readFloat64(decoder);
    case 122:
      need(8);
      return decoding.readBigInt64(decoder);
    case 121:
      return false;
    case 120:
      return true;
    case 119:
      return readString(decoder, left(decoder), 'string value');
    case 118: {
      // Each entry is at least a key length byte and a value tag.
      const count = readCount(decoder, Number.MAX_SAFE_INTEGER, 2, 'object size');
      const object: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const key = readString(decoder, MAX_KEY_BYTES, 'object key');
        if (key === '__proto__') fail('object key "__proto__"');
        object[key] = readValue(decoder, depth + 1);
      }
      return object;
    }
    case 117: {
      const count = readCount(decoder, Number.MAX_SAFE_INTEGER, 1, 'array length');
      const array: unknown[] = [];
      for (let i = 0; i < count; i++) array.push(readValue(decoder, depth + 1));
      return array;
    }
    case 116: {
      const length = readUint(decoder, Number.MAX_SAFE_INTEGER, 'binary length');
      if (length > left(decoder)) fail('binary runs past the end');
      return decoding.readUint8Array(decoder, length).slice();
    }
    default:
      fail(`unknown value type ${tag}`);
  }
}

function readContent(decoder: decoding.Decoder, ref: number): { content: ScannedContent; length: number } {
  switch (ref) {
    case CONTENT_DELETED: {
      const length = readUint(decoder, MAX_UPDATE_ITEMS, 'deleted length');
      if (length < 1) fail('empty deleted run');
      return { content: { kind: 'deleted' }, length };
    }
    case CONTENT_TYPE: {
      const typeRef = readUint(decoder, 255, 'type');
      if (typeRef !== TYPE_REF_MAP) fail('boards hold maps only');
      return { content: { kind: 'map' }, length: 1 };
    }
    case CONTENT_ANY: {
      const count = readCount(decoder, MAX_UPDATE_ITEMS, 1, 'value count');
      if (count < 1) fail('empty value list');
      const values: unknown[] = [];
      for (let i = 0; i < count; i++) values.push(readValue(decoder, 1));
      return { content: { kind: 'any', values }, length: count };
    }
    default:
      // Strings, binary, JSON, embeds, formats, sub-documents: never written by a board client.
      fail(`content type ${ref} is not used by boards`);
  }
}

/**
 * Reads a whole v1 update within the bounds above, or throws
 * `UpdateBoundError`. Work and memory are linear in `update.byteLength`.
 */
export function scanUpdate(update: Uint8Array): ScannedUpdate {
  const decoder = decoding.createDecoder(update);
  const sections: ScannedSection[] = [];
  const seen = new Set<number>();
  let structCount = 0;
  let items = 0;

  // Every struct takes at least two bytes (info and a length, type or count).
  const clientCount = readCount(decoder, MAX_UPDATE_CLIENTS, 4, 'client count');
  for (let c = 0; c < clientCount; c++) {
    const structTotal = readCount(decoder, MAX_UPDATE_STRUCTS, 2, 'struct count');
    if (structTotal < 1) fail('empty client section');
    structCount += structTotal;
    if (structCount > MAX_UPDATE_STRUCTS) fail(`an update holds at most ${MAX_UPDATE_STRUCTS} structs`);
    const client = readUint(decoder, MAX_CLIENT_ID, 'client id');
    if (seen.has(client)) fail('client listed twice');
    seen.add(client);
    const first = readUint(decoder, MAX_CLOCK, 'clock');
    let clock = first;
    const structs: ScannedStruct[] = [];
    for (let i = 0; i < structTotal; i++) {
      if (left(decoder) <= 0) fail('truncated struct');
      const info = decoding.readUint8(decoder);
      const ref = info & BITS5;
      let struct: ScannedStruct;
      if (ref === 0) {
        // Yjs writes GC structs with info 0; other bits would be ignored.
        if (info !== 0) fail('bad GC struct');
        const length = readUint(decoder, MAX_UPDATE_ITEMS, 'GC length');
        if (length < 1) fail('empty GC struct');
        struct = { client, clock, length, kind: 'gc', origin: null, rightOrigin: null, parent: null, parentSub: null, content: null };
      } else if (ref === STRUCT_SKIP) {
        fail('update has gaps (skip struct)');
      } else {
        const origin = info & BIT8 ? readId(decoder, 'origin') : null;
        const rightOrigin = info & BIT7 ? readId(decoder, 'right origin') : null;
        const cantCopyParentInfo = (info & (BIT7 | BIT8)) === 0;
        let parent: ScannedStruct['parent'] = null;
        let parentSub: string | null = null;
        if (cantCopyParentInfo) {
          const parentInfo = readUint(decoder, 1, 'parent info');
          parent = parentInfo === 1 ? { root: readString(decoder, MAX_KEY_BYTES, 'root name') } : { id: readId(decoder, 'parent') };
          if (info & BIT6) parentSub = readString(decoder, MAX_KEY_BYTES, 'key');
        }
        const { content, length } = readContent(decoder, ref);
        struct = { client, clock, length, kind: 'item', origin, rightOrigin, parent, parentSub, content };
      }
      items += struct.length;
      if (items > MAX_UPDATE_ITEMS) fail(`an update creates at most ${MAX_UPDATE_ITEMS} items`);
      clock += struct.length;
      if (clock > MAX_CLOCK) fail('clock out of range');
      structs.push(struct);
    }
    sections.push({ client, clock: first, end: clock, structs });
  }

  // The delete set: per client, sorted disjoint ranges (as Yjs writes them).
  const deletes: ScannedDeletes[] = [];
  const deleteClients = new Set<number>();
  let rangeTotal = 0;
  const dsClients = readCount(decoder, MAX_UPDATE_CLIENTS, 2, 'delete-set client count');
  for (let c = 0; c < dsClients; c++) {
    const client = readUint(decoder, MAX_CLIENT_ID, 'delete-set client');
    if (deleteClients.has(client)) fail('delete-set client listed twice');
    deleteClients.add(client);
    const count = readCount(decoder, MAX_DELETE_RANGES, 2, 'delete range count');
    rangeTotal += count;
    if (rangeTotal > MAX_DELETE_RANGES) fail(`an update deletes at most ${MAX_DELETE_RANGES} ranges`);
    const ranges: { clock: number; end: number }[] = [];
    let previousEnd = 0;
    for (let i = 0; i < count; i++) {
      const clock = readUint(decoder, MAX_CLOCK, 'delete clock');
      const length = readUint(decoder, MAX_CLOCK, 'delete length');
      if (length < 1) fail('empty delete range');
      const end = clock + length;
      if (end > MAX_CLOCK) fail('delete range out of range');
      if (i > 0 && clock < previousEnd) fail('delete ranges overlap or are out of order');
      previousEnd = end;
      ranges.push({ clock, end });
    }
    if (ranges.length > 0) deletes.push({ client, ranges });
  }
  if (decoding.hasContent(decoder)) fail('trailing bytes after the update');
  return { sections, deletes, structCount, items };
}

/**
 * Reads a state vector (count, then client id and clock per entry) within
 * bounds and to its last byte, so that `Y.encodeStateAsUpdate` may use it.
 */
export function scanStateVector(vector: Uint8Array): Map<number, number> {
  const decoder = decoding.createDecoder(vector);
  const count = readCount(decoder, MAX_STATE_VECTOR_CLIENTS, 2, 'state vector size');
  const entries = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const client = readUint(decoder, MAX_CLIENT_ID, 'state vector client');
    const clock = readUint(decoder, MAX_CLOCK, 'state vector clock');
    if (entries.has(client)) fail('state vector lists a client twice');
    entries.set(client, clock);
  }
  if (decoding.hasContent(decoder)) fail('trailing bytes after the state vector');
  return entries;
}
