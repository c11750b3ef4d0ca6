import * as Y from 'yjs';
import { MAX_OBJECTS_PER_BOARD, MAX_PAGES_PER_BOARD, OBJECT_FIELDS, PageIdSchema } from '../protocol.ts';
import { ROOT_OBJECTS, ROOT_PAGES } from './BoardDoc.ts';
import { UpdateBoundError, scanUpdate, type ScannedId, type ScannedSection, type ScannedStruct } from './scanUpdate.ts';

/**
 * Checks a client's Yjs update against the board's shape before the server
 * applies it, without applying it: a refused update must leave the document
 * untouched, and Yjs cannot take an applied change back.
 *
 * The update is first read by `scanUpdate`, which bounds every count, length
 * and clock in it (see there); nothing here loops over a claimed length: items
 * are found by binary search over the update's struct ranges, so a run of a
 * million deleted items costs what one struct costs.
 *
 * Every inserted item is placed: either as an entry of a root map (`objects`
 * or `pages`, whose values must be nested maps), or as a field of such a nested
 * map, whose value is checked against that field's schema. An item that
 * continues a key (an overwrite) carries no parent on the wire, only its
 * origin; the origin is then looked up in this update or in the document.
 *
 * Updates that depend on state the server does not have are refused, because
 * Yjs would keep them pending in memory forever and retry them on every later
 * update: a struct after a gap, a reference (origin, right origin, parent) to
 * a clock nobody has, references that go round in a circle within the update,
 * and deletions of clocks the server does not have. So whatever passes is
 * integrated by `Y.applyUpdate` at once, in full.
 */
export type UpdateVerdict =
  | {
      ok: true;
      newObjects: number;
      /** Structs the update carries: 0 for an update that only deletes. */
      structs: number;
    }
  | { ok: false; reason: string };

interface Placement {
  /** Root map the item is an entry of, or the root of the nested map it is a field of. */
  root: string;
  /** The entry's key (object or page id), or the field name. */
  key: string;
  /** True when the item is a field inside an object or page map. */
  nested: boolean;
}

/** The struct of this update that covers `id`, by binary search over its client's section. */
function findStruct(sections: Map<number, ScannedSection>, id: ScannedId): ScannedStruct | null {
  const section = sections.get(id.client);
  if (!section || id.clock < section.clock || id.clock >= section.end) return null;
  const structs = section.structs;
  let low = 0;
  let high = structs.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const struct = structs[mid]!;
    if (id.clock < struct.clock) high = mid - 1;
    else if (id.clock >= struct.clock + struct.length) low = mid + 1;
    else return struct;
  }
  return null;
}

function referencesOf(struct: ScannedStruct): ScannedId[] {
  const refs: ScannedId[] = [];
  if (struct.origin) refs.push(struct.origin);
  if (struct.rightOrigin) refs.push(struct.rightOrigin);
  if (struct.parent && 'id' in struct.parent) refs.push(struct.parent.id);
  return refs;
}

