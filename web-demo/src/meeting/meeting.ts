import { Room, type ChatMessage, type ControlNotice, type JoinCredentials, type LobbyEntry, type RemoteParticipant, type RemoteTrack } from '@muster/signaling/client';
import { h, setText, toggleAttr } from '../lib/dom.ts';
import { canSelectSpeaker, stopTrack } from '../lib/devices.ts';
import { icon, setIcon, type IconName } from '../lib/icons.ts';
import { getPref, setPref } from '../lib/prefs.ts';
import { copyLink } from '../lib/clipboard.ts';
import type { LocalStart } from './localMedia.ts';
import { LocalMedia } from './localMedia.ts';
import { ConnectionBanner, Toasts } from './notices.ts';
import { Panel, renderParticipantList, SettingsPanel } from './panels.ts';
import { RemoteAudio } from './remoteAudio.ts';
import { Stage, type Layout } from './stage.ts';
import { Tile, type TileState } from './tile.ts';
import { MeetingBoard } from '../board/meetingBoard.ts';
import { ChatView } from './chat.ts';
import { HostTools, LobbyNotice, renderHandQueue } from './hostTools.ts';
import { hostMenuItems, showMenu, type MenuItem } from './hostMenu.ts';
import { TopicEditor } from './topic.ts';
import './controls.css';
import { reportTileSizes } from './tileSizes.ts';

declare global {
  interface Window {
    /** Test and debugging hook: the live Room (see web-demo/README.md). */
    __muster?: { room: Room };
  }
}

export interface MeetingEnd {
  /** 'left' when the person clicked leave; the server's reason when the meeting ended; 'error' when joining failed. */
  reason: string;
  error?: string;
}

export interface MeetingOptions {
  roomId: string;
  name: string;
  /** The person's devices; may still be opening while we connect. */
  start: Promise<LocalStart>;
  onEnd(end: MeetingEnd): void;
  /** Host key, invite or passcode from the link; the meeting token of an earlier visit is added here. */
  credentials?: JoinCredentials;
}

/** Kept per tab, so a reload comes back as the same person (role, private chat) and a ban sticks. */
const tokenKey = (roomId: string) => `muster.meetingToken.${roomId}`;

interface DesiredTile {
  key: string;
  kind: 'camera' | 'screen';
  state: TileState;
}

/**
 * The meeting screen. The Room is the source of truth: every event just
 * schedules one `sync()` that reconciles the DOM with it, which keeps the
 * view right through reconnections without tracking each transition by hand.
 */
