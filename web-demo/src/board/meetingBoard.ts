import { signal } from '@preact/signals';
import type { Room } from '@muster/signaling/client';
import type { BoardClient } from '@muster/whiteboard/client';

/** The board code (fabric.js, milsymbol, Yjs) loads when someone first opens the board, not with every meeting. */
const loadBoard = () =>
  Promise.all([import('./connect.ts'), import('./BoardWorkspace.tsx'), import('./AnnotationLayer.tsx')]).then(([connect, workspace, annotation]) => ({
    ...connect,
    ...workspace,
    ...annotation,
  }));
export type BoardModules = Awaited<ReturnType<typeof loadBoard>>;

export type Notify = (message: string, kind?: 'info' | 'error') => void;

/**
 * The meeting's board, as state: the panel over the stage with the full
 * workspace, and "annotate", a transparent layer on the shared screen. Both
 * use one BoardClient over the meeting's own socket.io connection, created
 * when first needed. board/MeetingBoardView.tsx draws the buttons and the
 * panel; the shared screen's tile draws the annotation layer.
 */
export class MeetingBoard {
  readonly open = signal(false);
  readonly annotating = signal(false);
  /** The board code and the meeting's client, once the board or annotation was first asked for. */
  readonly loaded = signal<{ modules: BoardModules; client: BoardClient } | null>(null);
  /** The workspace, once shown, stays (hidden) for the rest of the meeting: page, zoom and tool survive closing the panel. */
  readonly workspaceMounted = signal(false);
  readonly notify: Notify;
  readonly #room: Room;
  readonly #roomId: string;
  #modules: Promise<BoardModules> | null = null;
  #destroyed = false;

  constructor(room: Room, roomId: string, notify: Notify) {
    this.#room = room;
    this.#roomId = roomId;
    this.notify = notify;
  }

  async #ready(): Promise<boolean> {
    const manager = this.#room.socket?.io;
    if (!manager) {
      this.notify('Join the meeting first.', 'error');
      return false;
    }
    this.#modules ??= loadBoard();
    const modules = await this.#modules;
    if (this.#destroyed) return false;
    if (!this.loaded.peek()) {
      const client = modules.meetingBoardClient(manager, this.#roomId, this.#room.localParticipant?.name ?? 'Me');
      client.on('failed', (error) => this.notify(`The board is not available: ${error.message}`, 'error'));
      void client.join().catch(() => undefined);
      this.loaded.value = { modules, client };
    }
    return true;
  }

  async toggleBoard(): Promise<void> {
    if (this.open.peek()) {
      this.open.value = false;
      return;
    }
    this.open.value = true;
    if (!(await this.#ready())) {
      this.open.value = false;
      return;
    }
    this.workspaceMounted.value = true;
  }

  async toggleAnnotate(): Promise<void> {
    this.annotating.value = !this.annotating.peek();
    if (this.annotating.peek() && !(await this.#ready())) this.annotating.value = false;
  }

  destroy(): void {
    this.#destroyed = true;
    this.loaded.peek()?.client.close();
  }
}