export function validateUpdate(doc: Y.Doc, update: Uint8Array): UpdateVerdict {
  let scanned: ReturnType<typeof scanUpdate>;
  try {
    scanned = scanUpdate(update);
  } catch (error) {
    if (error instanceof UpdateBoundError) return { ok: false, reason: `not a board update: ${error.message}` };
    return { ok: false, reason: 'not a Yjs update' };
  }
  const store = doc.store;
  const sections = new Map<number, ScannedSection>();
  for (const section of scanned.sections) {
    // A section may overlap what the server has (a resend), but must not leave a gap.
    if (section.clock > Y.getState(store, section.client)) return { ok: false, reason: 'update depends on changes the server does not have' };
    sections.set(section.client, section);
  }
  /** Whether the server has this clock already, before the update. */
  const known = (id: ScannedId) => id.clock < Y.getState(store, id.client);

  // References: to the document, to an earlier struct of the same client, or
  // to another client's struct in this update (an edge Yjs resolves by
  // integrating that one first; the edges must not form a cycle).
  const order: ScannedStruct[] = [];
  const index = new Map<ScannedStruct, number>();
  for (const section of scanned.sections) for (const struct of section.structs) index.set(struct, order.push(struct) - 1);
  const edges: number[][] = order.map(() => []);
  for (const struct of order) {
    if (struct.kind !== 'item') continue;
    for (const ref of referencesOf(struct)) {
      if (ref.client === struct.client) {
        // Yjs takes these as present: they must come before the struct itself.
        if (ref.clock >= struct.clock) return { ok: false, reason: 'an item refers to itself or to a later item' };
        continue;
      }
      if (known(ref)) continue;
      const target = findStruct(sections, ref);
      if (!target) return { ok: false, reason: 'update depends on changes the server does not have' };
      edges[index.get(struct)!]!.push(index.get(target)!);
    }
  }
  if (hasCycle(scanned.sections, order, index, edges)) return { ok: false, reason: 'update items depend on each other in a circle' };

  // Deletions: only of clocks the server has, or that this update brings.
  for (const { client, ranges } of scanned.deletes) {
    const limit = Math.max(Y.getState(store, client), sections.get(client)?.end ?? 0);
    if (ranges[ranges.length - 1]!.end > limit) return { ok: false, reason: 'update deletes changes the server does not have' };
  }

  const placements = new Map<ScannedStruct, Placement | null>();
  /** Where an item of this update lives. */
  const place = (item: ScannedStruct, depth = 0): Placement | null => {
    if (placements.has(item)) return placements.get(item)!;
    if (depth > 64) return null;
    let result: Placement | null = null;
    const parent = item.parent;
    if (parent && 'root' in parent) {
      result = item.parentSub !== null ? { root: parent.root, key: item.parentSub, nested: false } : null;
    } else if (parent) {
      const owner = lookup(parent.id, depth + 1);
      result = owner && !owner.nested && item.parentSub !== null ? { root: owner.root, key: item.parentSub, nested: true } : null;
    } else {
      // No parent on the wire: it continues the item it was inserted next to.
      const neighbour = item.origin ?? item.rightOrigin;
      result = neighbour ? lookup(neighbour, depth + 1) : null;
    }
    placements.set(item, result);
    return result;
  };
  /** Where the item with this id lives: in the document (which Yjs prefers for clocks it has), or in this update. */
  const lookup = (id: ScannedId, depth: number): Placement | null => {
    if (known(id)) {
      let existing: Y.AbstractStruct;
      try {
        existing = Y.getItem(store, Y.createID(id.client, id.clock));
      } catch {
        return null;
      }
      return existing instanceof Y.Item ? placementOf(doc, existing) : null;
    }
    const own = findStruct(sections, id);
    return own && own.kind === 'item' ? place(own, depth) : null;
  };

  let newObjects = 0;
  let newPages = 0;
  for (const item of order) {
    if (item.kind !== 'item') continue;
    const placement = place(item);
    if (!placement) return { ok: false, reason: 'update writes outside the board' };
    // Deleted items too: Yjs makes a root type for every root name it reads, and never forgets one.
    if (placement.root !== ROOT_OBJECTS && placement.root !== ROOT_PAGES) return { ok: false, reason: `unknown root "${placement.root.slice(0, 40)}"` };
    const content = item.content!;
    if (content.kind === 'deleted') continue;
    if (!placement.nested) {
      if (content.kind !== 'map') return { ok: false, reason: `${placement.root} entries must be maps` };
      if (!PageIdSchema.safeParse(placement.key).success) return { ok: false, reason: `bad id "${placement.key.slice(0, 40)}"` };
      if (placement.root === ROOT_OBJECTS) newObjects++;
      else newPages++;
      continue;
    }
    if (content.kind !== 'any' || content.values.length !== 1) return { ok: false, reason: `field "${placement.key.slice(0, 40)}" must hold one plain value` };
    const value = content.values[0];
    if (placement.root === ROOT_PAGES) {
      if (placement.key === 'name' ? typeof value === 'string' && value.length <= 80 : placement.key === 'order' ? typeof value === 'number' && Number.isFinite(value) : false) continue;
      return { ok: false, reason: `bad page field "${placement.key.slice(0, 40)}"` };
    }
    const schema = Object.hasOwn(OBJECT_FIELDS, placement.key) && placement.key !== 'id' ? OBJECT_FIELDS[placement.key] : undefined;
    if (!schema) return { ok: false, reason: `unknown object field "${placement.key.slice(0, 40)}"` };
    const parsed = schema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: `bad value for "${placement.key}": ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  }
  // Overwrites of existing entries count too; a rough upper bound is enough to stop runaway growth.
  if (doc.getMap(ROOT_OBJECTS).size + newObjects > MAX_OBJECTS_PER_BOARD + 100) return { ok: false, reason: `a board holds at most ${MAX_OBJECTS_PER_BOARD} objects` };
  if (doc.getMap(ROOT_PAGES).size + newPages > MAX_PAGES_PER_BOARD) return { ok: false, reason: `a board holds at most ${MAX_PAGES_PER_BOARD} pages` };
  return { ok: true, newObjects, structs: scanned.structCount };
}

/**
 * Whether the update's structs depend on each other in a circle: each struct
 * depends on the one before it in its client's section and on the structs of
 * other clients it refers to. Iterative depth-first search, linear in structs
 * and references (at most three per struct).
 */
function hasCycle(sections: ScannedSection[], order: ScannedStruct[], index: Map<ScannedStruct, number>, edges: number[][]): boolean {
  const previous = new Int32Array(order.length).fill(-1);
  for (const section of sections) for (let i = 1; i < section.structs.length; i++) previous[index.get(section.structs[i]!)!] = index.get(section.structs[i - 1]!)!;
  const successors = (node: number): number[] => (previous[node]! >= 0 ? [previous[node]!, ...edges[node]!] : edges[node]!);
  const state = new Uint8Array(order.length); // 0 unvisited, 1 on the stack, 2 done
  for (let start = 0; start < order.length; start++) {
    if (state[start] !== 0) continue;
    const stack: { node: number; next: number[]; at: number }[] = [{ node: start, next: successors(start), at: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.at === top.next.length) {
        state[top.node] = 2;
        stack.pop();
        continue;
      }
      const next = top.next[top.at++]!;
      if (state[next] === 1) return true;
      if (state[next] === 0) {
        state[next] = 1;
        stack.push({ node: next, next: successors(next), at: 0 });
      }
    }
  }
  return false;
}

/** Where an item already integrated into the document lives. */
function placementOf(doc: Y.Doc, item: Y.Item): Placement | null {
  const parent = item.parent;
  if (!(parent instanceof Y.AbstractType) || item.parentSub === null) return null;
  const owner = parent._item;
  if (owner === null) {
    for (const [name, type] of doc.share) if (type === parent) return { root: name, key: item.parentSub, nested: false };
    return null;
  }
  const ownerPlacement = placementOf(doc, owner);
  return ownerPlacement && !ownerPlacement.nested ? { root: ownerPlacement.root, key: item.parentSub, nested: true } : null;
}