export function renderMeeting(root: HTMLElement, opts: MeetingOptions): () => void {
  // A path that stays "disconnected" for 10 s is rebuilt (a "failed" one at once).
  // The SDK's 4 s default turns every Wi-Fi hiccup or busy-CPU stall into a full
  // media rebuild, which interrupts everyone's view of this person; ICE usually
  // recovers from a short blip by itself.
  const room = new Room({ iceDisconnectedGraceMs: 10_000 });
  // The SFU picks each video's layers from the size we show it at.
  const stopTileSizes = reportTileSizes(room);
  window.__muster = { room };
  let ended = false;
  let joined = false;
  let mediaReconnecting = false;
  let scheduled = false;
  let layout: Layout = getPref('layout') === 'speaker' ? 'speaker' : 'grid';
  /** The layout to return to when the screen share that switched us to speaker view ends. */
  let layoutBeforeShare: Layout | null = null;
  let pinnedKey: string | null = null;
  let lastSpeakerId: string | null = null;
  /** Screen-share tile keys in the order they appeared: the newest one takes the main screen. */
  let screenOrder: string[] = [];
  const tiles = new Map<string, Tile>();
  const offRoom: (() => void)[] = [];

  const toasts = new Toasts();
  const board = new MeetingBoard(room, opts.roomId, (message, kind) => toasts.show(message, { kind }));
  const banner = new ConnectionBanner();
  const stage = new Stage();
  const audio = new RemoteAudio(() =>
    toasts.show('Your browser blocked the meeting sound.', { ms: 0, action: { label: 'Turn on sound', run: () => audio.unblock(), testId: 'enable-audio' } }),
  );
  const local = new LocalMedia(room, schedule, (message) => toasts.show(message, { kind: 'error' }));
  /** A refused or failed control: say why, in the server's words. */
  const report = (error: unknown) => toasts.show((error as Error)?.message || 'That did not work.', { kind: 'error' });
  let lobbyWaiting = false;
  let lastLocked: boolean | null = null;
  const topicEditor = new TopicEditor(room, opts.roomId, report);
  const chat = new ChatView(room, (message) => toasts.show(message, { kind: 'error' }));
  const hostTools = new HostTools(room, report);
  const lobbyNotice = new LobbyNotice(room, report);
  const handQueue = h('section', { class: 'hand-queue', 'data-testid': 'hand-queue', hidden: true });
  const recBadge = h('span', { class: 'rec-badge', 'data-testid': 'recording-badge', hidden: true }, 'REC');

  // ---------------------------------------------------------------- top bar

  const copyButton = h('button', { class: 'link-btn', type: 'button', title: 'Copy meeting link', 'data-testid': 'copy-link' }, icon('copy'), h('span', null, 'Copy link'));
  copyButton.addEventListener('click', () => void copyLink(opts.roomId, copyButton));
  const layoutButton = iconButton('layout-toggle', 'speaker', 'Speaker view');
  layoutButton.addEventListener('click', () => {
    layout = layout === 'grid' ? 'speaker' : 'grid';
    layoutBeforeShare = null; // the person chose; do not undo it later
    setPref('layout', layout);
    schedule();
  });
  const fullscreenButton = iconButton('fullscreen-toggle', 'fullscreen', 'Full screen');
  fullscreenButton.hidden = !document.fullscreenEnabled;
  fullscreenButton.addEventListener('click', () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void meetingEl.requestFullscreen().catch(() => toasts.show('Full screen is not available here.', { kind: 'error' }));
  });
  const onFullscreenChange = () => schedule();
  document.addEventListener('fullscreenchange', onFullscreenChange);

  const topbar = h(
    'header',
    { class: 'meeting-top' },
    h('div', { class: 'meeting-title' }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { class: 'room-code', 'data-testid': 'room-code' }, opts.roomId), topicEditor.el, recBadge, copyButton),
    h('div', { class: 'top-actions' }, layoutButton, fullscreenButton),
  );

  // ---------------------------------------------------------------- controls

  const micButton = controlButton('mic-toggle', 'mic', 'Mute microphone');
  const camButton = controlButton('camera-toggle', 'video', 'Turn off camera');
  const flipButton = controlButton('camera-switch', 'flip', 'Switch camera');
  flipButton.hidden = true; // until the cameras are counted
  const shareButton = controlButton('screenshare-toggle', 'screen', 'Share screen');
  const peopleCount = h('span', { class: 'ctl-badge', 'data-testid': 'participant-count' }, '1');
  const peopleButton = controlButton('participants-toggle', 'users', 'People');
  peopleButton.append(peopleCount);
  const settingsButton = controlButton('settings-toggle', 'settings', 'Settings');
  const leaveButton = controlButton('leave', 'leave', 'Leave meeting', 'ctl-leave');
  const handButton = controlButton('hand-toggle', 'hand', 'Raise hand', 'ctl-toggle');
  const reactionsButton = controlButton('reactions-toggle', 'smile', 'Reactions');
  const moreButton = controlButton('more-toggle', 'more', 'More', 'ctl-more');
  const chatCount = h('span', { class: 'ctl-badge ctl-badge-alert', 'data-testid': 'chat-unread', hidden: true }, '0');
  const chatButton = controlButton('chat-toggle', 'chat', 'Chat');
  chatButton.append(chatCount);
  // Named as well as drawn: a kiosk without an emoji font still shows what each one is.
  const REACTIONS = [['👍', 'Thumbs up'], ['👏', 'Applause'], ['😂', 'Laugh'], ['❤️', 'Love'], ['🎉', 'Celebrate'], ['😮', 'Wow']] as const;
  const reactionItems = (): MenuItem[] =>
    REACTIONS.map(([emoji, name], i) => ({ label: `${emoji}  ${name}`, testId: `reaction-${i}`, run: () => room.request('reaction.send', { emoji }).catch(report) }));
  const toggleHand = () => room.request('hand.set', { raised: room.localParticipant?.handRaisedAt == null }).catch(report);
  handButton.addEventListener('click', () => void toggleHand());
  reactionsButton.addEventListener('click', () => showMenu(reactionsButton, reactionItems(), 'reactions-menu'));
  // On a phone the bar has room for the essentials only; the rest sits behind "More".
  moreButton.addEventListener('click', () =>
    showMenu(
      moreButton,
      [
        { label: room.localParticipant?.handRaisedAt != null ? 'Lower hand' : 'Raise hand', testId: 'more-hand', run: toggleHand },
        ...(local.canShareScreen ? [{ label: local.sharing ? 'Stop sharing' : 'Share screen', testId: 'more-share', run: () => local.toggleScreenShare() }] : []),
        { label: 'Settings', testId: 'more-settings', run: () => openPanel(settingsPanel) },
        ...reactionItems(),
      ],
      'more-menu',
    ),
  );

  micButton.addEventListener('click', () => void local.toggleMic());
  camButton.addEventListener('click', () => void local.toggleCamera());
  flipButton.addEventListener('click', () => void local.switchCamera());
  shareButton.addEventListener('click', () => void local.toggleScreenShare());
  leaveButton.addEventListener('click', () => void leave());

  const controls = h(
    'footer',
    { class: 'controls', 'data-testid': 'control-bar' },
    h('div', { class: 'controls-side controls-left' }, h('span', { class: 'clock', 'aria-hidden': 'true' })),
    h('div', { class: 'controls-main' }, micButton, camButton, flipButton, shareButton, handButton, reactionsButton, moreButton, leaveButton),
    h('div', { class: 'controls-side controls-right' }, board.boardButton, board.annotateButton, peopleButton, chatButton, settingsButton),
  );

  // ---------------------------------------------------------------- panels

  const peoplePanel = new Panel('participants-panel', 'People', () => openPanel(null));
  const peopleList = h('ul', { class: 'people', 'data-testid': 'participant-list' });
  peoplePanel.body.append(hostTools.el, handQueue, peopleList);
  const chatPanel = new Panel('chat-panel', 'Chat', () => openPanel(null));
  chatPanel.body.append(chat.el);
  chatPanel.body.classList.add('chat-body');
  const settingsPanel = new Panel('settings-panel', 'Settings', () => openPanel(null));
  const settings = new SettingsPanel(settingsPanel.body);
  settings.cameraSelect.addEventListener('change', () => void local.selectCamera(settings.cameraSelect.value));
  settings.micSelect.addEventListener('change', () => void local.selectMic(settings.micSelect.value));
  settings.speakerSelect.addEventListener('change', () => {
    setPref('speakerId', settings.speakerSelect.value);
    void audio.setSinkId(settings.speakerSelect.value);
  });
  settings.reconnectButton.addEventListener('click', () => void room.restartMedia('user'));
  if (canSelectSpeaker() && getPref('speakerId')) void audio.setSinkId(getPref('speakerId')!);

  function openPanel(panel: Panel | null): void {
    for (const p of [peoplePanel, settingsPanel, chatPanel]) p.open = p === panel && !p.open;
    if (chatPanel.open) {
      chat.markRead();
      queueMicrotask(() => chat.input.focus({ preventScroll: true }));
    }
    if (settingsPanel.open) void settings.refresh(local, audio.sinkId);
    schedule();
  }
  peopleButton.addEventListener('click', () => openPanel(peoplePanel));
  settingsButton.addEventListener('click', () => openPanel(settingsPanel));
  chatButton.addEventListener('click', () => openPanel(chatPanel));
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && (peoplePanel.open || settingsPanel.open || chatPanel.open)) openPanel(null);
  };
  document.addEventListener('keydown', onKey);

  // ---------------------------------------------------------------- assembly

  const inviteCopy = h('button', { class: 'link-btn', type: 'button' }, icon('copy'), h('span', null, 'Copy invite link'));
  inviteCopy.addEventListener('click', () => void copyLink(opts.roomId, inviteCopy));
  const alone = h('div', { class: 'alone-hint', 'data-testid': 'alone-hint', hidden: true }, h('span', null, 'You are the only one here.'), inviteCopy);
  const joining = h('div', { class: 'joining', 'data-testid': 'joining' }, h('span', { class: 'spinner spinner-lg', 'aria-hidden': 'true' }), h('span', null, 'Joining…'));
  const lobbySchedule = h('span', { class: 'hint', 'data-testid': 'lobby-starts-at', hidden: true });
  const lobbyLeave = h('button', { class: 'btn btn-ghost', type: 'button', 'data-testid': 'lobby-leave' }, 'Leave');
  lobbyLeave.addEventListener('click', () => void leave());
  const lobbyScreen = h(
    'div',
    { class: 'joining lobby-screen', 'data-testid': 'lobby-screen', hidden: true },
    h('span', { class: 'spinner spinner-lg', 'aria-hidden': 'true' }),
    h('strong', null, 'Waiting for the host to let you in'),
    h('span', { class: 'hint' }, 'The meeting has a lobby. You will join as soon as a host admits you.'),
    lobbySchedule,
    lobbyLeave,
  );
  const meetingEl = h(
    'div',
    { class: 'meeting', 'data-testid': 'meeting', 'data-joined': 'false', 'data-connection-state': 'connecting' },
    banner.el,
    topbar,
    h('div', { class: 'meeting-body' }, stage.el, board.panel, joining, lobbyScreen, alone, lobbyNotice.el, peoplePanel.el, chatPanel.el, settingsPanel.el),
    controls,
    toasts.el,
    audio.el,
  );
  root.append(meetingEl);
  document.title = `${opts.roomId} · Muster`;

  // A clock in the control bar, as in a meeting room; ticks only while visible.
  const clock = controls.querySelector('.clock')!;
  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  const tickClock = () => setText(clock, timeFormat.format(new Date()));
  tickClock();
  const clockTimer = setInterval(tickClock, 10_000);

  // ---------------------------------------------------------------- room events

  const on: typeof room.on = (event, listener) => {
    const off = room.on(event, listener);
    offRoom.push(off);
    return off;
  };
  on('connectionStateChanged', schedule);
  on('participantConnected', (p: RemoteParticipant) => {
    // Everyone already present arrives as "connected" during the join itself.
    if (joined) toasts.show(`${p.name} joined`);
    schedule();
  });
  on('participantDisconnected', (p: RemoteParticipant, reason: string) => {
    if (reason !== 'left' && reason !== 'disconnected' && reason !== 'removed') return schedule();
    toasts.show(reason === 'disconnected' ? `${p.name} lost their connection` : reason === 'removed' ? `${p.name} was removed` : `${p.name} left`);
    schedule();
  });
  on('participantUpdated', schedule);
  on('trackSubscribed', schedule);
  on('trackUnsubscribed', schedule);
  // MEDIA_MOVED is a notice (the recording goes on), not an error.
  on('recordingProblem', (problem) => toasts.show(`Recording: ${problem.message}`, { kind: problem.code === 'MEDIA_MOVED' ? 'info' : 'error', ms: problem.stopped ? 0 : 8000 }));
  on('roomUpdated', (info) => {
    if (lastLocked !== null && info.locked !== lastLocked) toasts.show(info.locked ? 'The meeting is locked' : 'The meeting is unlocked');
    lastLocked = info.locked;
    schedule();
  });
  on('lobbyWaiting', () => {
    lobbyWaiting = true;
    schedule();
  });
  on('meetingToken', (token: string) => {
    try {
      sessionStorage.setItem(tokenKey(opts.roomId), token);
    } catch {
      // storage disabled: a reload then joins as someone new
    }
  });
  on('controlNotice', (notice: ControlNotice) => onNotice(notice));
  on('chatMessage', (message: ChatMessage) => {
    chat.received(message, chatPanel.open);
    if (!chatPanel.open && message.from.participantId !== room.participantId) {
      toasts.show(`${message.from.name}${message.to ? ' (privately)' : ''}: ${message.text.length > 80 ? `${message.text.slice(0, 80)}…` : message.text}`);
    }
    schedule();
  });
  on('reaction', (participantId: string, emoji: string) => {
    const who = participantId === room.participantId ? 'You' : (room.remoteParticipants.get(participantId)?.name ?? 'Someone');
    toasts.show(`${who} ${emoji}`, { ms: 2500 });
  });
  let lobbySeen = new Set<string>();
  on('lobbyUpdated', (lobby: LobbyEntry[]) => {
    for (const w of lobby) if (!lobbySeen.has(w.lobbyId)) toasts.show(`${w.name} is waiting in the lobby`);
    lobbySeen = new Set(lobby.map((w) => w.lobbyId));
    schedule();
  });
  on('moderatorUpdated', schedule);
  on('localParticipantUpdated', schedule);
  on('activeSpeakerChanged', (id: string | null) => {
    if (id && id !== room.participantId) lastSpeakerId = id;
    schedule();
  });
  on('mediaReconnecting', (reason: string) => {
    // Logged so a support person (or a failing test) can see why media was rebuilt.
    console.info(`[muster] rebuilding media: ${reason}`);
    mediaReconnecting = true;
    schedule();
  });
  on('mediaReconnected', () => {
    mediaReconnecting = false;
    schedule();
  });
  on('disconnected', (reason: string) => {
    if (reason !== 'left') finish({ reason });
  });

  // Closing the tab should free our tile for everyone now, not after the server's grace period.
  const onPageHide = () => void room.leave();
  addEventListener('pagehide', onPageHide);

  void join();

  async function join(): Promise<void> {
    try {
      let token: string | undefined;
      try {
        token = sessionStorage.getItem(tokenKey(opts.roomId)) ?? undefined;
      } catch {
        token = undefined;
      }
      await room.connect(opts.roomId, opts.name, { ...opts.credentials, ...(token ? { token } : {}) });
    } catch (error) {
      void opts.start.then((s) => [s.mic, s.camera].forEach(stopTrack));
      void room.leave();
      const code = (error as { code?: string })?.code;
      // These have their own screens: a passcode form, "not let in", "removed".
      if (code === 'PASSCODE_REQUIRED' || code === 'DENIED' || code === 'LOCKED') finish({ reason: code === 'PASSCODE_REQUIRED' ? 'passcode' : code === 'DENIED' ? 'denied' : 'locked', error: joinErrorMessage(error) });
      else finish({ reason: 'error', error: joinErrorMessage(error) });
      return;
    }
    if (ended) return;
    joined = true;
    lobbyWaiting = false;
    lastLocked = room.info?.locked ?? null;
    if (opts.credentials?.hostKey && room.localParticipant?.role !== 'host') {
      toasts.show('That host link is not valid for this meeting any more; you joined as a participant.', { kind: 'error' });
    }
    schedule();
    const start = await opts.start;
    if (ended) return [start.mic, start.camera].forEach(stopTrack);
    for (const problem of start.problems) toasts.show(problem, { kind: 'error' });
    await local.start(start);
    if (ended) return;
    meetingEl.dataset.joined = 'true';
    schedule();
  }

  async function leave(): Promise<void> {
    if (ended) return;
    leaveButton.disabled = true;
    await room.leave();
    finish({ reason: 'left' });
  }

  // ---------------------------------------------------------------- rendering

  /** Coalesces bursts of events into one sync. A microtask, not rAF: rAF stops in background tabs and audio must still attach there. */
  function schedule(): void {
    if (scheduled || ended) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      if (!ended) sync();
    });
  }

  function desiredTiles(): DesiredTile[] {
    const self = room.localParticipant;
    const remotes = [...room.remoteParticipants.values()].sort((a, b) => a.joinedAt - b.joinedAt);
    const list: DesiredTile[] = [];
    for (const p of remotes) {
      const publication = p.publication('screen');
      if (!publication) continue;
      const track = p.track('screen');
      list.push({
        key: `screen:${p.id}`,
        kind: 'screen',
        state: { participantId: p.id, name: p.name, label: 'Presenting', videoTrack: track?.mediaStreamTrack ?? null, videoOn: !!track && !publication.paused, micMuted: false, speaking: false, host: false, mirrored: false, local: false },
      });
    }
    if (self && local.screen) {
      list.push({
        key: 'screen:local',
        kind: 'screen',
        state: { participantId: self.id, name: self.name, label: 'You are presenting', videoTrack: local.screen, videoOn: true, micMuted: false, speaking: false, host: false, mirrored: false, local: true },
      });
    }
    if (self) {
      list.push({
        key: 'local',
        kind: 'camera',
        state: {
          participantId: self.id,
          name: self.name,
          label: 'You',
          videoTrack: local.camera,
          videoOn: local.cameraOn,
          micMuted: local.micMuted || !local.mic,
          speaking: room.activeSpeakerId === self.id,
          host: self.role === 'host',
          coHost: self.role === 'co-host',
          handRaised: self.handRaisedAt !== null,
          mirrored: local.mirrored,
          local: true,
        },
      });
    }
    for (const p of remotes) {
      const camera = p.track('camera');
      list.push({
        key: `p:${p.id}`,
        kind: 'camera',
        state: {
          participantId: p.id,
          name: p.name,
          videoTrack: camera?.mediaStreamTrack ?? null,
          videoOn: !!camera && !p.isMuted('camera'),
          micMuted: p.isMuted('microphone'),
          speaking: room.activeSpeakerId === p.id,
          host: p.role === 'host',
          coHost: p.role === 'co-host',
          handRaised: p.handRaisedAt !== null,
          menu: hostMenuItems(room, p, report).length > 0,
          mirrored: false,
          local: false,
        },
      });
    }
    return list;
  }

  /** Pinned tile, else the newest remote screen share, else whoever spoke last, else someone else, else you. */
  function chooseMain(keys: Set<string>): string | null {
    if (pinnedKey && keys.has(pinnedKey)) return pinnedKey;
    const screens = screenOrder.filter((k) => k !== 'screen:local' && keys.has(k));
    if (screens.length) return screens[screens.length - 1]!;
    if (lastSpeakerId && keys.has(`p:${lastSpeakerId}`)) return `p:${lastSpeakerId}`;
    const firstRemote = [...keys].find((k) => k.startsWith('p:'));
    return firstRemote ?? (keys.has('local') ? 'local' : null);
  }

  function onTileMenu(key: string, anchor: HTMLElement): void {
    openHostMenu(key.startsWith('p:') ? key.slice(2) : '', anchor);
  }

  function openHostMenu(participantId: string, anchor: HTMLElement): void {
    const target = room.remoteParticipants.get(participantId);
    const items = target ? hostMenuItems(room, target, report) : [];
    if (items.length) showMenu(anchor, items, 'host-menu-popover');
  }

  /** A host acted on us. Mutes are already enforced by the server; we follow and say so. Nothing here unmutes by itself. */
  function onNotice(notice: ControlNotice): void {
    switch (notice.type) {
      case 'muted':
        if (notice.kind === 'audio') {
          local.serverMuted();
          toasts.show(notice.mayUnmute ? `${notice.by} muted you` : `${notice.by} muted you. You can unmute when a host asks you to.`, { ms: 6000 });
        } else {
          void local.setCameraOn(false);
          toasts.show(`${notice.by} stopped your video`, { ms: 6000 });
        }
        break;
      case 'askUnmute': {
        const audio = notice.kind === 'audio';
        toasts.show(audio ? `${notice.by} asks you to unmute` : `${notice.by} asks you to start your video`, {
          ms: 15_000,
          action: { label: audio ? 'Unmute' : 'Start video', testId: 'ask-unmute-accept', run: () => void (audio ? local.setMicMuted(false) : local.setCameraOn(true)) },
        });
        break;
      }
      case 'roleChanged':
        toasts.show(notice.role === 'host' ? 'You are now the host' : notice.role === 'co-host' ? 'You are now a co-host' : 'You are no longer a host or co-host');
        break;
      case 'handLowered':
        toasts.show(`${notice.by} lowered your hand`);
        break;
    }
    schedule();
  }

  function onPin(key: string): void {
    pinnedKey = pinnedKey === key ? null : key;
    // Pinning only means something with a main screen.
    if (pinnedKey && layout === 'grid') layout = 'speaker';
    layoutBeforeShare = null;
    schedule();
  }

  function sync(): void {
    const desired = desiredTiles();
    const keys = new Set(desired.map((d) => d.key));

    // A new screen share from someone else switches to the speaker layout, where it is the main screen.
    const newScreens = desired.filter((d) => d.kind === 'screen' && !screenOrder.includes(d.key)).map((d) => d.key);
    screenOrder = [...screenOrder.filter((k) => keys.has(k)), ...newScreens];
    if (newScreens.some((k) => k !== 'screen:local')) {
      if (layout !== 'speaker') layoutBeforeShare = layout;
      layout = 'speaker';
      pinnedKey = null;
    } else if (layoutBeforeShare && !screenOrder.some((k) => k !== 'screen:local')) {
      layout = layoutBeforeShare;
      layoutBeforeShare = null;
    }
    if (pinnedKey && !keys.has(pinnedKey)) pinnedKey = null;

    for (const [key, tile] of tiles) {
      if (keys.has(key)) continue;
      tile.destroy();
      tiles.delete(key);
    }
    const ordered = desired.map((d) => {
      let tile = tiles.get(d.key);
      if (!tile) tiles.set(d.key, (tile = new Tile(d.key, d.kind, onPin, onTileMenu)));
      tile.update(d.state);
      tile.setPinned(d.key === pinnedKey);
      return tile;
    });
    stage.render(layout, ordered, chooseMain(keys));

    const remoteTracks: RemoteTrack[] = [];
    for (const p of room.remoteParticipants.values()) remoteTracks.push(...p.tracks.values());
    audio.sync(remoteTracks);

    syncChrome();
    if (peoplePanel.open) {
      renderParticipantList(peopleList, room, local, openHostMenu);
      renderHandQueue(handQueue, room);
      hostTools.sync();
    }
    if (chatPanel.open) chat.markRead();
    chat.sync();
  }

  /** Everything around the stage: buttons, counts, banners. */
  function syncChrome(): void {
    board.sync(meetingEl);
    const state = room.state;
    meetingEl.dataset.connectionState = state;
    meetingEl.dataset.layout = layout;
    joining.hidden = joined || lobbyWaiting || state !== 'connecting';
    lobbyScreen.hidden = joined || !lobbyWaiting || state === 'disconnected';
    const startsAt = room.info?.startsAt ?? null;
    lobbySchedule.hidden = startsAt === null;
    if (startsAt !== null) setText(lobbySchedule, `Scheduled for ${new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(startsAt)}`);
    lobbyNotice.sync();
    topicEditor.sync();
    recBadge.hidden = !room.info?.recording;
    const handUp = room.localParticipant?.handRaisedAt != null;
    setControl(handButton, 'hand', handUp ? 'Lower hand' : 'Raise hand', handUp, false);
    handButton.classList.toggle('active', handUp);
    setText(chatCount, String(chat.unread));
    chatCount.hidden = chat.unread === 0;
    toggleAttr(chatButton, 'aria-expanded', true, String(chatPanel.open));
    chatButton.classList.toggle('active', chatPanel.open);
    alone.hidden = !joined || room.remoteParticipants.size > 0 || peoplePanel.open || settingsPanel.open || chatPanel.open;
    banner.show(state === 'reconnecting' ? 'Connection lost. Reconnecting…' : mediaReconnecting ? 'Reconnecting audio and video…' : null);

    const count = room.localParticipant ? room.remoteParticipants.size + 1 : 0;
    setText(peopleCount, String(count));
    peoplePanel.setTitle(`People (${count})`);

    const micOff = local.micMuted || !local.mic;
    setControl(micButton, micOff ? 'micOff' : 'mic', micOff ? 'Unmute microphone' : 'Mute microphone', micOff, micOff);
    setControl(camButton, local.cameraOn ? 'video' : 'videoOff', local.cameraOn ? 'Turn off camera' : 'Turn on camera', !local.cameraOn, !local.cameraOn);
    flipButton.hidden = local.cameraCount < 2;
    flipButton.disabled = !local.cameraOn || local.busy;
    shareButton.hidden = !local.canShareScreen;
    setControl(shareButton, local.sharing ? 'screenOff' : 'screen', local.sharing ? 'Stop sharing' : 'Share screen', local.sharing, false);
    shareButton.classList.toggle('active', local.sharing);
    toggleAttr(peopleButton, 'aria-expanded', true, String(peoplePanel.open));
    toggleAttr(settingsButton, 'aria-expanded', true, String(settingsPanel.open));
    peopleButton.classList.toggle('active', peoplePanel.open);
    settingsButton.classList.toggle('active', settingsPanel.open);
    meetingEl.classList.toggle('panel-open', peoplePanel.open || settingsPanel.open || chatPanel.open);

    const toSpeaker = layout === 'grid';
    setControl(layoutButton, toSpeaker ? 'speaker' : 'grid', toSpeaker ? 'Speaker view' : 'Grid view', !toSpeaker, false);
    const full = !!document.fullscreenElement;
    setControl(fullscreenButton, full ? 'fullscreenExit' : 'fullscreen', full ? 'Exit full screen' : 'Full screen', full, false);
  }

  // ---------------------------------------------------------------- teardown

  function teardown(): void {
    ended = true;
    stopTileSizes();
    for (const off of offRoom) off();
    removeEventListener('pagehide', onPageHide);
    document.removeEventListener('keydown', onKey);
    document.removeEventListener('fullscreenchange', onFullscreenChange);
    clearInterval(clockTimer);
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    local.stopAll();
    audio.destroy();
    for (const tile of tiles.values()) tile.destroy();
    tiles.clear();
    stage.destroy();
    board.destroy();
  }

  function finish(end: MeetingEnd): void {
    if (ended) return;
    teardown();
    opts.onEnd(end);
  }

  // Navigating away (back button, another route) leaves the meeting.
  return () => {
    if (ended) return;
    teardown();
    void room.leave();
  };
}

