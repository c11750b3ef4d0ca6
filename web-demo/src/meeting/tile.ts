import { h, hueFor, initials, setText, toggleAttr } from '../lib/dom.ts';
import { icon } from '../lib/icons.ts';

export interface TileState {
  participantId: string;
  name: string;
  /** Shown under the name: "You", "Presenting"… */
  label?: string;
  videoTrack: MediaStreamTrack | null;
  /** False when the camera is off or paused: the avatar shows instead of a frozen frame. */
  videoOn: boolean;
  micMuted: boolean;
  speaking: boolean;
  host: boolean;
  mirrored: boolean;
  local: boolean;
  /** Co-host badge (the host badge is `host`). */
  coHost?: boolean;
  handRaised?: boolean;
  /** Show the host menu button (you moderate, and this is someone else's camera tile). */
  menu?: boolean;
}

/**
 * One video tile: a participant's camera, or someone's screen share. Tiles are
 * long-lived and moved between layouts rather than rebuilt, so video never
 * restarts (and never flashes black) when the layout changes.
 */
export class Tile {
  readonly key: string;
  readonly kind: 'camera' | 'screen';
  readonly el: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly #avatar: HTMLElement;
  readonly #name: HTMLElement;
  readonly #label: HTMLElement;
  readonly #mic: HTMLElement;
  readonly #host: HTMLElement;
  readonly #pin: HTMLButtonElement;
  readonly #coHost: HTMLElement;
  readonly #hand: HTMLElement;
  readonly #menu: HTMLButtonElement;
  #track: MediaStreamTrack | null = null;
  readonly #resize: ResizeObserver;

