import type { Room } from '@muster/signaling/client';
import type { BoardClient } from '@muster/whiteboard/client';
import { h } from '../lib/dom.ts';
import type { AnnotationOverlay } from './annotation.ts';
import type { BoardWorkspace } from './workspace.ts';
import './meetingBoard.css';

/** The board code (fabric.js, milsymbol, Yjs) loads when someone first opens the board, not with every meeting. */
const loadBoard = () => Promise.all([import('./connect.ts'), import('./workspace.ts'), import('./annotation.ts')]).then(([connect, workspace, annotation]) => ({ ...connect, ...workspace, ...annotation }));
type BoardModules = Awaited<ReturnType<typeof loadBoard>>;

/**
 * The meeting's board: a panel over the stage with the full workspace, and
 * "annotate", a transparent layer on the shared screen. Both use one
 * BoardClient over the meeting's own socket.io connection, created when first
 * needed.
 */
export class MeetingBoard {
  readonly boardButton: HTMLButtonElement;
  readonly annotateButton: HTMLButtonElement;
  readonly panel: HTMLElement;
  readonly #room: Room;
  readonly #roomId: string;
  readonly #notify: (message: string, kind?: 'info' | 'error') => void;
  #modules: Promise<BoardModules> | null = null;
  #client: BoardClient | null = null;
  #workspace: BoardWorkspace | null = null;
  #annotation: AnnotationOverlay | null = null;
  #annotating = false;
  #root: HTMLElement | null = null;
  #destroyed = false;

  constructor(room: Room, roomId: string, notify: (message: string, kind?: 'info' | 'error') => void) {
    this.#room = room;
    this.#roomId = roomId;
    this.#notify = notify;
    this.boardButton = h('button', { type: 'button', class: 'ctl ctl-text', 'data-testid': 'board-toggle', 'aria-pressed': 'false', title: 'Whiteboard' }, 'Board');
    this.annotateButton = h('button', { type: 'button', class: 'ctl ctl-text', 'data-testid': 'annotate-toggle', 'aria-pressed': 'false', title: 'Annotate the shared screen', hidden: true }, 'Annotate');
    this.panel = h('section', { class: 'meeting-board', 'data-testid': 'board-panel', hidden: true });
    this.boardButton.addEventListener('click', () => void this.toggleBoard());
    this.annotateButton.addEventListener('click', () => void this.toggleAnnotate());
  }

  async #ready(): Promise<{ modules: BoardModules; client: BoardClient } | null> {
    const manager = this.#room.socket?.io;
    if (!manager) {
      this.#notify('Join the meeting first.', 'error');
      return null;
    }
    this.#modules ??= loadBoard();
    const modules = await this.#modules;
    if (this.#destroyed) return null;
    if (!this.#client) {
      this.#client = modules.meetingBoardClient(manager, this.#roomId, this.#room.localParticipant?.name ?? 'Me');
      this.#client.on('failed', (error) => this.#notify(`The board is not available: ${error.message}`, 'error'));
      void this.#client.join().catch(() => undefined);
    }
    return { modules, client: this.#client };
  }

  async toggleBoard(): Promise<void> {
    if (!this.panel.hidden) {
      this.panel.hidden = true;
      this.boardButton.setAttribute('aria-pressed', 'false');
      return;
    }
    this.boardButton.setAttribute('aria-pressed', 'true');
    const ready = await this.#ready();
    if (!ready) return this.boardButton.setAttribute('aria-pressed', 'false');
    if (!this.#workspace) {
      this.#workspace = new ready.modules.BoardWorkspace({ client: ready.client, notify: this.#notify });
      this.panel.append(this.#workspace.el);
    }
    this.panel.hidden = false;
    requestAnimationFrame(() => this.#workspace?.view.fitToContainer());
  }

  async toggleAnnotate(): Promise<void> {
    this.#annotating = !this.#annotating;
    this.annotateButton.setAttribute('aria-pressed', String(this.#annotating));
    if (this.#annotating && !(await this.#ready())) {
      this.#annotating = false;
      this.annotateButton.setAttribute('aria-pressed', 'false');
    }
    if (this.#root) this.sync(this.#root);
  }

  /** Called on every meeting re-render: shows "Annotate" while a screen is shared, and keeps the layer on the right video. */
  sync(root: HTMLElement): void {
    this.#root = root;
    const video = sharedVideo(root);
    this.annotateButton.hidden = !video && !this.#annotating;
    const want = this.#annotating && video ? video : null;
    if (this.#annotation && this.#annotation.video !== want) {
      this.#annotation.destroy();
      this.#annotation = null;
    }
    if (want && !this.#annotation) {
      // Only once the board code is loaded (toggleAnnotate awaited it).
      void this.#modules?.then((modules) => {
        if (this.#annotation || this.#destroyed || !this.#client || !this.#annotating || sharedVideo(root) !== want) return;
        this.#annotation = new modules.AnnotationOverlay(this.#client, want, this.#notify);
      });
    }
    this.#annotation?.align();
  }

  destroy(): void {
    this.#destroyed = true;
    this.#annotation?.destroy();
    this.#workspace?.destroy();
    this.#client?.close();
    this.panel.remove();
  }
}

/** The shared screen on show: someone else's on the main screen first, else our own preview. */
function sharedVideo(root: HTMLElement): HTMLVideoElement | null {
  const candidates = [
    ...root.querySelectorAll<HTMLVideoElement>('[data-testid="main-screen"] [data-source="screen"] video'),
    ...root.querySelectorAll<HTMLVideoElement>('[data-source="screen"] video'),
  ];
  return candidates.find((v) => v.isConnected && v.clientWidth > 0) ?? null;
}

