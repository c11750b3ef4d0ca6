import { BoardJsonSchema, DEFAULT_PAGE_ID, TACTICAL_KINDS, type BoardClient, type BoardObject, type DrawMode } from '@muster/whiteboard/client';
import { h } from '../lib/dom.ts';
import { BoardView, type Tool } from './BoardView.ts';
import { downloadBlob, downloadDataUrl } from './exports.ts';
import { SymbolPalette } from './palette.ts';
import './board.css';

declare global {
  interface Window {
    /** Test and debugging hook: the open board (see web-demo/README.md). */
    __board?: { client: BoardClient; view: BoardView };
  }
}

const TOOLS: { tool: Tool; label: string; key?: string }[] = [
  { tool: 'select', label: 'Select', key: 'v' },
  { tool: 'pan', label: 'Pan', key: 'h' },
  { tool: 'pen', label: 'Pen', key: 'p' },
  { tool: 'highlighter', label: 'Highlighter' },
  { tool: 'line', label: 'Line', key: 'l' },
  { tool: 'arrow', label: 'Arrow', key: 'a' },
  { tool: 'rect', label: 'Rectangle', key: 'r' },
  { tool: 'ellipse', label: 'Ellipse', key: 'o' },
  { tool: 'polygon', label: 'Polygon' },
  { tool: 'text', label: 'Text', key: 't' },
  { tool: 'note', label: 'Note', key: 'n' },
  { tool: 'eraser', label: 'Eraser', key: 'e' },
  { tool: 'stroke-eraser', label: 'Stroke eraser' },
  { tool: 'symbol', label: 'Symbol', key: 's' },
  { tool: 'tactical', label: 'Tactical' },
];

export interface WorkspaceOptions {
  client: BoardClient;
  /** Error and info messages. */
  notify(message: string, kind?: 'info' | 'error'): void;
}

/**
 * A full board: the canvas, the tools, the symbol palette, pages, who may
 * draw, and exports. The standalone page and the meeting's board panel both
 * show one of these.
 */
export class BoardWorkspace {
  readonly el: HTMLElement;
  readonly view: BoardView;
  readonly palette: SymbolPalette;
  readonly #client: BoardClient;
  readonly #toolButtons = new Map<Tool, HTMLButtonElement>();
  readonly #pagesEl: HTMLElement;
  readonly #accessEl: HTMLSelectElement;
  readonly #accessList: HTMLElement;
  readonly #clearButton: HTMLButtonElement;
  readonly #status: HTMLElement;
  readonly #offs: (() => void)[] = [];
  readonly #onKey: (e: KeyboardEvent) => void;

