import { BoardIdSchema } from '@muster/whiteboard/client';
import { h } from '../lib/dom.ts';
import { getPref, setPref } from '../lib/prefs.ts';
import { brand } from '../pages/brand.ts';
import { renderNotFound } from '../pages/notFound.ts';
import { standaloneBoardClient } from './connect.ts';
import { BoardWorkspace } from './workspace.ts';

/**
 * `/b/<board id>`: a standalone board, outside any meeting. Asks for a name
 * once (remembered like the meeting's), then opens the board; whoever
 * creates it is its host.
 */
export function renderBoardPage(root: HTMLElement, boardId: string, params: URLSearchParams): () => void {
  if (!BoardIdSchema.safeParse(boardId).success || boardId.startsWith('m.')) return renderNotFound(root, 'That is not a board link.');
  document.title = `${boardId} · Board · Muster`;
  let cleanup: (() => void) | null = null;

  const open = (name: string) => {
    setPref('name', name);
    root.replaceChildren();
    const client = standaloneBoardClient(boardId, name);
    const status = h('span', { class: 'board-page-status', 'data-testid': 'board-connection' }, 'Connecting…');
    const workspace = new BoardWorkspace({ client, notify: (message) => (status.textContent = message) });
    root.append(h('div', { class: 'board-page-shell' }, h('header', { class: 'board-page-header' }, brand(true), h('strong', null, boardId), status), workspace.el));
    client.on('ready', () => (status.textContent = 'Connected'));
    client.on('failed', (error) => (status.textContent = `Could not open the board: ${error.message}`));
    client.socket.on('disconnect', () => (status.textContent = 'Reconnecting…'));
    void client.join().catch(() => undefined);
    cleanup = () => {
      workspace.destroy();
      client.close();
      client.socket.close();
    };
  };

  const preset = params.get('name')?.trim() || getPref('name');
  if (preset) {
    open(preset.slice(0, 64));
  } else {
    const input = h('input', { type: 'text', maxlength: '64', required: true, placeholder: 'Your name', 'data-testid': 'board-name', 'aria-label': 'Your name' });
    const form = h(
      'form',
      { class: 'notice-card' },
      h('h1', null, 'Open board'),
      h('p', null, boardId),
      input,
      h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'board-open' }, 'Open'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (input.value.trim()) open(input.value.trim());
    });
    root.append(h('div', { class: 'center-page' }, h('header', { class: 'home-header' }, brand()), form));
  }
  return () => cleanup?.();
}
