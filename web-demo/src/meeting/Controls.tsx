import { useEffect, useState } from 'preact/hooks';
import { BoardButtons } from '../board/MeetingBoardView.tsx';
import { showMenu, type MenuItem } from '../ui/PopoverMenu.tsx';
import { ControlButton } from './ControlButton.tsx';
import { localMicOff } from './model.ts';
import type { MeetingStore } from './store.ts';

// Named as well as drawn: a kiosk without an emoji font still shows what each one is.
const REACTIONS = [
  ['👍', 'Thumbs up'],
  ['👏', 'Applause'],
  ['😂', 'Laugh'],
  ['❤️', 'Love'],
  ['🎉', 'Celebrate'],
  ['😮', 'Wow'],
] as const;

function reactionItems(store: MeetingStore): MenuItem[] {
  return REACTIONS.map(([emoji, name], i) => ({ label: `${emoji}  ${name}`, testId: `reaction-${i}`, run: () => store.sendReaction(emoji) }));
}

/** The bottom bar: your devices, hand, reactions, leave; panels and the board on the right. */
export function Controls({ store }: { store: MeetingStore }) {
  const m = store.meeting.value;
  const { local } = m;
  const panel = store.panel.value;
  const micOff = localMicOff(local);
  const cameraOn = !!local.camera;
  const sharing = !!local.screen;
  const handUp = m.self?.handRaisedAt != null;
  const count = m.self ? m.remotes.length + 1 : 0;
  const unread = store.chatUnread.value;
  const hasScreen = store.tiles.value.some((t) => t.kind === 'screen');

  // On a phone the bar has room for the essentials only; the rest sits behind "More".
  const more = (anchor: HTMLElement) =>
    showMenu(
      anchor,
      [
        { label: handUp ? 'Lower hand' : 'Raise hand', testId: 'more-hand', run: store.toggleHand },
        ...(local.canShareScreen ? [{ label: sharing ? 'Stop sharing' : 'Share screen', testId: 'more-share', run: store.toggleScreenShare }] : []),
        { label: 'Settings', testId: 'more-settings', run: () => store.openPanel('settings') },
        ...reactionItems(store),
      ],
      'more-menu',
    );

  return (
    <footer class="controls" data-testid="control-bar">
      <div class="controls-side controls-left">
        <Clock />
      </div>
      <div class="controls-main">
        <ControlButton testId="mic-toggle" icon={micOff ? 'micOff' : 'mic'} label={micOff ? 'Unmute microphone' : 'Mute microphone'} pressed={micOff} off={micOff} onClick={store.toggleMic} />
        <ControlButton testId="camera-toggle" icon={cameraOn ? 'video' : 'videoOff'} label={cameraOn ? 'Turn off camera' : 'Turn on camera'} pressed={!cameraOn} off={!cameraOn} onClick={store.toggleCamera} />
        <ControlButton testId="camera-switch" icon="flip" label="Switch camera" hidden={local.cameraCount < 2} disabled={!cameraOn || local.busy} onClick={store.switchCamera} />
        <ControlButton
          testId="screenshare-toggle"
          icon={sharing ? 'screenOff' : 'screen'}
          label={sharing ? 'Stop sharing' : 'Share screen'}
          pressed={sharing}
          active={sharing}
          hidden={!local.canShareScreen}
          onClick={store.toggleScreenShare}
        />
        <ControlButton testId="hand-toggle" icon="hand" label={handUp ? 'Lower hand' : 'Raise hand'} pressed={handUp} active={handUp} extra="ctl-toggle" onClick={() => void store.toggleHand()} />
        <ControlButton testId="reactions-toggle" icon="smile" label="Reactions" onClick={(event) => showMenu(event.currentTarget, reactionItems(store), 'reactions-menu')} />
        <ControlButton testId="more-toggle" icon="more" label="More" extra="ctl-more" onClick={(event) => more(event.currentTarget)} />
        <ControlButton testId="leave" icon="leave" label="Leave meeting" extra="ctl-leave" disabled={store.leaving.value} onClick={() => void store.leave()} />
      </div>
      <div class="controls-side controls-right">
        <BoardButtons board={store.board} screenShown={hasScreen} />
        <ControlButton testId="participants-toggle" icon="users" label="People" expanded={panel === 'people'} active={panel === 'people'} onClick={() => store.openPanel('people')}>
          <span class="ctl-badge" data-testid="participant-count">
            {String(count)}
          </span>
        </ControlButton>
        <ControlButton testId="chat-toggle" icon="chat" label="Chat" expanded={panel === 'chat'} active={panel === 'chat'} onClick={() => store.openPanel('chat')}>
          <span class="ctl-badge ctl-badge-alert" data-testid="chat-unread" hidden={unread === 0}>
            {String(unread)}
          </span>
        </ControlButton>
        <ControlButton testId="settings-toggle" icon="settings" label="Settings" expanded={panel === 'settings'} active={panel === 'settings'} onClick={() => store.openPanel('settings')} />
      </div>
    </footer>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** A clock in the control bar, as in a meeting room. */
function Clock() {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 10_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <span class="clock" aria-hidden="true">
      {timeFormat.format(now)}
    </span>
  );
}
