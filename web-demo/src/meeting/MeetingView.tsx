import { useEffect, useRef, useState } from 'preact/hooks';
import { meetingLink } from '../app/router.ts';
import { AnnotationSlot, BoardPanel } from '../board/MeetingBoardView.tsx';
import { CopyButton } from '../ui/CopyButton.tsx';
import { PopoverMenuLayer } from '../ui/PopoverMenu.tsx';
import { ChatPanel } from './ChatPanel.tsx';
import { Controls } from './Controls.tsx';
import './controls.css';
import { LobbyNotice } from './HostTools.tsx';
import { annotationTile } from './mainTile.ts';
import { ConnectionBanner, ToastList } from './Notices.tsx';
import { openHostMenu, PeoplePanel, SettingsPanel } from './Panels.tsx';
import { RemoteAudio } from './RemoteAudio.tsx';
import { Stage } from './Stage.tsx';
import { MeetingStore, type MeetingOptions } from './store.ts';
import { Tile } from './Tile.tsx';
import { remoteIdOf } from './tiles.ts';
import { TopBar } from './TopBar.tsx';

export type { MeetingEnd, MeetingOptions } from './store.ts';

/**
 * The meeting screen. Its MeetingStore lives as long as the screen does:
 * created with it (connecting at once), and leaving the meeting when it goes
 * away (another route, the back button).
 */
export function MeetingView(props: MeetingOptions) {
  const [store] = useState(() => new MeetingStore(props));
  useEffect(() => {
    store.start();
    return () => store.dispose();
  }, []);
  useEffect(() => {
    document.title = `${props.roomId} · Muster`;
  }, []);

  const root = useRef<HTMLDivElement>(null);
  const m = store.meeting.value;
  const state = m.state;
  const joined = store.joined.value;
  const lobbyWaiting = store.lobbyWaiting.value;
  const panel = store.panel.value;
  const stage = store.stage.value;
  const tiles = store.tiles.value;
  const mainKey = store.mainKey.value;
  const annotating = store.board.annotating.value;
  const annotated = annotating ? annotationTile(stage.layout, mainKey, tiles) : null;
  const startsAt = m.info?.startsAt ?? null;
  const banner = state === 'reconnecting' ? 'Connection lost. Reconnecting…' : store.mediaReconnecting.value ? 'Reconnecting audio and video…' : null;

  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void root.current?.requestFullscreen().catch(() => store.toasts.show('Full screen is not available here.', { kind: 'error' }));
  };

  return (
    <div
      ref={root}
      class={`meeting${panel ? ' panel-open' : ''}`}
      data-testid="meeting"
      data-joined={String(store.published.value)}
      data-connection-state={state}
      data-layout={stage.layout}
    >
      <ConnectionBanner message={banner} />
      <TopBar store={store} onFullscreen={toggleFullscreen} />
      <div class="meeting-body">
        <Stage
          layout={stage.layout}
          tiles={tiles}
          mainKey={mainKey}
          onRendered={() => store.checkTileSizes()}
          renderTile={(tile, place) => (
            <Tile
              key={tile.key}
              tile={tile}
              pinned={tile.key === stage.pinnedKey}
              isMain={place.isMain}
              inStrip={place.inStrip}
              onPin={store.togglePin}
              onMenu={(key, anchor) => openHostMenu(store, remoteIdOf(key) ?? '', anchor)}
            >
              {tile.key === annotated && <AnnotationSlot board={store.board} />}
            </Tile>
          )}
        />
        <BoardPanel board={store.board} />
        <div class="joining" data-testid="joining" hidden={joined || lobbyWaiting || state !== 'connecting'}>
          <span class="spinner spinner-lg" aria-hidden="true" />
          <span>Joining…</span>
        </div>
        <div class="joining lobby-screen" data-testid="lobby-screen" hidden={joined || !lobbyWaiting || state === 'disconnected'}>
          <span class="spinner spinner-lg" aria-hidden="true" />
          <strong>Waiting for the host to let you in</strong>
          <span class="hint">The meeting has a lobby. You will join as soon as a host admits you.</span>
          <span class="hint" data-testid="lobby-starts-at" hidden={startsAt === null}>
            {startsAt === null ? '' : `Scheduled for ${new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(startsAt)}`}
          </span>
          <button class="btn btn-ghost" type="button" data-testid="lobby-leave" onClick={() => void store.leave()}>
            Leave
          </button>
        </div>
        <div class="alone-hint" data-testid="alone-hint" hidden={!joined || m.remotes.length > 0 || panel !== null}>
          <span>You are the only one here.</span>
          <CopyButton class="link-btn" icon="copy" label="Copy invite link" promptLabel="Copy this meeting link" text={() => meetingLink(props.roomId)} />
        </div>
        <LobbyNotice store={store} />
        <PeoplePanel store={store} />
        <ChatPanel store={store} />
        <SettingsPanel store={store} />
      </div>
      <Controls store={store} />
      <ToastList toasts={store.toasts} />
      <RemoteAudio store={store} />
      <PopoverMenuLayer />
    </div>
  );
}
