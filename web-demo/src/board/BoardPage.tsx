import { BoardIdSchema } from '@muster/whiteboard/client';
import { useEffect, useState } from 'preact/hooks';
import { currentUser, socketAccessToken } from '../account/session.ts';
import { getPref, setPref } from '../lib/prefs.ts';
import { NotFoundPage } from '../pages/NotFoundPage.tsx';
import { Brand } from '../ui/Brand.tsx';
import { BoardWorkspace } from './BoardWorkspace.tsx';
import { standaloneBoardClient } from './connect.ts';

/**
 * `/b/<board id>`: a standalone board, outside any meeting. Asks for a name
 * once (remembered like the meeting's), then opens the board; whoever
 * creates it is its host.
 */
export function BoardPage({ boardId, params }: { boardId: string; params: URLSearchParams }) {
  const valid = BoardIdSchema.safeParse(boardId).success && !boardId.startsWith('m.');
  // Signed in, the board names you from your profile.
  const [name, setName] = useState(() => (currentUser.peek()?.nickname || params.get('name')?.trim() || getPref('name') || '').slice(0, 64));
  const [typed, setTyped] = useState('');
  useEffect(() => {
    if (valid) document.title = `${boardId} · Board · Muster`;
  }, []);

  if (!valid) return <NotFoundPage message="That is not a board link." />;
  if (name) return <OpenBoard boardId={boardId} name={name} />;
  return (
    <div class="center-page">
      <header class="home-header">
        <Brand />
      </header>
      <form
        class="notice-card"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed.trim()) setName(typed.trim());
        }}
      >
        <h1>Open board</h1>
        <p>{boardId}</p>
        <input type="text" maxLength={64} required placeholder="Your name" data-testid="board-name" aria-label="Your name" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        <button class="btn btn-primary" type="submit" data-testid="board-open">
          Open
        </button>
      </form>
    </div>
  );
}

function OpenBoard({ boardId, name }: { boardId: string; name: string }) {
  const [client] = useState(() => {
    const accessToken = socketAccessToken();
    if (!accessToken) setPref('name', name);
    return standaloneBoardClient(boardId, name, accessToken);
  });
  const [status, setStatus] = useState('Connecting…');
  useEffect(() => {
    const offs = [client.on('ready', () => setStatus('Connected')), client.on('failed', (error) => setStatus(`Could not open the board: ${error.message}`))];
    const onDisconnect = () => setStatus('Reconnecting…');
    client.socket.on('disconnect', onDisconnect);
    void client.join().catch(() => undefined);
    return () => {
      offs.forEach((off) => off());
      client.socket.off('disconnect', onDisconnect);
      client.close();
      client.socket.close();
    };
  }, []);
  return (
    <div class="board-page-shell">
      <header class="board-page-header">
        <Brand compact />
        <strong>{boardId}</strong>
        <span class="board-page-status" data-testid="board-connection">
          {status}
        </span>
      </header>
      <BoardWorkspace client={client} notify={setStatus} />
    </div>
  );
}
