import * as encoding from 'lib0/encoding';

/**
 * Hand-made Yjs v1 updates for bound tests: every number in them (counts,
 * clients, clocks, lengths) can be set to anything, which Yjs's own encoder
 * never does.
 */

export type TestId = [client: number, clock: number];

export type TestStruct =
  | { kind: 'gc'; length: number }
  | { kind: 'skip'; length: number }
  | {
      kind: 'item';
      origin?: TestId;
      rightOrigin?: TestId;
      /** Root name, or the id of the map item holding it; ignored when an origin is given (as in Yjs). */
      parent?: string | TestId;
      key?: string;
      content: { deleted: number } | { map: true } | { typeRef: number } | { values: unknown[]; count?: number } | { ref: number; raw: number[] };
    };

export interface TestSection {
  client: number;
  clock: number;
  structs: TestStruct[];
  /** Claimed struct count, when it should differ from `structs.length`. */
  count?: number;
}

export interface TestUpdate {
  sections: TestSection[];
  deletes?: { client: number; ranges: [clock: number, length: number][]; count?: number }[];
  /** Claimed section count, when it should differ. */
  count?: number;
  deleteCount?: number;
}

export function varuint(n: number): number[] {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, n);
  return [...encoding.toUint8Array(e)];
}

export function encodeTestUpdate(update: TestUpdate): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, update.count ?? update.sections.length);
  for (const section of update.sections) {
    encoding.writeVarUint(e, section.count ?? section.structs.length);
    encoding.writeVarUint(e, section.client);
    encoding.writeVarUint(e, section.clock);
    for (const struct of section.structs) {
      if (struct.kind === 'gc') {
        encoding.writeUint8(e, 0);
        encoding.writeVarUint(e, struct.length);
        continue;
      }
      if (struct.kind === 'skip') {
        encoding.writeUint8(e, 10);
        encoding.writeVarUint(e, struct.length);
        continue;
      }
      const c = struct.content;
      const ref = 'deleted' in c ? 1 : 'map' in c || 'typeRef' in c ? 7 : 'values' in c ? 8 : c.ref;
      const info = (ref & 0b11111) | (struct.origin ? 0x80 : 0) | (struct.rightOrigin ? 0x40 : 0) | (struct.key !== undefined ? 0x20 : 0);
      encoding.writeUint8(e, info);
      if (struct.origin) {
        encoding.writeVarUint(e, struct.origin[0]);
        encoding.writeVarUint(e, struct.origin[1]);
      }
      if (struct.rightOrigin) {
        encoding.writeVarUint(e, struct.rightOrigin[0]);
        encoding.writeVarUint(e, struct.rightOrigin[1]);
      }
      if (!struct.origin && !struct.rightOrigin) {
        if (typeof struct.parent === 'string' || struct.parent === undefined) {
          encoding.writeVarUint(e, 1);
          encoding.writeVarString(e, struct.parent ?? 'objects');
        } else {
          encoding.writeVarUint(e, 0);
          encoding.writeVarUint(e, struct.parent[0]);
          encoding.writeVarUint(e, struct.parent[1]);
        }
        if (struct.key !== undefined) encoding.writeVarString(e, struct.key);
      }
      if ('deleted' in c) encoding.writeVarUint(e, c.deleted);
      else if ('map' in c) encoding.writeVarUint(e, 1);
      else if ('typeRef' in c) encoding.writeVarUint(e, c.typeRef);
      else if ('values' in c) {
        encoding.writeVarUint(e, c.count ?? c.values.length);
        for (const value of c.values) encoding.writeAny(e, value as never);
      } else for (const byte of c.raw) encoding.writeUint8(e, byte);
    }
  }
  const deletes = update.deletes ?? [];
  encoding.writeVarUint(e, update.deleteCount ?? deletes.length);
  for (const d of deletes) {
    encoding.writeVarUint(e, d.client);
    encoding.writeVarUint(e, d.count ?? d.ranges.length);
    for (const [clock, length] of d.ranges) {
      encoding.writeVarUint(e, clock);
      encoding.writeVarUint(e, length);
    }
  }
  return encoding.toUint8Array(e);
}

/** The security report's probe: one deleted-item struct in `objects` under key "k", claiming `claimed` items. */
export function deletedRunProbe(client: number, claimed: number): Uint8Array {
  const bytes = [1, 1, ...varuint(client), 0, 0x21, 1, 7, ...Buffer.from('objects'), 1, ...Buffer.from('k'), ...varuint(claimed), 0];
  return new Uint8Array(bytes);
}

/** The shared seeded PRNG, so that a failing fuzz run can be repeated from its seed. */
export { mulberry32 as prng } from '@muster/kit/testing';
