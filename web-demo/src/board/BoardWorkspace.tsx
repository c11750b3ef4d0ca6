import { effect } from '@preact/signals';
import { BoardJsonSchema, DEFAULT_PAGE_ID, TACTICAL_KINDS, type BoardClient, type BoardObject, type DrawMode, type TacticalKind } from '@muster/whiteboard/client';
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { BoardCanvas } from './canvas/BoardCanvas.tsx';
import { DEFAULT_DRAW_STYLE, type BoardView, type Tool } from './canvas/BoardView.ts';
import { saveFile } from './download.ts';
import { PaletteState } from './paletteState.ts';
import { SymbolPalette } from './SymbolPalette.tsx';
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

export interface WorkspaceProps {
  client: BoardClient;
  /** Error and info messages. */
  notify(message: string, kind?: 'info' | 'error'): void;
  /** False while the meeting's board panel is closed (the workspace stays, hidden). */
  visible?: boolean;
}

/**
 * A full board: the canvas, the tools, the symbol palette, pages, who may
 * draw, and exports. The standalone page and the meeting's board panel both
 * show one of these. The canvas itself is the imperative fabric wrapper
 * (canvas/BoardCanvas.tsx); everything around it is drawn from the client's
 * state, re-read whenever the client says something changed.
 */
