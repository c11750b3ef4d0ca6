import './styles.css';
import { renderHome } from './pages/home.ts';
import { renderNotFound } from './pages/notFound.ts';
import { renderRoomPage } from './pages/room.ts';
import { navigate, onRouteChange, parseRoute } from './router.ts';

/** A page renders into the app root and returns its cleanup (leave the call, stop devices…). */
export type Cleanup = () => void;

const app = document.getElementById('app')!;
let cleanup: Cleanup | void;

function render(): void {
  cleanup?.();
  cleanup = undefined;
  app.replaceChildren();
  const route = parseRoute();
  switch (route.name) {
    case 'home':
      document.title = 'Muster';
      cleanup = renderHome(app);
      break;
    case 'room':
      cleanup = renderRoomPage(app, route.roomId, route.params);
      break;
    case 'board': {
      // The board code (fabric.js, milsymbol, Yjs) is its own chunk: meetings load without it.
      let closed = false;
      let close: Cleanup | void;
      void import('./board/boardPage.ts').then(({ renderBoardPage }) => {
        if (!closed) close = renderBoardPage(app, route.boardId, route.params);
      });
      cleanup = () => {
        closed = true;
        close?.();
      };
      break;
    }
    default:
      cleanup = renderNotFound(app);
  }
}

// In-app links change the route without reloading (and without dropping a call mid-way by accident).
document.addEventListener('click', (event) => {
  const link = (event.target as Element | null)?.closest?.('a[data-link]') as HTMLAnchorElement | null;
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(link.getAttribute('href') ?? '/');
});

onRouteChange(render);
render();
