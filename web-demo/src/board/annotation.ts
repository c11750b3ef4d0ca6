import { ANNOTATION_PAGE_ID, ANNOTATION_WIDTH, type BoardClient } from '@muster/whiteboard/client';
import { h } from '../lib/dom.ts';
import { BoardView, type Tool } from './BoardView.ts';
import { compositeFrame, downloadDataUrl } from './exports.ts';
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
 * Marks over a shared screen. The layer covers exactly the picture inside the
 * video element (object-fit: contain leaves bars), and board units are tied
 * to the frame: it is ANNOTATION_WIDTH units wide whatever its size on this
 * screen, so a mark sits on the same point of the picture for everyone.
 */
export class AnnotationOverlay {
  readonly video: HTMLVideoElement;
  readonly view: BoardView;
  readonly #el: HTMLElement;
  readonly #resize: ResizeObserver;
  readonly #offs: (() => void)[] = [];
  readonly #onVideoResize = () => this.align();

  constructor(client: BoardClient, video: HTMLVideoElement, notify: (message: string, kind?: 'info' | 'error') => void) {
    this.video = video;
    const host = video.parentElement!;
    this.#el = h('div', { class: 'annotation-layer', 'data-testid': 'annotation-layer' });
    const bar = h('div', { class: 'annotation-bar', 'data-testid': 'annotation-bar' });
    host.append(this.#el, bar);
    this.view = new BoardView(this.#el, { client, page: ANNOTATION_PAGE_ID, overlay: true });
    this.view.setStyle({ stroke: '#ff2d55', strokeWidth: 4 });
    const tools = new Map<Tool, HTMLButtonElement>();
    const setTool = (tool: Tool) => {
      this.view.setTool(tool);
      for (const [t, b] of tools) b.setAttribute('aria-pressed', String(t === tool));
    };
    for (const { tool, label } of ANNOTATE_TOOLS) {
      const b = h('button', { type: 'button', class: 'board-tool', 'data-testid': `annotate-${tool}`, 'aria-pressed': 'false' }, label);
      b.addEventListener('click', () => setTool(tool));
      tools.set(tool, b);
      bar.append(b);
    }
    const undo = h('button', { type: 'button', class: 'board-btn', 'data-testid': 'annotate-undo' }, 'Undo');
    undo.addEventListener('click', () => client.undo());
    const clear = h('button', { type: 'button', class: 'board-btn', 'data-testid': 'annotate-clear', hidden: true }, 'Clear all');
    clear.addEventListener('click', () => void client.clear(ANNOTATION_PAGE_ID).catch((e: Error) => notify(e.message, 'error')));
    const save = h('button', { type: 'button', class: 'board-btn', 'data-testid': 'annotate-save' }, 'Save PNG');
    save.addEventListener('click', () => downloadDataUrl(this.composite().toDataURL('image/png'), 'annotated-screen.png'));
    bar.append(undo, clear, save);
    const syncRights = () => {
      clear.hidden = !(client.self?.isHost || client.self?.isPresenter);
      for (const [tool, b] of tools) b.disabled = !client.canDraw && tool !== 'select';
    };
    this.#offs.push(client.on('rights', syncRights));
    syncRights();
    const ensurePage = () => {
      if (client.canDraw && !client.doc.pages.has(ANNOTATION_PAGE_ID)) client.ensurePage(ANNOTATION_PAGE_ID, 'Screen annotations');
    };
    this.#offs.push(client.on('ready', ensurePage));
    if (client.joined) ensurePage();
    // Start with the pen once the right to draw is known (the join may still be running).
    let chosen = false;
    for (const b of tools.values()) b.addEventListener('click', () => (chosen = true));
    const defaultTool = () => {
      if (!chosen) setTool(client.canDraw ? 'pen' : 'select');
    };
    this.#offs.push(client.on('rights', defaultTool));
    defaultTool();

    this.#resize = new ResizeObserver(() => this.align());
    this.#resize.observe(video);
    video.addEventListener('resize', this.#onVideoResize);
    video.addEventListener('loadedmetadata', this.#onVideoResize);
    window.__annotate = { view: this.view, video, frame: () => contentFrame(video) };
    this.align();
  }

  /** Lays the layer over the picture and scales board units to it. */
  align(): void {
    const frame = contentFrame(this.video);
    Object.assign(this.#el.style, { left: `${frame.left}px`, top: `${frame.top}px`, width: `${frame.width}px`, height: `${frame.height}px` });
    this.view.fitToContainer();
    this.view.setViewport(frame.width / ANNOTATION_WIDTH || 1);
  }

  /** The current frame with the marks, at the video's resolution. */
  composite(): HTMLCanvasElement {
    return compositeFrame(this.video, (width, height) =>
      this.view.renderRegion({ left: 0, top: 0, width: ANNOTATION_WIDTH, height: (ANNOTATION_WIDTH * height) / width }, width / ANNOTATION_WIDTH),
    );
  }

  destroy(): void {
    for (const off of this.#offs) off();
    this.#resize.disconnect();
    this.video.removeEventListener('resize', this.#onVideoResize);
    this.video.removeEventListener('loadedmetadata', this.#onVideoResize);
    this.view.destroy();
    this.#el.remove();
    this.video.parentElement?.querySelector('.annotation-bar')?.remove();
    if (window.__annotate?.view === this.view) window.__annotate = undefined;
  }
}
