import { ANNOTATION_PAGE_ID, ANNOTATION_WIDTH, type BoardClient } from '@muster/whiteboard/client';
import type { RefObject } from 'preact';
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { BoardCanvas } from './canvas/BoardCanvas.tsx';
import type { BoardView, Tool } from './canvas/BoardView.ts';
import { compositeFrame, saveFile } from './download.ts';
import { contentFrame, type ContentFrame } from './frame.ts';
import './board.css';

declare global {
  interface Window {
    /** Test and debugging hook: the annotation layer over a shared screen, while on. */
    __annotate?: { view: BoardView; video: HTMLVideoElement; frame(): ContentFrame };
  }
}

const ANNOTATE_TOOLS: { tool: Tool; label: string }[] = [
  { tool: 'pen', label: 'Pen' },
  { tool: 'arrow', label: 'Arrow' },
  { tool: 'rect', label: 'Box' },
  { tool: 'ellipse', label: 'Circle' },
  { tool: 'symbol', label: 'Symbol' },
  { tool: 'text', label: 'Text' },
  { tool: 'eraser', label: 'Eraser' },
  { tool: 'select', label: 'Move' },
];

/**
 * Marks over a shared screen, drawn inside its tile. The layer covers exactly
 * the picture inside the video element (object-fit: contain leaves bars), and
 * board units are tied to the frame: it is ANNOTATION_WIDTH units wide
 * whatever its size on this screen, so a mark sits on the same point of the
 * picture for everyone.
 */
export function AnnotationLayer({ client, notify, video }: { client: BoardClient; notify(message: string, kind?: 'info' | 'error'): void; video: RefObject<HTMLVideoElement | null> }) {
  const layer = useRef<HTMLDivElement>(null);
  const download = useRef<HTMLAnchorElement>(null);
  const [view, setView] = useState<BoardView | null>(null);
  const [tool, setToolState] = useState<Tool | null>(null);
  /** The person picked a tool: the default (pen, once drawing is allowed) no longer applies. */
  const chosen = useRef(false);
  const [, rightsChanged] = useReducer((n: number) => n + 1, 0);

  const setTool = (next: Tool) => {
    view?.setTool(next);
    setToolState(next);
  };

  useEffect(() => {
    const el = video.current;
    const host = layer.current;
    if (!view || !el || !host) return;
    /** Lays the layer over the picture and scales board units to it. */
    const align = () => {
      const frame = contentFrame(el);
      Object.assign(host.style, { left: `${frame.left}px`, top: `${frame.top}px`, width: `${frame.width}px`, height: `${frame.height}px` });
      view.fitToContainer();
      view.setViewport(frame.width / ANNOTATION_WIDTH || 1);
    };
    view.setStyle({ stroke: '#ff2d55', strokeWidth: 4 });
    // Start with the pen once the right to draw is known (the join may still be running).
    const defaultTool = () => {
      if (chosen.current) return;
      const next = client.canDraw ? 'pen' : 'select';
      view.setTool(next);
      setToolState(next);
    };
    const ensurePage = () => {
      if (client.canDraw && !client.doc.pages.has(ANNOTATION_PAGE_ID)) client.ensurePage(ANNOTATION_PAGE_ID, 'Screen annotations');
    };
    const offs = [
      client.on('rights', () => {
        rightsChanged(0);
        defaultTool();
      }),
      client.on('ready', ensurePage),
    ];
    if (client.joined) ensurePage();
    defaultTool();
    const resize = new ResizeObserver(align);
    resize.observe(el);
    el.addEventListener('resize', align);
    el.addEventListener('loadedmetadata', align);
    window.__annotate = { view, video: el, frame: () => contentFrame(el) };
    align();
    return () => {
      offs.forEach((off) => off());
      resize.disconnect();
      el.removeEventListener('resize', align);
      el.removeEventListener('loadedmetadata', align);
      if (window.__annotate?.view === view) window.__annotate = undefined;
    };
  }, [view]);

  /** The current frame with the marks, at the video's resolution. */
  const savePng = async () => {
    const el = video.current;
    if (!view || !el) return;
    const png = await compositeFrame(el, (width, height) =>
      view.renderRegion({ left: 0, top: 0, width: ANNOTATION_WIDTH, height: (ANNOTATION_WIDTH * height) / width }, width / ANNOTATION_WIDTH),
    );
    saveFile(download.current!, png, 'annotated-screen.png');
  };

  return (
    <>
      <BoardCanvas class="annotation-layer" testId="annotation-layer" hostRef={layer} client={client} page={ANNOTATION_PAGE_ID} overlay onView={setView} />
      <div class="annotation-bar" data-testid="annotation-bar">
        {ANNOTATE_TOOLS.map((t) => (
          <button
            key={t.tool}
            type="button"
            class="board-tool"
            data-testid={`annotate-${t.tool}`}
            aria-pressed={t.tool === tool}
            disabled={!client.canDraw && t.tool !== 'select'}
            onClick={() => {
              chosen.current = true;
              setTool(t.tool);
            }}
          >
            {t.label}
          </button>
        ))}
        <button type="button" class="board-btn" data-testid="annotate-undo" onClick={() => client.undo()}>
          Undo
        </button>
        <button
          type="button"
          class="board-btn"
          data-testid="annotate-clear"
          hidden={!(client.self?.isHost || client.self?.isPresenter)}
          onClick={() => void client.clear(ANNOTATION_PAGE_ID).catch((e: Error) => notify(e.message, 'error'))}
        >
          Clear all
        </button>
        <button type="button" class="board-btn" data-testid="annotate-save" onClick={() => void savePng()}>
          Save PNG
        </button>
        <a ref={download} hidden rel="noopener" />
      </div>
    </>
  );
}