function iconButton(testId: string, name: IconName, label: string): HTMLButtonElement {
  return h('button', { class: 'icon-btn', type: 'button', 'data-testid': testId, 'aria-label': label, title: label }, icon(name));
}

function controlButton(testId: string, name: IconName, label: string, extra = ''): HTMLButtonElement {
  const button = h('button', { class: `ctl ${extra}`.trim(), type: 'button', 'data-testid': testId, 'aria-label': label, title: label });
  setIcon(button, name);
  return button;
}

/** Updates a button's icon, label and pressed state; `off` paints it as a warning (muted mic, camera off). */
function setControl(button: HTMLButtonElement, name: IconName, label: string, pressed: boolean, off: boolean): void {
  setIcon(button, name);
  if (button.getAttribute('aria-label') !== label) {
    button.setAttribute('aria-label', label);
    button.title = label;
  }
  toggleAttr(button, 'aria-pressed', true, String(pressed));
  button.classList.toggle('off', off);
}

function joinErrorMessage(error: unknown): string {
  const code = (error as { code?: string })?.code;
  switch (code) {
    case 'TIMEOUT':
      return 'The meeting server did not answer. Check your connection and try again.';
    case 'FORBIDDEN':
      return (error as Error).message ? `You cannot join: ${(error as Error).message}.` : 'You are not allowed to join this meeting.';
    case 'LOCKED':
      return 'The meeting is locked. Ask a host to unlock it.';
    case 'PASSCODE_REQUIRED':
      return (error as Error).message || 'This meeting needs a passcode.';
    case 'DENIED':
      return (error as Error).message || 'The host did not let you in.';
    case 'BAD_REQUEST':
      return (error as Error).message || 'The meeting code or your name was not accepted.';
    case 'RATE_LIMITED':
      return 'Too many attempts. Wait a moment and try again.';
    case 'MEDIA_UNAVAILABLE':
      return 'The media server is busy or restarting. Try again in a moment.';
    default:
      return (error as Error)?.message || 'Could not join the meeting.';
  }
}
