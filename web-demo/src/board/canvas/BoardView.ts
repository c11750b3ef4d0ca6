import { ActiveSelection, Canvas, IText, Path, PencilBrush, Point, Textbox, util, type FabricObject, type TPointerEventInfo } from 'fabric';
import * as Y from 'yjs';
import type { BoardClient, BoardObject, SymbolModifiers, TacticalKind } from '@muster/whiteboard/client';
import { centre, pairs, round, toFabric } from './render.ts';

export type Tool =
  | 'select'
  | 'pan'
  | 'pen'
  | 'highlighter'
  | 'line'
  | 'arrow'
  | 'rect'
  | 'ellipse'
  | 'polygon'
  | 'text'
  | 'note'
  | 'eraser'
  | 'stroke-eraser'
  | 'symbol'
  | 'tactical';

export interface DrawStyle {
  stroke: string;
  fill: string;
  strokeWidth: number;
  opacity: number;
}

/** What a new board view draws with until the person picks otherwise (the toolbar starts from it). */
export const DEFAULT_DRAW_STYLE: Readonly<DrawStyle> = { stroke: '#d62728', fill: 'transparent', strokeWidth: 3, opacity: 1 };

/** A board object as a tool makes it: the view adds id, page and stacking. */
export type NewObject = BoardObject extends infer T ? (T extends BoardObject ? Omit<T, 'id' | 'page' | 'z'> & { id?: string } : never) : never;
type Draft = BoardObject extends infer T ? (T extends BoardObject ? Omit<T, 'id' | 'page'> : never) : never;

export interface BoardViewOptions {
  client: BoardClient;
  page: string;
  /** Annotation layer: transparent, no zoom or pan; the viewport is set from outside to fit the video frame. */
  overlay?: boolean;
  /** Called when the selection changes (the properties panel follows it). */
  onSelect?: (objects: BoardObject[]) => void;
}

/**
 * The fabric wrapper's imperative core (board/canvas/ is the one place that
 * builds DOM by hand: fabric owns its canvases, and the peers' cursors are
 * laid over them here, at canvas speed). BoardCanvas.tsx mounts it.
 *
 * A fabric.js canvas showing one page of a board and turning what the person
 * does on it into board edits. The Yjs document is the truth: edits go to the
 * document, and the canvas follows the document (ours and everyone else's
 * changes alike), so there is one rendering path.
 */
export class BoardView {
  readonly el: HTMLDivElement;
  readonly canvas: Canvas;
  readonly client: BoardClient;
  page: string;
  tool: Tool = 'select';
  style: DrawStyle = { ...DEFAULT_DRAW_STYLE };
  /** What the symbol tool stamps. */
  stamp: { sidc: string; modifiers: SymbolModifiers } = { sidc: 'SFGPUCI--------', modifiers: {} };
  tacticalKind: TacticalKind = 'phase-line';
  tacticalLabel = '';
  readonly #overlay: boolean;
  readonly #objects = new Map<string, FabricObject>();
  readonly #ids = new WeakMap<FabricObject, string>();
  readonly #cursors: HTMLDivElement;
  readonly #onSelect?: (objects: BoardObject[]) => void;
  readonly #resize: ResizeObserver;
  #unobserve: () => void = () => undefined;
  #draft: { points: { x: number; y: number }[]; preview?: FabricObject } | null = null;
  #panning: { x: number; y: number } | null = null;
  #erasing = false;
  #destroyed = false;
  #lastCursorAt = 0;

