import { batch, computed, effect, signal } from '@preact/signals';
import { Room, type RoomOptions, type ChatMessage, type ClientRequest, type ClientRequestName, type ClientResponses, type ControlNotice, type JoinCredentials, type LobbyEntry, type RemoteParticipant } from '@muster/signaling/client';
import { MeetingBoard } from '../board/meetingBoard.ts';
import { stopTrack } from '../lib/devices.ts';
import { getPref, setPref } from '../lib/prefs.ts';
import type { HostMenuItem } from './hostMenu.ts';
import { joinErrorMessage } from './joinErrors.ts';
import { LocalMedia, type LocalStart } from './localMedia.ts';
import { chooseMainTile, followTiles, initialStage, toggleLayout, togglePin, type StageState } from './mainTile.ts';
import type { MeetingSnapshot } from './model.ts';
import { readMeeting } from './readMeeting.ts';
import { reportTileSizes } from './tileSizes.ts';
import { tileList } from './tiles.ts';
import { Toasts } from './toasts.ts';

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
  /** Signed in: the socket connects with the account's access token, and the server names you from your profile. */
  accessToken?: RoomOptions['accessToken'];
}

export type PanelName = 'people' | 'settings' | 'chat';

/** Kept per tab, so a reload comes back as the same person (role, private chat) and a ban sticks. */
const tokenKey = (roomId: string) => `muster.meetingToken.${roomId}`;

/**
 * One meeting, as signals. The Room (the framework-free SDK) stays the
 * source of truth: every SDK and device event bumps one version signal (at
 * most once per microtask), and `meeting` re-reads the Room into plain data
 * that the pure view models (tiles, main tile, host menu, people) turn into
 * what the components draw. Re-reading everything keeps the view right
 * through reconnections without tracking each transition by hand.
 *
 * A microtask, not requestAnimationFrame: rAF stops in background tabs, and
 * remote audio must still attach there.
 */
export class MeetingStore {
  readonly roomId: string;
  readonly room: Room;
  readonly local: LocalMedia;
  readonly toasts = new Toasts();
  readonly board: MeetingBoard;

  readonly #version = signal(0);
  /** The meeting as plain data, re-read after every SDK or device event. */
  readonly meeting = computed<MeetingSnapshot>(() => {
    this.#version.value;
    return readMeeting(this.room, this.local);
  });
  readonly tiles = computed(() => tileList(this.meeting.value));
  readonly stage = signal<StageState>(initialStage(getPref('layout') === 'speaker' ? 'speaker' : 'grid'));
  /** The last person other than you who spoke: the main screen's default. */
  readonly lastSpeakerId = signal<string | null>(null);
  readonly mainKey = computed(() =>
    chooseMainTile(
      this.stage.value,
      this.tiles.value.map((t) => t.key),
      this.lastSpeakerId.value,
    ),
  );
  /** Connected (the join went through). */
  readonly joined = signal(false);
  /** Connected, and your microphone and camera are published: the `data-joined` test hook. */
  readonly published = signal(false);
  readonly lobbyWaiting = signal(false);
  readonly mediaReconnecting = signal(false);
  readonly panel = signal<PanelName | null>(null);
  readonly chatUnread = signal(0);
  readonly fullscreen = signal(!!document.fullscreenElement);
  /** The audio output chosen in the settings ('' is the system default). */
  readonly speakerId = signal(getPref('speakerId') ?? '');
  /** Bumped by "Turn on sound" (a click): every <audio> tries to play again. */
  readonly audioRetry = signal(0);
  /** Leave was clicked: the button waits for the server. */
  readonly leaving = signal(false);

  readonly #opts: MeetingOptions;
  readonly #tileSizes: ReturnType<typeof reportTileSizes>;
  readonly #offs: (() => void)[] = [];
  #ended = false;
  #versionQueued = false;
  #audioBlocked = false;
  #lastLocked: boolean | null = null;
  #lobbySeen = new Set<string>();

  constructor(opts: MeetingOptions) {
    this.#opts = opts;
    this.roomId = opts.roomId;
    // A path that stays "disconnected" for 10 s is rebuilt (a "failed" one at once).
    // The SDK's 4 s default turns every Wi-Fi hiccup or busy-CPU stall into a full
    // media rebuild, which interrupts everyone's view of this person; ICE usually
    // recovers from a short blip by itself.
    this.room = new Room({ iceDisconnectedGraceMs: 10_000, ...(opts.accessToken ? { accessToken: opts.accessToken } : {}) });
    window.__muster = { room: this.room };
    // The SFU picks each video's layers from the size we show it at.
    this.#tileSizes = reportTileSizes(this.room);
    this.local = new LocalMedia(this.room, () => this.#changed(), (message) => this.toasts.show(message, { kind: 'error' }));
    this.board = new MeetingBoard(this.room, opts.roomId, (message, kind) => this.toasts.show(message, { kind }));
    // The stage follows the tiles: a new screen share takes the main screen, a pinned tile that left is unpinned.
    this.#offs.push(
      effect(() => {
        const tiles = this.tiles.value;
        const stage = this.stage.peek();
        const next = followTiles(stage, tiles);
        if (next !== stage) this.stage.value = next;
      }),
    );
  }

