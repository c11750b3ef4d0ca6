import * as Y from 'yjs';
import { MAX_OBJECTS_PER_BOARD, MAX_PAGES_PER_BOARD, OBJECT_FIELDS, PageIdSchema } from '../protocol.ts';
import { ROOT_OBJECTS, ROOT_PAGES } from './BoardDoc.ts';

/**
 * Checks a client's Yjs update against the board's shape before the server
 * applies it, without applying it: a refused update must leave the document
 * untouched, and Yjs cannot take an applied change back.
 *
 * Every inserted item is placed: either as an entry of a root map (`objects`
 * or `pages`, whose values must be nested maps), or as a field of such a nested
 * map, whose value is checked against that field's schema. An item that
 * continues a key (an overwrite) carries no parent on the wire, only its
 * origin; the origin is then looked up in this update or in the document.
 * Updates that depend on state the server does not have are refused too,
 * because Yjs would keep them pending in memory forever.
 */
export type UpdateVerdict = { ok: true; newObjects: number } | { ok: false; reason: string };

interface Placement {
  /** Root map the item is an entry of, or the root of the nested map it is a field of. */
  root: string;
  /** The entry's key (object or page id), or the field name. */
  key: string;
  /** True when the item is a field inside an object or page map. */
  nested: boolean;
}

const idKey = (id: Y.ID) => `${id.client}:${id.clock}`;

export function validateUpdate(doc: Y.Doc, update: Uint8Array): UpdateVerdict {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return { ok: false, reason: 'not a Yjs update' };
  }
  const store = doc.store;
  const items = new Map<string, Y.Item>();
  const nextClock = new Map<number, number>();
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) return { ok: false, reason: 'update has gaps' };
    const client = struct.id.client;
    const expected = nextClock.get(client) ?? Y.getState(store, client);
    // A struct may overlap what the server has (a resend), but must not leave a gap.
    if (struct.id.clock > expected) return { ok: false, reason: 'update depends on changes the server does not have' };
    nextClock.set(client, Math.max(expected, struct.id.clock + struct.length));
    if (struct instanceof Y.Item) for (let i = 0; i < struct.length; i++) items.set(`${client}:${struct.id.clock + i}`, struct);
  }

  const placements = new Map<Y.Item, Placement | null>();
  /** Where an item of this update lives. */
  const place = (item: Y.Item, depth = 0): Placement | null => {
    if (placements.has(item)) return placements.get(item)!;
    if (depth > 64) return null;
    let result: Placement | null = null;
    const parent = item.parent as unknown;
    if (typeof parent === 'string') {
      result = item.parentSub !== null ? { root: parent, key: item.parentSub, nested: false } : null;
    } else if (parent instanceof Y.ID) {
      const owner = lookup(parent, depth + 1);
      result = owner && !owner.nested && item.parentSub !== null ? { root: owner.root, key: item.parentSub, nested: true } : null;
    } else {
      // No parent on the wire: it continues the item it was inserted next to.
      const neighbour = item.origin ?? item.rightOrigin;
      result = neighbour ? lookup(neighbour, depth + 1) : null;
    }
    placements.set(item, result);
    return result;
  };
  /** Where the item with this id lives: in this update, or already in the document. */
  const lookup = (id: Y.ID, depth: number): Placement | null => {
    const own = items.get(idKey(id));
    if (own) return place(own, depth);
    if (id.clock >= Y.getState(store, id.client)) return null;
    let existing: Y.AbstractStruct;
    try {
      existing = Y.getItem(store, id);
    } catch {
      return null;
    }
    if (!(existing instanceof Y.Item)) return null;
    return placementOf(doc, existing);
  };

  let newObjects = 0;
  let newPages = 0;
  for (const item of new Set(items.values())) {
    const placement = place(item);
    if (!placement) return { ok: false, reason: 'update writes outside the board' };
    const content = item.content;
    if (content instanceof Y.ContentDeleted) continue;
    if (placement.root !== ROOT_OBJECTS && placement.root !== ROOT_PAGES) return { ok: false, reason: `unknown root "${placement.root}"` };
    if (!placement.nested) {
      if (!(content instanceof Y.ContentType) || !(content.type instanceof Y.Map)) return { ok: false, reason: `${placement.root} entries must be maps` };
      if (!PageIdSchema.safeParse(placement.key).success) return { ok: false, reason: `bad id "${placement.key.slice(0, 40)}"` };
      if (placement.root === ROOT_OBJECTS) newObjects++;
      else newPages++;
      continue;
    }
    if (!(content instanceof Y.ContentAny) || content.arr.length !== 1) return { ok: false, reason: `field "${placement.key.slice(0, 40)}" must hold one plain value` };
    const value = content.arr[0];
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
  return { ok: true, newObjects };
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