  constructor(container: HTMLElement, opts: BoardViewOptions) {
    this.client = opts.client;
    this.page = opts.page;
    this.#overlay = opts.overlay ?? false;
    this.#onSelect = opts.onSelect;
    const canvasEl = document.createElement('canvas');
    this.#cursors = document.createElement('div');
    this.#cursors.className = 'board-cursors';
    this.el = document.createElement('div');
    this.el.className = this.#overlay ? 'board-canvas board-overlay-canvas' : 'board-canvas';
    this.el.dataset.testid = this.#overlay ? 'annotation-canvas' : 'board-canvas';
    this.el.append(canvasEl, this.#cursors);
    container.append(this.el);
    this.canvas = new Canvas(canvasEl, {
      // Off-screen objects are not drawn: a 2000-object board renders what is in view.
      skipOffscreen: true,
      renderOnAddRemove: false,
      preserveObjectStacking: true,
      selection: true,
      backgroundColor: this.#overlay ? '' : '#ffffff',
      enableRetinaScaling: true,
      stopContextMenu: true,
      fireRightClick: false,
    });
    this.canvas.freeDrawingBrush = new PencilBrush(this.canvas);
    this.#bindCanvas();
    this.#resize = new ResizeObserver(() => this.fitToContainer());
    this.#resize.observe(this.el);
    this.fitToContainer();
    this.rebind();
    this.client.on('reset', () => this.rebind());
    this.client.on('awareness', () => this.#renderCursors());
    this.client.on('rights', () => this.setTool(this.tool));
  }

  // ------------------------------------------------------------ document → canvas

  /** (Re)reads the whole page from the document and follows its changes. */
  rebind(): void {
    this.#unobserve();
    for (const object of this.#objects.values()) this.canvas.remove(object);
    this.#objects.clear();
    const objects = this.client.doc.objects;
    const observer = (events: Y.YEvent<Y.AbstractType<unknown>>[], transaction: Y.Transaction) => {
      const changed = new Map<string, boolean>();
      for (const event of events) {
        if (event.target === objects) {
          for (const key of (event as Y.YMapEvent<unknown>).keysChanged) changed.set(key, true);
        } else {
          const id = (event.target._item?.parentSub as string | null) ?? null;
          if (!id) continue;
          // Our own moves and resizes are already on the canvas; redrawing them would drop the selection.
          const keys = (event as Y.YMapEvent<unknown>).keysChanged;
          const needsRedraw = transaction.origin !== this.client.localOrigin || [...keys].some((k) => !['x', 'y', 'angle', 'scaleX', 'scaleY', 'text'].includes(k));
          changed.set(id, (changed.get(id) ?? false) || needsRedraw);
        }
      }
      for (const [id, redraw] of changed) this.#sync(id, redraw);
      this.#restack();
      this.canvas.requestRenderAll();
    };
    objects.observeDeep(observer);
    this.#unobserve = () => objects.unobserveDeep(observer);
    for (const object of this.client.doc.listObjects(this.page)) this.#place(object);
    this.#restack();
    this.canvas.requestRenderAll();
  }

  setPage(page: string): void {
    this.page = page;
    this.canvas.discardActiveObject();
    this.rebind();
  }

  #sync(id: string, redraw: boolean): void {
    const object = this.client.doc.getObject(id);
    const existing = this.#objects.get(id);
    if (!object || object.page !== this.page) {
      if (existing) this.#remove(id);
      return;
    }
    if (existing && !redraw) return;
    // A remote change to what this person is dragging right now waits for the drag to end.
    if (existing && this.canvas.getActiveObjects().includes(existing) && (this.canvas as unknown as { _currentTransform: unknown })._currentTransform) return;
    this.#place(object);
  }

  #place(object: BoardObject): void {
    const existing = this.#objects.get(object.id);
    const wasActive = existing ? this.canvas.getActiveObjects().includes(existing) : false;
    if (existing) {
      if (wasActive) this.canvas.discardActiveObject();
      this.canvas.remove(existing);
    }
    let shape: FabricObject;
    try {
      shape = toFabric(object);
    } catch (error) {
      console.warn('[muster] cannot draw board object', object.id, error);
      return;
    }
    shape.set({ selectable: this.#editable(), evented: this.#editable() || this.tool === 'eraser' || this.tool === 'stroke-eraser' });
    this.#ids.set(shape, object.id);
    (shape as FabricObject & { zIndex?: number }).zIndex = object.z ?? 0;
    this.#objects.set(object.id, shape);
    this.canvas.add(shape);
    if (object.type === 'symbol') {
      // The SVG decodes asynchronously; draw again once it has.
      const img = (shape as unknown as { getElement(): HTMLImageElement }).getElement();
      if (!img.complete) img.addEventListener('load', () => this.canvas.requestRenderAll(), { once: true });
    }
    if (wasActive) this.canvas.setActiveObject(shape);
  }

  #remove(id: string): void {
    const shape = this.#objects.get(id);
    if (!shape) return;
    if (this.canvas.getActiveObjects().includes(shape)) this.canvas.discardActiveObject();
    this.canvas.remove(shape);
    this.#objects.delete(id);
  }

  #restack(): void {
    const ordered = [...this.#objects.values()].sort((a, b) => ((a as { zIndex?: number }).zIndex ?? 0) - ((b as { zIndex?: number }).zIndex ?? 0));
    const current = this.canvas.getObjects();
    if (ordered.length === current.length && ordered.every((o, i) => o === current[i])) return;
    for (const o of current) if (!this.#ids.has(o)) ordered.push(o); // drafts stay on top
    this.canvas.remove(...current);
    this.canvas.add(...ordered);
  }

  idOf(shape: FabricObject): string | undefined {
    return this.#ids.get(shape);
  }

  shapeOf(id: string): FabricObject | undefined {
    return this.#objects.get(id);
  }

  // ------------------------------------------------------------ canvas → document

  #editable(): boolean {
    return this.client.canDraw && this.tool === 'select';
  }

  setTool(tool: Tool): void {
    this.tool = tool;
    this.#cancelDraft();
    const canDraw = this.client.canDraw;
    const drawing = canDraw && (tool === 'pen' || tool === 'highlighter');
    this.canvas.isDrawingMode = drawing;
    if (drawing) {
      const brush = this.canvas.freeDrawingBrush!;
      brush.color = this.style.stroke;
      brush.width = tool === 'highlighter' ? Math.max(this.style.strokeWidth, 14) : this.style.strokeWidth;
    }
    this.canvas.selection = canDraw && tool === 'select';
    this.canvas.defaultCursor = tool === 'pan' ? 'grab' : tool === 'select' ? 'default' : 'crosshair';
    const editable = this.#editable();
    for (const shape of this.#objects.values()) shape.set({ selectable: editable, evented: editable || tool === 'eraser' || tool === 'stroke-eraser' });
    if (!editable) this.canvas.discardActiveObject();
    this.el.dataset.tool = tool;
    this.canvas.requestRenderAll();
  }

  setStyle(style: Partial<DrawStyle>): void {
    this.style = { ...this.style, ...style };
    this.setTool(this.tool);
    // A style change applies to the selection too.
    const patch: Partial<DrawStyle> = {};
    for (const key of Object.keys(style) as (keyof DrawStyle)[]) (patch as Record<string, unknown>)[key] = this.style[key];
    const ids = this.selectedIds();
    if (ids.length > 0 && this.client.canDraw) {
      this.client.transact(() => ids.forEach((id) => this.client.update(id, patch)));
      ids.forEach((id) => this.#sync(id, true));
      this.canvas.requestRenderAll();
    }
  }

  selectedIds(): string[] {
    return this.canvas.getActiveObjects().map((o) => this.#ids.get(o)).filter((id): id is string => !!id);
  }

  /** Writes a change to the document and redraws (property panel edits). */
  edit(id: string, patch: Record<string, unknown>): void {
    this.client.update(id, patch);
    // Field edits change what the object looks like: redraw it even though the change is ours.
    this.#sync(id, true);
    this.canvas.requestRenderAll();
  }

  deleteSelection(): void {
    const ids = this.selectedIds();
    this.canvas.discardActiveObject();
    if (ids.length) this.client.remove(ids);
  }

  #nextZ(): number {
    return Math.floor(this.client.doc.topZ(this.page)) + 1;
  }

  #add(object: NewObject): string {
    const id = object.id ?? this.client.newId();
    this.client.stopCapturing();
    this.client.add({ ...object, id, page: this.page, z: this.#nextZ(), opacity: object.opacity ?? (this.style.opacity < 1 ? this.style.opacity : undefined) } as BoardObject);
    this.client.stopCapturing();
    return id;
  }

  /** Stamps the palette's symbol with its centre at a board point. */
  stampSymbol(x: number, y: number, sidc = this.stamp.sidc, modifiers = this.stamp.modifiers): string {
    return this.#add({ type: 'symbol', x: round(x), y: round(y), sidc, modifiers: { ...modifiers } });
  }

  #scenePoint(e: TPointerEventInfo): Point {
    return this.canvas.getScenePoint(e.e);
  }

  #bindCanvas(): void {
    const canvas = this.canvas;
    canvas.on('path:created', ({ path: created }) => {
      const path = created as Path;
      // The brush's own path is a preview; the board object replaces it.
      canvas.remove(path);
      if (!this.client.canDraw) return;
      const matrix = path.calcTransformMatrix();
      const raw: { x: number; y: number }[] = [];
      for (const segment of path.path) {
        const n = segment.length;
        if (n >= 3) raw.push(new Point(segment[n - 2] as number, segment[n - 1] as number).subtract(path.pathOffset).transform(matrix));
      }
      if (raw.length < 2) return;
      const c = centre(raw);
      this.#add({ type: 'path', x: c.x, y: c.y, points: c.points, stroke: this.style.stroke, strokeWidth: this.style.strokeWidth, highlighter: this.tool === 'highlighter' || undefined });
    });

    canvas.on('object:modified', ({ target }) => {
      const shape0 = target as FabricObject;
      const shapes = shape0 instanceof ActiveSelection ? shape0.getObjects() : [shape0];
      this.client.stopCapturing();
      this.client.transact(() => {
        for (const shape of shapes) {
          const id = this.#ids.get(shape);
          if (!id) continue;
          const d = util.qrDecompose(shape.calcTransformMatrix());
          this.client.update(id, { x: round(d.translateX), y: round(d.translateY), angle: round(d.angle), scaleX: round(Math.abs(d.scaleX)), scaleY: round(Math.abs(d.scaleY)) });
        }
      });
      this.client.stopCapturing();
    });

    canvas.on('text:editing:exited', ({ target }) => {
      const text = target as unknown as FabricObject;
      const id = this.#ids.get(text);
      if (id && text instanceof IText) this.client.update(id, { text: text.text.slice(0, 10_000) });
    });

    canvas.on('selection:created', () => this.#selectionChanged());
    canvas.on('selection:updated', () => this.#selectionChanged());
    canvas.on('selection:cleared', () => this.#selectionChanged());

    canvas.on('mouse:wheel', ({ e }) => {
      if (this.#overlay) return;
      e.preventDefault();
      const zoom = Math.min(8, Math.max(0.1, canvas.getZoom() * 0.999 ** e.deltaY));
      canvas.zoomToPoint(new Point(e.offsetX, e.offsetY), zoom);
      this.#renderCursors();
    });

    canvas.on('mouse:down', (opt) => {
      const p = this.#scenePoint(opt);
      const e = opt.e as MouseEvent;
      if (!this.#overlay && (this.tool === 'pan' || e.altKey || e.button === 1)) {
        this.#panning = { x: (e as MouseEvent).clientX, y: (e as MouseEvent).clientY };
        return;
      }
      if (!this.client.canDraw) return;
      switch (this.tool) {
        case 'eraser':
        case 'stroke-eraser':
          this.#erasing = true;
          this.client.stopCapturing();
          this.#eraseAt(opt.target);
          return;
        case 'line':
        case 'arrow':
        case 'rect':
        case 'ellipse':
          this.#draft = { points: [p, p] };
          return;
        case 'polygon':
        case 'tactical':
          if (!this.#draft) this.#draft = { points: [p, p] };
          else this.#draft.points.push(p);
          this.#preview();
          return;
        case 'text': {
          const id = this.#add({ type: 'text', x: round(p.x), y: round(p.y), text: 'Text', fontSize: 24, fill: this.style.stroke });
          this.setTool('select');
          const shape = this.#objects.get(id);
          if (shape instanceof IText) {
            canvas.setActiveObject(shape);
            shape.enterEditing();
            shape.selectAll();
          }
          return;
        }
        case 'note': {
          const id = this.#add({ type: 'note', x: round(p.x), y: round(p.y), text: 'Note', w: 180, h: 120, fill: '#fff59d' });
          this.setTool('select');
          const shape = this.#objects.get(id);
          if (shape instanceof Textbox) {
            canvas.setActiveObject(shape);
            shape.enterEditing();
            shape.selectAll();
          }
          return;
        }
        case 'symbol':
          this.stampSymbol(p.x, p.y);
          return;
        default:
      }
    });

    canvas.on('mouse:move', (opt) => {
      const p = this.#scenePoint(opt);
      this.#sendCursor(p);
      if (this.#panning) {
        const e = opt.e as MouseEvent;
        canvas.relativePan(new Point(e.clientX - this.#panning.x, e.clientY - this.#panning.y));
        this.#panning = { x: e.clientX, y: e.clientY };
        this.#renderCursors();
        return;
      }
      if (this.#erasing) {
        this.#eraseAt(opt.target);
        return;
      }
      if (this.#draft) {
        this.#draft.points[this.#draft.points.length - 1] = p;
        this.#preview();
      }
    });

    canvas.on('mouse:up', () => {
      this.#panning = null;
      if (this.#erasing) {
        this.#erasing = false;
        this.client.stopCapturing();
      }
      if (this.#draft && ['line', 'arrow', 'rect', 'ellipse'].includes(this.tool)) this.#commitDraft();
    });

    canvas.on('mouse:dblclick', () => {
      if (this.#draft && (this.tool === 'polygon' || this.tool === 'tactical')) {
        // The double click added two points at the same place.
        this.#draft.points.splice(-1, 1);
        this.#commitDraft();
      }
    });

    canvas.on('mouse:out', () => this.#sendCursor(null));
  }

  #eraseAt(target: FabricObject | undefined): void {
    if (!target) return;
    const id = this.#ids.get(target);
    if (!id) return;
    const object = this.client.doc.getObject(id);
    if (!object || (this.tool === 'stroke-eraser' && object.type !== 'path')) return;
    this.client.remove([id]);
  }

  #preview(): void {
    const draft = this.#draft;
    if (!draft) return;
    if (draft.preview) this.canvas.remove(draft.preview);
    const object = this.#draftObject(true);
    if (!object) return;
    draft.preview = toFabric({ ...object, id: 'draft', page: this.page } as BoardObject);
    draft.preview.set({ selectable: false, evented: false, opacity: 0.7 });
    this.canvas.add(draft.preview);
    this.canvas.requestRenderAll();
  }

  #draftObject(preview = false): Draft | null {
    const draft = this.#draft;
    if (!draft) return null;
    const [a, b] = [draft.points[0]!, draft.points[draft.points.length - 1]!];
    const common = { stroke: this.style.stroke, strokeWidth: this.style.strokeWidth };
    switch (this.tool) {
      case 'line':
      case 'arrow': {
        const c = centre([a, b]);
        return { type: this.tool, x: c.x, y: c.y, points: c.points, ...common };
      }
      case 'rect':
      case 'ellipse':
        return { type: this.tool, x: round((a.x + b.x) / 2), y: round((a.y + b.y) / 2), w: round(Math.abs(b.x - a.x)), h: round(Math.abs(b.y - a.y)), ...common, fill: this.style.fill };
      case 'polygon': {
        const c = centre(draft.points);
        return { type: 'polygon', x: c.x, y: c.y, points: c.points, ...common, fill: this.style.fill };
      }
      case 'tactical': {
        const points = this.tacticalKind === 'objective' && !preview && draft.points.length < 3 ? [] : draft.points;
        if (points.length < 2) return null;
        const c = centre(points);
        return { type: 'tactical', kind: this.tacticalKind, x: c.x, y: c.y, points: c.points, label: this.tacticalLabel || undefined, ...common };
      }
      default:
        return null;
    }
  }

  #commitDraft(): void {
    const object = this.#draftObject();
    this.#cancelDraft();
    if (!object) return;
    const tiny = object.type === 'rect' || object.type === 'ellipse' ? object.w < 3 && object.h < 3 : 'points' in object && pairs(object.points).every((p, _i, all) => Math.hypot(p.x - all[0]!.x, p.y - all[0]!.y) < 3);
    if (tiny) return;
    this.#add(object as NewObject);
  }

  #cancelDraft(): void {
    if (this.#draft?.preview) this.canvas.remove(this.#draft.preview);
    this.#draft = null;
    this.canvas.requestRenderAll();
  }

  #selectionChanged(): void {
    const ids = this.selectedIds();
    this.client.setSelection(ids);
    this.#onSelect?.(ids.map((id) => this.client.doc.getObject(id)).filter((o): o is BoardObject => !!o));
  }

  // ------------------------------------------------------------ presence

  #sendCursor(p: Point | null): void {
    const now = performance.now();
    if (p && now - this.#lastCursorAt < 50) return;
    this.#lastCursorAt = now;
    this.client.setCursor(p ? { x: round(p.x), y: round(p.y), page: this.page } : null);
  }

  #renderCursors(): void {
    if (this.#destroyed) return;
    const peers = this.client.peers().filter((p) => p.cursor && p.cursor.page === this.page);
    const existing = new Map([...this.#cursors.children].map((el) => [(el as HTMLElement).dataset.client!, el as HTMLElement]));
    for (const peer of peers) {
      let el = existing.get(String(peer.clientId));
      existing.delete(String(peer.clientId));
      if (!el) {
        el = document.createElement('div');
        el.className = 'board-cursor';
        el.dataset.client = String(peer.clientId);
        this.#cursors.append(el);
      }
      if (el.textContent !== peer.user.name) el.textContent = peer.user.name;
      el.style.setProperty('--cursor-color', peer.user.color);
      const at = this.toScreen(peer.cursor!.x, peer.cursor!.y);
      el.style.transform = `translate(${at.x}px, ${at.y}px)`;
    }
    for (const el of existing.values()) el.remove();
  }

  // ------------------------------------------------------------ viewport

  /** A board point → CSS pixels inside this view. */
  toScreen(x: number, y: number): { x: number; y: number } {
    const p = new Point(x, y).transform(this.canvas.viewportTransform);
    return { x: p.x, y: p.y };
  }

  fitToContainer(): void {
    if (this.#destroyed) return;
    const width = Math.max(1, this.el.clientWidth);
    const height = Math.max(1, this.el.clientHeight);
    if (this.canvas.width !== width || this.canvas.height !== height) this.canvas.setDimensions({ width, height });
    this.canvas.requestRenderAll();
    this.#renderCursors();
  }

  /** Overlay mode: board units → pixels, fixed. */
  setViewport(scale: number): void {
    this.canvas.setViewportTransform([scale, 0, 0, scale, 0, 0]);
    this.#renderCursors();
  }

  zoomBy(factor: number): void {
    const zoom = Math.min(8, Math.max(0.1, this.canvas.getZoom() * factor));
    this.canvas.zoomToPoint(new Point(this.canvas.width / 2, this.canvas.height / 2), zoom);
    this.#renderCursors();
  }

  resetView(): void {
    this.canvas.setViewportTransform([1, 0, 0, 1, 0, 0]);
    this.#renderCursors();
  }

  /** The page's extent in board units, or the visible area when empty. */
  bounds(): { left: number; top: number; width: number; height: number } {
    const shapes = [...this.#objects.values()];
    if (shapes.length === 0) return this.visibleBounds();
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const shape of shapes) {
      for (const c of shape.getCoords()) {
        minX = Math.min(minX, c.x);
        minY = Math.min(minY, c.y);
        maxX = Math.max(maxX, c.x);
        maxY = Math.max(maxY, c.y);
      }
    }
    const pad = 20;
    return { left: minX - pad, top: minY - pad, width: maxX - minX + pad * 2, height: maxY - minY + pad * 2 };
  }

  visibleBounds(): { left: number; top: number; width: number; height: number } {
    const inv = util.invertTransform(this.canvas.viewportTransform);
    const tl = new Point(0, 0).transform(inv);
    const br = new Point(this.canvas.width, this.canvas.height).transform(inv);
    return { left: tl.x, top: tl.y, width: br.x - tl.x, height: br.y - tl.y };
  }

  /** Renders a region of the board (board units) to a canvas at `scale` pixels per unit. */
  renderRegion(region: { left: number; top: number; width: number; height: number }, scale = 1): HTMLCanvasElement {
    const saved = this.canvas.viewportTransform.slice() as typeof this.canvas.viewportTransform;
    this.canvas.discardActiveObject();
    this.canvas.viewportTransform = [1, 0, 0, 1, 0, 0];
    try {
      return this.canvas.toCanvasElement(scale, region);
    } finally {
      this.canvas.setViewportTransform(saved);
    }
  }

  toSvg(region: { left: number; top: number; width: number; height: number }): string {
    this.canvas.discardActiveObject();
    return this.canvas.toSVG({ viewBox: { x: region.left, y: region.top, width: region.width, height: region.height }, width: `${Math.round(region.width)}`, height: `${Math.round(region.height)}` });
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#unobserve();
    this.#resize.disconnect();
    void this.canvas.dispose();
    this.el.remove();
  }
}