  /** A failed or refused control: say why, in the server's words. */
  readonly report = (error: unknown): void => {
    this.toasts.show((error as Error)?.message || 'That did not work.', { kind: 'error' });
  };

  /** Sends a request; a refusal is reported (a toast), and resolves undefined. */
  send<N extends ClientRequestName>(name: N, payload: ClientRequest<N>): Promise<ClientResponses[N] | undefined> {
    return this.room.request(name, payload).catch((error: unknown) => {
      this.report(error);
      return undefined;
    });
  }

  /** Runs a host-menu entry (asking first where it says so). */
  runHostAction(item: HostMenuItem): void {
    if (item.confirm && !confirm(item.confirm)) return;
    void this.room.request(item.request.name, item.request.payload as never).catch(this.report);
  }

  /** The tile sizes changed on screen (the view re-rendered): tell the SFU now. */
  checkTileSizes(): void {
    this.#tileSizes.check();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Connects and publishes. Called once, when the meeting screen mounts. */
  start(): void {
    this.#listen();
    void this.#join();
  }

  async #join(): Promise<void> {
    const opts = this.#opts;
    try {
      let token: string | undefined;
      try {
        token = sessionStorage.getItem(tokenKey(opts.roomId)) ?? undefined;
      } catch {
        token = undefined;
      }
      await this.room.connect(opts.roomId, opts.name, { ...opts.credentials, ...(token ? { token } : {}) });
    } catch (error) {
      void opts.start.then((s) => [s.mic, s.camera].forEach(stopTrack));
      void this.room.leave();
      const code = (error as { code?: string })?.code;
      // These have their own screens: a passcode form, "not let in", "locked", "log in first".
      const reason = code === 'PASSCODE_REQUIRED' ? 'passcode' : code === 'DENIED' ? 'denied' : code === 'LOCKED' ? 'locked' : code === 'SIGN_IN_REQUIRED' || code === 'UNAUTHORIZED' ? 'sign-in' : 'error';
      this.#finish({ reason, error: joinErrorMessage(error) });
      return;
    }
    if (this.#ended) return;
    batch(() => {
      this.joined.value = true;
      this.lobbyWaiting.value = false;
    });
    this.#lastLocked = this.room.info?.locked ?? null;
    if (opts.credentials?.hostKey && this.room.localParticipant?.role !== 'host') {
      this.toasts.show('That host link is not valid for this meeting any more; you joined as a participant.', { kind: 'error' });
    }
    this.#changed();
    const start = await opts.start;
    if (this.#ended) return [start.mic, start.camera].forEach(stopTrack);
    for (const problem of start.problems) this.toasts.show(problem, { kind: 'error' });
    await this.local.start(start);
    if (this.#ended) return;
    this.published.value = true;
    this.#changed();
  }

  async leave(): Promise<void> {
    if (this.#ended || this.leaving.peek()) return;
    this.leaving.value = true;
    await this.room.leave();
    this.#finish({ reason: 'left' });
  }

  /** The meeting screen goes away (another route, the back button): leave the meeting. */
  dispose(): void {
    if (this.#ended) return;
    this.#teardown();
    void this.room.leave();
  }

  #finish(end: MeetingEnd): void {
    if (this.#ended) return;
    this.#teardown();
    this.#opts.onEnd(end);
  }

  #teardown(): void {
    this.#ended = true;
    this.#tileSizes.stop();
    for (const off of this.#offs) off();
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    this.local.stopAll();
    this.board.destroy();
    this.toasts.dispose();
  }

  /** Coalesces bursts of events into one re-read of the Room. */
  #changed(): void {
    if (this.#versionQueued || this.#ended) return;
    this.#versionQueued = true;
    queueMicrotask(() => {
      this.#versionQueued = false;
      if (!this.#ended) this.#version.value++;
    });
  }

  // ---------------------------------------------------------------- user actions

  toggleMic = (): void => void this.local.toggleMic();
  toggleCamera = (): void => void this.local.toggleCamera();
  switchCamera = (): void => void this.local.switchCamera();
  toggleScreenShare = (): void => void this.local.toggleScreenShare();

  toggleHand = (): Promise<unknown> => this.send('hand.set', { raised: this.room.localParticipant?.handRaisedAt == null });

  sendReaction(emoji: ClientRequest<'reaction.send'>['emoji']): Promise<unknown> {
    return this.send('reaction.send', { emoji });
  }

  toggleLayout = (): void => {
    const next = toggleLayout(this.stage.peek());
    this.stage.value = next;
    setPref('layout', next.layout);
  };

  togglePin = (key: string): void => {
    this.stage.value = togglePin(this.stage.peek(), key);
  };

  /** Opens a side panel, or closes it when it is the open one; null closes any. */
  openPanel = (panel: PanelName | null): void => {
    const next = panel && this.panel.peek() !== panel ? panel : null;
    batch(() => {
      this.panel.value = next;
      if (next === 'chat') this.chatUnread.value = 0;
    });
  };

  selectSpeaker(deviceId: string): void {
    setPref('speakerId', deviceId);
    this.speakerId.value = deviceId;
  }

  /** An <audio> could not autoplay: offer a button (a click lets every element play). */
  audioBlocked = (): void => {
    if (this.#audioBlocked) return;
    this.#audioBlocked = true;
    this.toasts.show('Your browser blocked the meeting sound.', {
      ms: 0,
      action: {
        label: 'Turn on sound',
        testId: 'enable-audio',
        run: () => {
          this.#audioBlocked = false;
          this.audioRetry.value++;
        },
      },
    });
  };

  // ---------------------------------------------------------------- SDK events

  #listen(): void {
    const room = this.room;
    const toasts = this.toasts;
    const on: typeof room.on = (event, listener) => {
      const off = room.on(event, listener);
      this.#offs.push(off);
      return off;
    };
    const changed = () => this.#changed();
    on('connectionStateChanged', changed);
    on('participantConnected', (p: RemoteParticipant) => {
      // Everyone already present arrives as "connected" during the join itself.
      if (this.joined.peek()) toasts.show(`${p.name} joined`);
      changed();
    });
    on('participantDisconnected', (p: RemoteParticipant, reason: string) => {
      if (reason === 'left' || reason === 'disconnected' || reason === 'removed') {
        toasts.show(reason === 'disconnected' ? `${p.name} lost their connection` : reason === 'removed' ? `${p.name} was removed` : `${p.name} left`);
      }
      changed();
    });
    on('participantUpdated', changed);
    on('trackSubscribed', changed);
    on('trackUnsubscribed', changed);
    // MEDIA_MOVED is a notice (the recording goes on), not an error.
    on('recordingProblem', (problem) => toasts.show(`Recording: ${problem.message}`, { kind: problem.code === 'MEDIA_MOVED' ? 'info' : 'error', ms: problem.stopped ? 0 : 8000 }));
    on('roomUpdated', (info) => {
      if (this.#lastLocked !== null && info.locked !== this.#lastLocked) toasts.show(info.locked ? 'The meeting is locked' : 'The meeting is unlocked');
      this.#lastLocked = info.locked;
      changed();
    });
    on('lobbyWaiting', () => {
      this.lobbyWaiting.value = true;
      changed();
    });
    on('meetingToken', (token: string) => {
      try {
        sessionStorage.setItem(tokenKey(this.roomId), token);
      } catch {
        // storage disabled: a reload then joins as someone new
      }
    });
    on('controlNotice', (notice: ControlNotice) => {
      this.#onNotice(notice);
      changed();
    });
    on('chatMessage', (message: ChatMessage) => {
      const chatOpen = this.panel.peek() === 'chat';
      if (!chatOpen && message.from.participantId !== room.participantId) {
        this.chatUnread.value++;
        toasts.show(`${message.from.name}${message.to ? ' (privately)' : ''}: ${message.text.length > 80 ? `${message.text.slice(0, 80)}…` : message.text}`);
      }
      changed();
    });
    on('reaction', (participantId: string, emoji: string) => {
      const who = participantId === room.participantId ? 'You' : (room.remoteParticipants.get(participantId)?.name ?? 'Someone');
      toasts.show(`${who} ${emoji}`, { ms: 2500 });
    });
    on('lobbyUpdated', (lobby: LobbyEntry[]) => {
      for (const w of lobby) if (!this.#lobbySeen.has(w.lobbyId)) toasts.show(`${w.name} is waiting in the lobby`);
      this.#lobbySeen = new Set(lobby.map((w) => w.lobbyId));
      changed();
    });
    on('moderatorUpdated', changed);
    on('localParticipantUpdated', changed);
    on('activeSpeakerChanged', (id: string | null) => {
      if (id && id !== room.participantId) this.lastSpeakerId.value = id;
      changed();
    });
    on('mediaReconnecting', (reason: string) => {
      // Logged so a support person (or a failing test) can see why media was rebuilt.
      console.info(`[muster] rebuilding media: ${reason}`);
      this.mediaReconnecting.value = true;
      changed();
    });
    on('mediaReconnected', () => {
      this.mediaReconnecting.value = false;
      changed();
    });
    on('disconnected', (reason: string) => {
      if (reason !== 'left') this.#finish({ reason });
    });

    // Closing the tab should free our tile for everyone now, not after the server's grace period.
    const onPageHide = () => void room.leave();
    addEventListener('pagehide', onPageHide);
    const onFullscreenChange = () => (this.fullscreen.value = !!document.fullscreenElement);
    document.addEventListener('fullscreenchange', onFullscreenChange);
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && this.panel.peek()) this.openPanel(null);
    };
    document.addEventListener('keydown', onKey);
    this.#offs.push(() => {
      removeEventListener('pagehide', onPageHide);
      document.removeEventListener('fullscreenchange', onFullscreenChange);
      document.removeEventListener('keydown', onKey);
    });
  }

  /** A host acted on us. Mutes are already enforced by the server; we follow and say so. Nothing here unmutes by itself. */
  #onNotice(notice: ControlNotice): void {
    const { local, toasts } = this;
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
  }
}