  constructor(opts: WorkspaceOptions) {
    const client = opts.client;
    this.#client = client;
    const stage = h('div', { class: 'board-stage' });
    this.palette = new SymbolPalette(() => this.#syncStamp());
    this.palette.onApply = (sidc, modifiers) => {
      for (const id of this.view.selectedIds()) if (client.doc.getObject(id)?.type === 'symbol') this.view.edit(id, { sidc, modifiers });
    };
    this.view = new BoardView(stage, {
      client,
      page: DEFAULT_PAGE_ID,
      onSelect: (objects) => this.#selected(objects),
    });
    window.__board = { client, view: this.view };

    // ---------------------------------------------------------- toolbar
    const tools = h('div', { class: 'board-tools', role: 'toolbar', 'aria-label': 'Drawing tools' });
    for (const { tool, label, key } of TOOLS) {
      const button = h('button', { type: 'button', class: 'board-tool', 'data-testid': `tool-${tool}`, title: key ? `${label} (${key.toUpperCase()})` : label, 'aria-pressed': 'false' }, label);
      button.addEventListener('click', () => this.setTool(tool));
      this.#toolButtons.set(tool, button);
      tools.append(button);
    }
    const stroke = h('input', { type: 'color', value: this.view.style.stroke, title: 'Colour', 'data-testid': 'style-stroke', 'aria-label': 'Colour' });
    const fillOn = h('input', { type: 'checkbox', title: 'Fill', 'data-testid': 'style-fill-on', 'aria-label': 'Fill shapes' });
    const fill = h('input', { type: 'color', value: '#ffcc00', title: 'Fill colour', 'data-testid': 'style-fill', 'aria-label': 'Fill colour' });
    const width = h('input', { type: 'range', min: '1', max: '30', value: String(this.view.style.strokeWidth), title: 'Width', 'data-testid': 'style-width', 'aria-label': 'Line width' });
    const opacity = h('input', { type: 'range', min: '10', max: '100', value: '100', title: 'Opacity', 'data-testid': 'style-opacity', 'aria-label': 'Opacity' });
    stroke.addEventListener('change', () => this.view.setStyle({ stroke: stroke.value }));
    const setFill = () => this.view.setStyle({ fill: fillOn.checked ? fill.value : 'transparent' });
    fillOn.addEventListener('change', setFill);
    fill.addEventListener('change', setFill);
    width.addEventListener('change', () => this.view.setStyle({ strokeWidth: Number(width.value) }));
    opacity.addEventListener('change', () => this.view.setStyle({ opacity: Number(opacity.value) / 100 }));

    const tacticalKind = h('select', { 'data-testid': 'tactical-kind', 'aria-label': 'Tactical graphic' }, ...TACTICAL_KINDS.map((k) => h('option', { value: k }, k.replace(/-/g, ' '))));
    const tacticalLabel = h('input', { type: 'text', placeholder: 'Label', maxlength: '60', 'data-testid': 'tactical-label', 'aria-label': 'Tactical label' });
    tacticalKind.addEventListener('change', () => {
      this.view.tacticalKind = tacticalKind.value as never;
      this.setTool('tactical');
    });
    tacticalLabel.addEventListener('input', () => (this.view.tacticalLabel = tacticalLabel.value));

    const button = (testId: string, label: string, run: () => void, title = label) => {
      const b = h('button', { type: 'button', class: 'board-btn', 'data-testid': testId, title }, label);
      b.addEventListener('click', run);
      return b;
    };
    this.#clearButton = button('board-clear', 'Clear page', () => void this.#clear());
    const history = h(
      'div',
      { class: 'board-group' },
      button('board-undo', 'Undo', () => client.undo(), 'Undo your last change (Ctrl+Z)'),
      button('board-redo', 'Redo', () => client.redo(), 'Redo (Ctrl+Shift+Z)'),
      button('board-delete', 'Delete', () => this.view.deleteSelection(), 'Delete the selection (Del)'),
      button('zoom-in', '+', () => this.view.zoomBy(1.25), 'Zoom in'),
      button('zoom-out', '−', () => this.view.zoomBy(0.8), 'Zoom out'),
      button('zoom-reset', '1:1', () => this.view.resetView(), 'Reset zoom'),
      this.#clearButton,
    );

    // ---------------------------------------------------------- exports
    const importInput = h('input', { type: 'file', accept: 'application/json,.json', hidden: true, 'data-testid': 'board-import-file' });
    importInput.addEventListener('change', () => void this.#import(importInput));
    const exportsEl = h(
      'div',
      { class: 'board-group' },
      button('export-png-view', 'PNG (view)', () => downloadDataUrl(this.view.renderRegion(this.view.visibleBounds(), 2).toDataURL('image/png'), `${client.id}.png`)),
      button('export-png-all', 'PNG (board)', () => downloadDataUrl(this.view.renderRegion(this.view.bounds(), 2).toDataURL('image/png'), `${client.id}-board.png`)),
      button('export-svg-view', 'SVG (view)', () => downloadBlob(new Blob([this.view.toSvg(this.view.visibleBounds())], { type: 'image/svg+xml' }), `${client.id}.svg`)),
      button('export-svg-all', 'SVG (board)', () => downloadBlob(new Blob([this.view.toSvg(this.view.bounds())], { type: 'image/svg+xml' }), `${client.id}-board.svg`)),
      button('export-json', 'Export JSON', () => downloadBlob(new Blob([JSON.stringify(client.exportJson(), null, 1)], { type: 'application/json' }), `${client.id}.json`)),
      button('import-json', 'Import JSON', () => importInput.click()),
      importInput,
    );

    // ---------------------------------------------------------- pages and access
    this.#pagesEl = h('div', { class: 'board-pages', 'data-testid': 'board-pages' });
    this.#accessEl = h(
      'select',
      { 'data-testid': 'board-access', 'aria-label': 'Who may draw' },
      h('option', { value: 'everyone' }, 'Everyone draws'),
      h('option', { value: 'presenter' }, 'Presenter only'),
      h('option', { value: 'list' }, 'Named people'),
    );
    this.#accessList = h('div', { class: 'board-access-list', 'data-testid': 'board-access-list', hidden: true });
    this.#accessEl.addEventListener('change', () => void this.#setAccess(this.#accessEl.value as DrawMode));
    this.#status = h('span', { class: 'board-status', 'data-testid': 'board-status' });

    this.el = h(
      'div',
      { class: 'board-workspace', 'data-testid': 'board' },
      h('div', { class: 'board-toolbar' }, tools, h('div', { class: 'board-group' }, stroke, fillOn, fill, width, opacity, tacticalKind, tacticalLabel), history, exportsEl),
      h('div', { class: 'board-main' }, stage, h('aside', { class: 'board-side' }, this.palette.el)),
      h('div', { class: 'board-footer' }, this.#pagesEl, h('div', { class: 'board-access' }, this.#accessEl, this.#accessList), this.#status),
    );

    this.#offs.push(
      client.on('rights', () => this.#syncChrome()),
      client.on('ready', () => {
        this.palette.setPinned(client.pinnedSymbols);
        this.#syncChrome();
      }),
      client.on('refused', (error) => opts.notify(`The board refused a change: ${error.message}`, 'error')),
      client.on('awareness', () => this.#syncAccessList()),
    );
    const pagesObserver = () => this.#syncPages();
    client.doc.pages.observeDeep(pagesObserver);
    this.#offs.push(() => client.doc.pages.unobserveDeep(pagesObserver));
    this.#offs.push(client.on('reset', () => {
      client.doc.pages.observeDeep(pagesObserver);
      this.#syncPages();
    }));

    this.#onKey = (e) => this.#key(e);
    document.addEventListener('keydown', this.#onKey);
    this.palette.setPinned(client.pinnedSymbols);
    this.setTool('select');
    this.#syncChrome();
  }

  setTool(tool: Tool): void {
    this.view.setTool(tool);
    for (const [t, b] of this.#toolButtons) b.setAttribute('aria-pressed', String(t === tool));
    if (tool === 'symbol') this.#syncStamp();
  }

  #syncStamp(): void {
    this.view.stamp = { sidc: this.palette.sidc, modifiers: this.palette.modifiers() };
  }

  #selected(objects: BoardObject[]): void {
    const symbol = objects.length === 1 && objects[0]!.type === 'symbol' ? objects[0] : null;
    this.palette.editing(symbol ? { sidc: symbol.sidc, modifiers: symbol.modifiers } : null);
  }

