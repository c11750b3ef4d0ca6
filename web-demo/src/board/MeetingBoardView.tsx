import { useContext } from 'preact/hooks';
import { TileVideo } from '../meeting/Tile.tsx';
import type { MeetingBoard } from './meetingBoard.ts';
import './meetingBoard.css';

/** "Board" and "Annotate" in the meeting's control bar. Annotate shows while a screen is shared (or while annotating). */
export function BoardButtons({ board, screenShown }: { board: MeetingBoard; screenShown: boolean }) {
  const annotating = board.annotating.value;
  return (
    <>
      <button type="button" class="ctl ctl-text" data-testid="board-toggle" aria-pressed={board.open.value} title="Whiteboard" onClick={() => void board.toggleBoard()}>
        Board
      </button>
      <button
        type="button"
        class="ctl ctl-text"
        data-testid="annotate-toggle"
        aria-pressed={annotating}
        title="Annotate the shared screen"
        hidden={!screenShown && !annotating}
        onClick={() => void board.toggleAnnotate()}
      >
        Annotate
      </button>
    </>
  );
}

/** The board panel over the stage: the full workspace, kept (hidden) once it was first opened. */
export function BoardPanel({ board }: { board: MeetingBoard }) {
  const loaded = board.loaded.value;
  const mounted = board.workspaceMounted.value && loaded;
  const open = board.open.value;
  return (
    <section class="meeting-board" data-testid="board-panel" hidden={!open || !mounted}>
      {mounted && <loaded.modules.BoardWorkspace client={loaded.client} notify={board.notify} visible={open} />}
    </section>
  );
}

/** The annotation layer, in the tile of the shared screen being annotated, once the board code is in. */
export function AnnotationSlot({ board }: { board: MeetingBoard }) {
  const loaded = board.loaded.value;
  const video = useContext(TileVideo);
  if (!loaded || !video) return null;
  return <loaded.modules.AnnotationLayer client={loaded.client} notify={board.notify} video={video} />;
}