export function BoardWorkspace({ client, notify, visible = true }: WorkspaceProps) {
  const [view, setView] = useState<BoardView | null>(null);
  const [tool, setToolState] = useState<Tool>('select');
  const [page, setPageState] = useState(DEFAULT_PAGE_ID);
  /** An error from the last action (access, clear, import), shown until the board's state next changes. */
  const [problem, setProblem] = useState<string | null>(null);
  const [, clientChanged] = useReducer((n: number) => n + 1, 0);
  const [palette] = useState(() => new PaletteState());
  const root = useRef<HTMLDivElement>(null);
  const download = useRef<HTMLAnchorElement>(null);
  const importInput = useRef<HTMLInputElement>(null);
  // The drawing style as the inputs show it (controlled: a re-render must not put them back to the defaults).
  const [stroke, setStroke] = useState(DEFAULT_DRAW_STYLE.stroke);
  const [fillOn, setFillOn] = useState(false);
  const [fill, setFill] = useState('#ffcc00');
  const [width, setWidth] = useState(DEFAULT_DRAW_STYLE.strokeWidth);
  const [opacity, setOpacity] = useState(100);

  const self = client.self;
  const canDraw = self?.canDraw ?? false;
  const access = client.access;

  const setTool = (next: Tool) => {
    view?.setTool(next);
    setToolState(next);
  };
  const setPage = (id: string) => {
    view?.setPage(id);
    setPageState(id);
  };

  // The client's rights, pages, access and peers: re-read on every change it reports.
  useEffect(() => {
    const changed = () => {
      setProblem(null);
      clientChanged(0);
    };
    const offs = [
      client.on('rights', changed),
      client.on('ready', () => {
        palette.pinned.value = client.pinnedSymbols;
        changed();
      }),
      client.on('refused', (error) => notify(`The board refused a change: ${error.message}`, 'error')),
      client.on('awareness', () => clientChanged(0)),
    ];
    const pagesChanged = () => clientChanged(0);
    client.doc.pages.observeDeep(pagesChanged);
    offs.push(
      () => client.doc.pages.unobserveDeep(pagesChanged),
      client.on('reset', () => {
        client.doc.pages.observeDeep(pagesChanged);
        clientChanged(0);
      }),
    );
    palette.pinned.value = client.pinnedSymbols;
    return () => offs.forEach((off) => off());
  }, [client]);

  // The view, once the canvas is up: the test hook, the stamp the palette chose.
  useEffect(() => {
    if (!view) return;
    window.__board = { client, view };
    view.setTool(tool);
    const stopStamp = effect(() => {
      view.stamp = palette.stamp.value;
    });
    return () => {
      stopStamp();
      if (window.__board?.view === view) window.__board = undefined;
    };
  }, [view]);

  // Shown again (the meeting's panel): the canvas takes the size it has now.
  useEffect(() => {
    if (!visible || !view) return;
    const frame = requestAnimationFrame(() => view.fitToContainer());
    return () => cancelAnimationFrame(frame);
  }, [visible, view]);

  // Keyboard shortcuts, while this workspace is on screen and no field has the keyboard.
  const keys = useRef({ view, setTool });
  keys.current = { view, setTool };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { view, setTool } = keys.current;
      if (!view) return;
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
      if ((view.canvas.getActiveObject() as { isEditing?: boolean } | undefined)?.isEditing) return;
      if (!root.current?.isConnected || root.current.offsetParent === null) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) client.redo();
        else client.undo();
        return;
      }
      if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        client.redo();
        return;
      }
      if (e.key === 'Delete' || e.key === 'Backspace') {
        view.deleteSelection();
        return;
      }
      if (mod || e.altKey) return;
      const found = TOOLS.find((t) => t.key === e.key.toLowerCase());
      if (found) setTool(found.tool);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [client]);

  const onSelect = (objects: BoardObject[]) => {
    const symbol = objects.length === 1 && objects[0]!.type === 'symbol' ? objects[0] : null;
    palette.edit(symbol ? { sidc: symbol.sidc, modifiers: symbol.modifiers } : null);
  };
  const applyToSelection = () => {
    if (!view) return;
    const { sidc, modifiers } = palette.stamp.peek();
    for (const id of view.selectedIds()) if (client.doc.getObject(id)?.type === 'symbol') view.edit(id, { sidc, modifiers });
  };

  const setAccess = async (mode: DrawMode, allowed = client.access?.allowed ?? []) => {
    try {
      const reply = await client.setAccess({ mode, allowed });
      client.access = reply.access;
      setProblem(null);
    } catch (error) {
      setProblem((error as Error).message);
    }
    clientChanged(0);
  };
  const clear = async () => {
    if (!view || !confirm('Remove everything on this page for everyone?')) return;
    await client.clear(view.page).catch((error: Error) => setProblem(error.message));
  };
  const importJson = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const parsed = BoardJsonSchema.safeParse(JSON.parse(await file.text()));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a board');
      client.importJson({ ...parsed.data, id: client.id });
      setPage(parsed.data.pages[0]!.id);
    } catch (error) {
      setProblem(`Import failed: ${(error as Error).message}`);
    }
  };
  const save = (file: Blob | string, name: string) => saveFile(download.current!, file, name);
  const exportAs = {
    pngView: () => view && save(view.renderRegion(view.visibleBounds(), 2).toDataURL('image/png'), `${client.id}.png`),
    pngAll: () => view && save(view.renderRegion(view.bounds(), 2).toDataURL('image/png'), `${client.id}-board.png`),
    svgView: () => view && save(new Blob([view.toSvg(view.visibleBounds())], { type: 'image/svg+xml' }), `${client.id}.svg`),
    svgAll: () => view && save(new Blob([view.toSvg(view.bounds())], { type: 'image/svg+xml' }), `${client.id}-board.svg`),
    json: () => save(new Blob([JSON.stringify(client.exportJson(), null, 1)], { type: 'application/json' }), `${client.id}.json`),
  };

  const pages = client.doc.listPages().filter((p) => p.id !== 'screen');
  const status = problem ?? (!self ? 'Connecting…' : canDraw ? `${self.name}${self.isHost ? ' (host)' : ''}` : `${self.name}: view only`);
  const button = (testId: string, label: string, run: () => unknown, title = label) => (
    <button type="button" class="board-btn" data-testid={testId} title={title} onClick={() => void run()}>
      {label}
    </button>
  );

  return (
    <div class="board-workspace" data-testid="board" data-can-draw={String(canDraw)} ref={root}>
      <div class="board-toolbar">
        <div class="board-tools" role="toolbar" aria-label="Drawing tools">
          {TOOLS.map((t) => (
            <button
              key={t.tool}
              type="button"
              class="board-tool"
              data-testid={`tool-${t.tool}`}
              title={t.key ? `${t.label} (${t.key.toUpperCase()})` : t.label}
              aria-pressed={t.tool === tool}
              disabled={!canDraw && t.tool !== 'select' && t.tool !== 'pan'}
              onClick={() => setTool(t.tool)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div class="board-group">
          <input
            type="color"
            value={stroke}
            title="Colour"
            data-testid="style-stroke"
            aria-label="Colour"
            onChange={(e) => {
              setStroke(e.currentTarget.value);
              view?.setStyle({ stroke: e.currentTarget.value });
            }}
          />
          <input
            type="checkbox"
            title="Fill"
            data-testid="style-fill-on"
            aria-label="Fill shapes"
            checked={fillOn}
            onChange={(e) => {
              setFillOn(e.currentTarget.checked);
              view?.setStyle({ fill: e.currentTarget.checked ? fill : 'transparent' });
            }}
          />
          <input
            type="color"
            value={fill}
            title="Fill colour"
            data-testid="style-fill"
            aria-label="Fill colour"
            onChange={(e) => {
              setFill(e.currentTarget.value);
              view?.setStyle({ fill: fillOn ? e.currentTarget.value : 'transparent' });
            }}
          />
          <input
            type="range"
            min="1"
            max="30"
            value={String(width)}
            title="Width"
            data-testid="style-width"
            aria-label="Line width"
            onInput={(e) => setWidth(Number(e.currentTarget.value))}
            onChange={(e) => {
              setWidth(Number(e.currentTarget.value));
              view?.setStyle({ strokeWidth: Number(e.currentTarget.value) });
            }}
          />
          <input
            type="range"
            min="10"
            max="100"
            value={String(opacity)}
            title="Opacity"
            data-testid="style-opacity"
            aria-label="Opacity"
            onInput={(e) => setOpacity(Number(e.currentTarget.value))}
            onChange={(e) => {
              setOpacity(Number(e.currentTarget.value));
              view?.setStyle({ opacity: Number(e.currentTarget.value) / 100 });
            }}
          />
          <select
            data-testid="tactical-kind"
            aria-label="Tactical graphic"
            onChange={(e) => {
              if (view) view.tacticalKind = e.currentTarget.value as TacticalKind;
              setTool('tactical');
            }}
          >
            {TACTICAL_KINDS.map((k) => (
              <option key={k} value={k}>
                {k.replace(/-/g, ' ')}
              </option>
            ))}
          </select>
          <input type="text" placeholder="Label" maxLength={60} data-testid="tactical-label" aria-label="Tactical label" onInput={(e) => view && (view.tacticalLabel = e.currentTarget.value)} />
        </div>
        <div class="board-group">
          {button('board-undo', 'Undo', () => client.undo(), 'Undo your last change (Ctrl+Z)')}
          {button('board-redo', 'Redo', () => client.redo(), 'Redo (Ctrl+Shift+Z)')}
          {button('board-delete', 'Delete', () => view?.deleteSelection(), 'Delete the selection (Del)')}
          {button('zoom-in', '+', () => view?.zoomBy(1.25), 'Zoom in')}
          {button('zoom-out', '−', () => view?.zoomBy(0.8), 'Zoom out')}
          {button('zoom-reset', '1:1', () => view?.resetView(), 'Reset zoom')}
          <button type="button" class="board-btn" data-testid="board-clear" title="Clear page" hidden={!self?.isHost} onClick={() => void clear()}>
            Clear page
          </button>
        </div>
        <div class="board-group">
          {button('export-png-view', 'PNG (view)', exportAs.pngView)}
          {button('export-png-all', 'PNG (board)', exportAs.pngAll)}
          {button('export-svg-view', 'SVG (view)', exportAs.svgView)}
          {button('export-svg-all', 'SVG (board)', exportAs.svgAll)}
          {button('export-json', 'Export JSON', exportAs.json)}
          {button('import-json', 'Import JSON', () => importInput.current?.click())}
          <input ref={importInput} type="file" accept="application/json,.json" hidden data-testid="board-import-file" onChange={(e) => void importJson(e.currentTarget)} />
          {/* Downloads go through this link (see download.ts). */}
          <a ref={download} hidden rel="noopener" />
        </div>
      </div>
      <div class="board-main">
        <BoardCanvas class="board-stage" client={client} page={DEFAULT_PAGE_ID} onSelect={onSelect} onView={setView} />
        <aside class="board-side">
          <SymbolPalette palette={palette} onApply={applyToSelection} />
        </aside>
      </div>
      <div class="board-footer">
        <div class="board-pages" data-testid="board-pages">
          {pages.map((p) => (
            <button key={p.id} type="button" class="board-page" data-testid="board-page" data-page={p.id} aria-pressed={p.id === page} onClick={() => setPage(p.id)}>
              {p.name}
            </button>
          ))}
          <button
            type="button"
            class="board-page"
            data-testid="board-page-add"
            title="Add a page"
            disabled={!client.canDraw}
            onClick={() => {
              const id = `p${Date.now().toString(36)}`;
              client.ensurePage(id, `Page ${pages.length + 1}`);
              setPage(id);
            }}
          >
            +
          </button>
        </div>
        <div class="board-access">
          <select data-testid="board-access" aria-label="Who may draw" disabled={!self?.isHost} value={access?.mode ?? 'everyone'} onChange={(e) => void setAccess(e.currentTarget.value as DrawMode)}>
            <option value="everyone">Everyone draws</option>
            <option value="presenter">Presenter only</option>
            <option value="list">Named people</option>
          </select>
          <AccessList client={client} onChange={(allowed) => void setAccess('list', allowed)} />
        </div>
        <span class="board-status" data-testid="board-status">
          {status}
        </span>
      </div>
    </div>
  );
}

/** With "named people", the host ticks who may draw: everyone present, and whoever is on the list. */
function AccessList({ client, onChange }: { client: BoardClient; onChange(allowed: string[]): void }) {
  const access = client.access;
  const shown = access?.mode === 'list' && !!client.self?.isHost;
  const people = new Map<string, string>();
  if (shown) {
    for (const peer of client.peers()) people.set(peer.user.id, peer.user.name);
    for (const id of access.allowed) if (!people.has(id)) people.set(id, id.slice(0, 8));
    people.delete(client.self!.userId);
  }
  return (
    <div class="board-access-list" data-testid="board-access-list" hidden={!shown}>
      {[...people].map(([id, name]) => (
        <label key={id}>
          <input
            type="checkbox"
            data-user={id}
            checked={access!.allowed.includes(id)}
            onChange={(e) => {
              const allowed = new Set(client.access?.allowed ?? []);
              if (e.currentTarget.checked) allowed.add(id);
              else allowed.delete(id);
              onChange([...allowed]);
            }}
          />
          {name}
        </label>
      ))}
    </div>
  );
}