  #syncChrome(): void {
    const self = this.#client.self;
    const canDraw = self?.canDraw ?? false;
    this.el.dataset.canDraw = String(canDraw);
    for (const [tool, b] of this.#toolButtons) b.disabled = !canDraw && tool !== 'select' && tool !== 'pan';
    this.#clearButton.hidden = !self?.isHost;
    this.#accessEl.disabled = !self?.isHost;
    this.#accessEl.value = this.#client.access?.mode ?? 'everyone';
    this.#status.textContent = !self ? 'Connecting…' : canDraw ? `${self.name}${self.isHost ? ' (host)' : ''}` : `${self.name}: view only`;
    this.#syncPages();
    this.#syncAccessList();
  }

  #syncPages(): void {
    const pages = this.#client.doc.listPages().filter((p) => p.id !== 'screen');
    const buttons = pages.map((p) => {
      const b = h('button', { type: 'button', class: 'board-page', 'data-testid': 'board-page', 'data-page': p.id, 'aria-pressed': String(p.id === this.view.page) }, p.name);
      b.addEventListener('click', () => {
        this.view.setPage(p.id);
        this.#syncPages();
      });
      return b;
    });
    const add = h('button', { type: 'button', class: 'board-page', 'data-testid': 'board-page-add', title: 'Add a page', disabled: !this.#client.canDraw }, '+');
    add.addEventListener('click', () => {
      const id = `p${Date.now().toString(36)}`;
      this.#client.ensurePage(id, `Page ${pages.length + 1}`);
      this.view.setPage(id);
      this.#syncPages();
    });
    this.#pagesEl.replaceChildren(...buttons, add);
  }

  #syncAccessList(): void {
    const access = this.#client.access;
    const isList = access?.mode === 'list';
    this.#accessList.hidden = !isList || !this.#client.self?.isHost;
    if (this.#accessList.hidden) return;
    const people = new Map<string, string>();
    for (const peer of this.#client.peers()) people.set(peer.user.id, peer.user.name);
    for (const id of access?.allowed ?? []) if (!people.has(id)) people.set(id, id.slice(0, 8));
    people.delete(this.#client.self!.userId);
    this.#accessList.replaceChildren(
      ...[...people].map(([id, name]) => {
        const box = h('input', { type: 'checkbox', 'data-user': id, checked: access!.allowed.includes(id) });
        box.addEventListener('change', () => {
          const allowed = new Set(this.#client.access?.allowed ?? []);
          if (box.checked) allowed.add(id);
          else allowed.delete(id);
          void this.#setAccess('list', [...allowed]);
        });
        return h('label', null, box, name);
      }),
    );
  }

  async #setAccess(mode: DrawMode, allowed = this.#client.access?.allowed ?? []): Promise<void> {
    try {
      const { access } = await this.#client.setAccess({ mode, allowed });
      this.#client.access = access;
    } catch (error) {
      this.#status.textContent = (error as Error).message;
    }
    this.#syncChrome();
  }

  async #clear(): Promise<void> {
    if (!confirm('Remove everything on this page for everyone?')) return;
    await this.#client.clear(this.view.page).catch((error: Error) => (this.#status.textContent = error.message));
  }

  async #import(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const parsed = BoardJsonSchema.safeParse(JSON.parse(await file.text()));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a board');
      this.#client.importJson({ ...parsed.data, id: this.#client.id });
      this.view.setPage(parsed.data.pages[0]!.id);
      this.#syncPages();
    } catch (error) {
      this.#status.textContent = `Import failed: ${(error as Error).message}`;
    }
  }

  #key(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
    if ((this.view.canvas.getActiveObject() as { isEditing?: boolean } | undefined)?.isEditing) return;
    if (!this.el.isConnected || this.el.offsetParent === null) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      if (e.shiftKey) this.#client.redo();
      else this.#client.undo();
      return;
    }
    if (mod && e.key.toLowerCase() === 'y') {
      e.preventDefault();
      this.#client.redo();
      return;
    }
    if (e.key === 'Delete' || e.key === 'Backspace') {
      this.view.deleteSelection();
      return;
    }
    if (mod || e.altKey) return;
    const tool = TOOLS.find((t) => t.key === e.key.toLowerCase());
    if (tool) this.setTool(tool.tool);
  }

  destroy(): void {
    document.removeEventListener('keydown', this.#onKey);
    for (const off of this.#offs) off();
    this.view.destroy();
    this.el.remove();
    if (window.__board?.view === this.view) window.__board = undefined;
  }
}
