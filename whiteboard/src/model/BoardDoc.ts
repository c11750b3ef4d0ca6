import * as Y from 'yjs';
import {
  BOARD_PROTOCOL_VERSION,
  BoardObjectSchema,
  type BoardJson,
  type BoardObject,
  type PageJson,
} from '../protocol.ts';

/**
 * The board document. Two root maps:
 *
 * - `pages`: page id → Y.Map { name, order }
 * - `objects`: object id → Y.Map of the object's fields (`BoardObjectSchema`)
 *
 * Objects are maps of fields rather than JSON blobs so that two people
 * changing different things of one object (one moves it, the other recolours
 * it) both keep their change. Objects sit in one flat map with a `page` field,
 * not inside their page, so moving an object between pages is one field write
 * and a page's deletion never races with an edit inside it.
 */
export const ROOT_PAGES = 'pages';
export const ROOT_OBJECTS = 'objects';
export const PAGE_FIELDS = ['name', 'order'] as const;
export const DEFAULT_PAGE_ID = 'p1';

export type ObjectPatch = Partial<Omit<BoardObject, 'id' | 'type'>> & Record<string, unknown>;

export interface PageInfo {
  id: string;
  name: string;
  order: number;
}

let idCounter = 0;
/** Short random ids; a counter suffix keeps ids made in one millisecond apart. */
export function newObjectId(): string {
  idCounter = (idCounter + 1) % 1296;
  const random = Math.floor(Math.random() * 36 ** 8).toString(36).padStart(8, '0');
  return `${Date.now().toString(36)}${random}${idCounter.toString(36).padStart(2, '0')}`;
}

export class BoardDoc {
  readonly doc: Y.Doc;
  readonly pages: Y.Map<Y.Map<unknown>>;
  readonly objects: Y.Map<Y.Map<unknown>>;

  constructor(doc: Y.Doc = new Y.Doc({ gc: true })) {
    this.doc = doc;
    this.pages = doc.getMap(ROOT_PAGES);
    this.objects = doc.getMap(ROOT_OBJECTS);
  }

  transact(fn: () => void, origin?: unknown): void {
    this.doc.transact(fn, origin);
  }

  // ------------------------------------------------------------ pages

  listPages(): PageInfo[] {
    const pages: PageInfo[] = [];
    for (const [id, page] of this.pages) {
      const name = page.get('name');
      const order = page.get('order');
      pages.push({ id, name: typeof name === 'string' ? name : id, order: typeof order === 'number' ? order : 0 });
    }
    return pages.sort((a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Creates the page if it does not exist yet. */
  ensurePage(id: string, name: string, order?: number, origin?: unknown): void {
    if (this.pages.has(id)) return;
    this.transact(() => {
      const page = new Y.Map<unknown>();
      page.set('name', name);
      page.set('order', order ?? this.listPages().reduce((max, p) => Math.max(max, p.order + 1), 0));
      this.pages.set(id, page);
    }, origin);
  }

  renamePage(id: string, name: string, origin?: unknown): void {
    this.transact(() => this.pages.get(id)?.set('name', name), origin);
  }

  // ------------------------------------------------------------ objects

  /** The object as its schema says, or null when absent or (mid-edit, or written by a bad client) not a valid object. */
  getObject(id: string): BoardObject | null {
    const map = this.objects.get(id);
    if (!map) return null;
    const parsed = BoardObjectSchema.safeParse({ ...map.toJSON(), id });
    return parsed.success ? parsed.data : null;
  }

  /** Valid objects of one page, bottom to top. */
  listObjects(page: string): BoardObject[] {
    const list: BoardObject[] = [];
    for (const [id, map] of this.objects) {
      if (map.get('page') !== page) continue;
      const object = this.getObject(id);
      if (object) list.push(object);
    }
    return list.sort(byZ);
  }

  /** The highest z on a page, so new objects go on top. */
  topZ(page: string): number {
    let top = 0;
    for (const map of this.objects.values()) {
      if (map.get('page') !== page) continue;
      const z = map.get('z');
      if (typeof z === 'number' && z > top) top = z;
    }
    return top;
  }

  addObject(object: BoardObject, origin?: unknown): void {
    this.transact(() => {
      const map = new Y.Map<unknown>();
      for (const [key, value] of Object.entries(object)) if (key !== 'id' && value !== undefined) map.set(key, value);
      this.objects.set(object.id, map);
    }, origin);
  }

  /** Writes only the fields given; `undefined` removes a field. */
  updateObject(id: string, patch: ObjectPatch, origin?: unknown): void {
    const map = this.objects.get(id);
    if (!map) return;
    this.transact(() => {
      for (const [key, value] of Object.entries(patch)) {
        if (key === 'id' || key === 'type') continue;
        if (value === undefined) map.delete(key);
        else if (!sameValue(map.get(key), value)) map.set(key, value);
      }
    }, origin);
  }

  removeObjects(ids: Iterable<string>, origin?: unknown): number {
    let removed = 0;
    this.transact(() => {
      for (const id of ids) {
        if (!this.objects.has(id)) continue;
        this.objects.delete(id);
        removed++;
      }
    }, origin);
    return removed;
  }

  clearPage(page: string, origin?: unknown): number {
    const ids = [...this.objects.entries()].filter(([, map]) => map.get('page') === page).map(([id]) => id);
    return this.removeObjects(ids, origin);
  }

  get objectCount(): number {
    return this.objects.size;
  }

  // ------------------------------------------------------------ JSON

  /**
   * The board as JSON: pages in order, objects bottom to top, every object in
   * its schema's field order. Deterministic, so export → import → export
   * gives the same bytes.
   */
  toJSON(id: string): BoardJson {
    const pages: PageJson[] = this.listPages().map((p) => ({ id: p.id, name: p.name, objects: [] }));
    const byId = new Map(pages.map((p) => [p.id, p]));
    for (const [objectId, map] of this.objects) {
      const object = this.getObject(objectId);
      if (!object) continue;
      let page = byId.get(object.page);
      if (!page) {
        // An object whose page was never created (or removed) still belongs to the board.
        page = { id: object.page, name: object.page, objects: [] };
        byId.set(page.id, page);
        pages.push(page);
      }
      page.objects.push(object);
      void map;
    }
    for (const page of pages) page.objects.sort(byZ);
    if (pages.length === 0) pages.push({ id: DEFAULT_PAGE_ID, name: 'Page 1', objects: [] });
    return { id, version: BOARD_PROTOCOL_VERSION, pages };
  }

  /**
   * Replaces the whole content with `json` (already validated) in one
   * transaction. Objects without `z` get their position in the page's list,
   * so the stacking order of the import is kept.
   */
  replaceWith(json: BoardJson, origin?: unknown): void {
    this.transact(() => {
      for (const id of [...this.objects.keys()]) this.objects.delete(id);
      for (const id of [...this.pages.keys()]) this.pages.delete(id);
      json.pages.forEach((page, order) => {
        const map = new Y.Map<unknown>();
        map.set('name', page.name);
        map.set('order', order);
        this.pages.set(page.id, map);
        page.objects.forEach((object, index) => {
          this.addObject({ ...object, page: page.id, z: object.z ?? index }, origin);
        });
      });
    }, origin);
  }
}

function byZ(a: BoardObject, b: BoardObject): number {
  return (a.z ?? 0) - (b.z ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