  constructor(key: string, kind: 'camera' | 'screen', onPin: (key: string) => void, onMenu?: (key: string, anchor: HTMLElement) => void) {
    this.key = key;
    this.kind = kind;
    // Muted: sound goes through the separate <audio> elements, which also lets
    // the browser autoplay the video without a gesture.
    this.video = h('video', { autoplay: true, playsinline: true, muted: true, disablepictureinpicture: true });
    this.video.muted = true;
    this.#avatar = h('div', { class: 'tile-avatar' }, h('span', { class: 'avatar-circle' }));
    this.#mic = h('span', { class: 'tile-mic', title: 'Muted', 'aria-label': 'Microphone muted' }, icon('micOff'));
    this.#name = h('span', { class: 'tile-name' });
    this.#label = h('span', { class: 'tile-label' });
    this.#host = h('span', { class: 'badge badge-host', title: 'Host' }, 'Host');
    this.#pin = h('button', { class: 'tile-pin', type: 'button', title: 'Pin to main screen', 'aria-label': 'Pin', 'data-testid': 'tile-pin' }, icon('pin'));
    this.#pin.addEventListener('click', (event) => {
      event.stopPropagation();
      onPin(this.key);
    });
    this.#coHost = h('span', { class: 'badge badge-cohost', title: 'Co-host' }, 'Co-host');
    this.#hand = h('span', { class: 'tile-hand', title: 'Hand raised', 'aria-label': 'Hand raised', 'data-testid': 'tile-hand' }, icon('hand'));
    this.#menu = h('button', { class: 'tile-menu', type: 'button', title: 'Host controls', 'aria-label': 'Host controls', 'data-testid': 'host-menu', hidden: true }, icon('more'));
    this.#menu.addEventListener('click', (event) => {
      event.stopPropagation();
      onMenu?.(this.key, this.#menu);
    });
    this.el = h(
      'div',
      { class: `tile tile-${kind}`, 'data-source': kind, 'data-testid': kind === 'screen' ? 'screen-tile' : 'tile' },
      this.#avatar,
      this.video,
      h('div', { class: 'tile-footer' }, this.#mic, this.#name, this.#label, this.#host, this.#coHost),
      this.#hand,
      this.#pin,
      this.#menu,
    );
    // A filmstrip tile is small: tapping it is the natural way to bring it to the main screen.
    this.el.addEventListener('click', () => {
      if (this.el.parentElement?.classList.contains('stage-strip')) onPin(this.key);
    });
    // Cover (crop) unless that would cut away two thirds of the picture, as
    // with a phone's portrait video in a landscape tile: then show it whole.
    this.#resize = new ResizeObserver(() => this.#fit());
    this.#resize.observe(this.el);
    this.video.addEventListener('resize', () => this.#fit());
    // Clicking a video that paused (e.g. after an autoplay refusal) starts it again.
    this.video.addEventListener('pause', () => {
      if (this.video.srcObject && this.el.isConnected) void this.video.play().catch(() => undefined);
    });
  }

  update(state: TileState): void {
    const el = this.el;
    // Camera tiles carry the participant hooks; screen tiles carry their own so
    // `[data-participant-id=…]` always finds exactly one tile per person.
    if (this.kind === 'camera') {
      if (el.dataset.participantId !== state.participantId) el.dataset.participantId = state.participantId;
      if (el.dataset.participantName !== state.name) el.dataset.participantName = state.name;
    } else {
      if (el.dataset.screenParticipantId !== state.participantId) el.dataset.screenParticipantId = state.participantId;
      if (el.dataset.participantName !== state.name) el.dataset.participantName = state.name;
    }
    toggleAttr(el, 'data-local', state.local, 'true');
    toggleAttr(el, 'data-muted', state.micMuted, 'true');
    toggleAttr(el, 'data-video-off', !state.videoOn, 'true');
    el.classList.toggle('speaking', state.speaking);
    el.classList.toggle('video-off', !state.videoOn);
    this.video.classList.toggle('mirror', state.mirrored);
    setText(this.#name, state.name);
    setText(this.#label, state.label ?? '');
    this.#label.hidden = !state.label;
    this.#mic.hidden = !state.micMuted || this.kind === 'screen';
    this.#host.hidden = !state.host || this.kind === 'screen';
    this.#coHost.hidden = !state.coHost || this.kind === 'screen';
    this.#hand.hidden = !state.handRaised || this.kind === 'screen';
    this.#menu.hidden = !state.menu || this.kind === 'screen';
    toggleAttr(el, 'data-hand-raised', !!state.handRaised && this.kind === 'camera', 'true');
    const circle = this.#avatar.firstElementChild as HTMLElement;
    setText(circle, initials(state.name));
    circle.style.setProperty('--hue', String(hueFor(state.name)));
    this.setTrack(state.videoTrack);
  }

  #fit(): void {
    const { videoWidth, videoHeight } = this.video;
    const { clientWidth, clientHeight } = this.el;
    let contain = this.kind === 'screen';
    if (!contain && videoWidth && videoHeight && clientWidth && clientHeight) {
      const va = videoWidth / videoHeight;
      const ta = clientWidth / clientHeight;
      contain = Math.min(va / ta, ta / va) < 0.34;
    }
    this.el.classList.toggle('fit-contain', contain);
  }

  setPinned(pinned: boolean): void {
    this.el.classList.toggle('pinned', pinned);
    this.#pin.setAttribute('aria-pressed', String(pinned));
    this.#pin.title = pinned ? 'Unpin' : 'Pin to main screen';
  }

  /** Swaps the video source only when the track really changed. */
  setTrack(track: MediaStreamTrack | null): void {
    if (track === this.#track) return;
    this.#track = track;
    this.video.srcObject = track ? new MediaStream([track]) : null;
    if (track) void this.video.play().catch(() => undefined);
  }

  /** After a move between containers the element may have paused; nudge it. */
  ensurePlaying(): void {
    if (this.#track && this.video.paused) void this.video.play().catch(() => undefined);
  }

  destroy(): void {
    this.#resize.disconnect();
    this.video.srcObject = null;
    this.el.remove();
  }
}
