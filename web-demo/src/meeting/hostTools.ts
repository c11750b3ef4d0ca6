import type { Room } from '@muster/signaling/client';
import { h, setText, toggleAttr } from '../lib/dom.ts';
import { icon } from '../lib/icons.ts';
import { meetingLink } from '../router.ts';
import { RecordingsList } from './recordings.ts';

type Audience = 'everyone' | 'participants' | 'moderators';
type SettingKey = 'unmute' | 'video' | 'share' | 'draw' | 'chat';
const SETTINGS: [SettingKey, string][] = [
  ['unmute', 'Unmute themselves'],
  ['video', 'Start their video'],
  ['share', 'Share their screen'],
  ['draw', 'Draw on the whiteboard'],
  ['chat', 'Chat'],
];
type VideoQuality = 'high' | 'standard' | 'low';
const VIDEO_QUALITIES: [VideoQuality, string][] = [
  ['high', 'High'],
  ['standard', 'Standard'],
  ['low', 'Low (saves bandwidth)'],
];

/** Copies text and says so on the button for a moment. */
async function copyText(text: string, button: HTMLButtonElement): Promise<void> {
  const label = button.dataset.label ?? button.textContent ?? '';
  button.dataset.label = label;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    window.prompt('Copy this link', text);
  }
  setTimeout(() => (button.textContent = label), 1500);
}

/**
 * The host's and co-hosts' meeting-wide controls, at the top of the people
 * panel: mute all, lock, lobby, settings, invites, end. Hidden for others.
 */
export class HostTools {
  readonly el: HTMLElement;
  readonly #room: Room;
  readonly #lock: HTMLButtonElement;
  readonly #lobby: HTMLButtonElement;
  readonly #recording: HTMLButtonElement;
  readonly #hostLink: HTMLButtonElement;
  readonly #settings = new Map<SettingKey, HTMLInputElement>();
  readonly #videoQuality: HTMLSelectElement;

  constructor(room: Room, report: (error: unknown) => void) {
    this.#room = room;
    const button = (label: string, testId: string, run: () => unknown, extra = '') => {
      const b = h('button', { class: `btn btn-ghost btn-sm ${extra}`.trim(), type: 'button', 'data-testid': testId }, label);
      b.addEventListener('click', () => void Promise.resolve(run()).catch(report));
      return b;
    };
    const request = room.request.bind(room);
    this.#lock = button('Lock meeting', 'host-lock', () => request('room.update', { locked: !room.info?.locked }));
    this.#lobby = button('Turn on lobby', 'host-lobby', () => request('room.update', { lobby: !room.info?.lobby }));
    this.#recording = button('Start recording', 'host-recording', () => request('recording.set', { on: !room.info?.recording }));
    const invite = button('Copy invite link', 'copy-invite', () => {
      const token = room.moderator?.participantInvite;
      return copyText(token ? `${meetingLink(room.info?.id ?? '')}?invite=${encodeURIComponent(token)}` : meetingLink(room.info?.id ?? ''), invite);
    });
    this.#hostLink = button('Copy host link', 'copy-host-link', () => {
      const key = room.moderator?.hostKey;
      if (key) return copyText(`${meetingLink(room.info?.id ?? '')}?key=${encodeURIComponent(key)}`, this.#hostLink);
    });
    const settings = h('fieldset', { class: 'host-settings' }, h('legend', null, 'Participants may'));
    for (const [key, label] of SETTINGS) {
      const box = h('input', { type: 'checkbox', 'data-testid': `setting-${key}` });
      box.addEventListener('change', () => {
        const value: Audience = box.checked ? (key === 'share' || key === 'draw' ? 'participants' : 'everyone') : 'moderators';
        void request('room.update', { settings: { [key]: value } }).catch(report);
      });
      this.#settings.set(key, box);
      settings.append(h('label', { class: 'check' }, box, h('span', null, label)));
    }
    // The host's cap on what everyone receives; each person may still choose lower for themselves.
    this.#videoQuality = h('select', { 'data-testid': 'setting-video-quality', 'aria-label': 'Video quality for everyone' }, ...VIDEO_QUALITIES.map(([v, label]) => h('option', { value: v }, label)));
    this.#videoQuality.addEventListener('change', () => {
      void request('room.update', { settings: { videoQuality: this.#videoQuality.value as VideoQuality } }).catch(report);
    });
    settings.append(h('label', { class: 'check' }, h('span', null, 'Video quality for everyone'), this.#videoQuality));
    this.el = h(
      'section',
      { class: 'host-tools', 'data-testid': 'host-tools', hidden: true },
      h(
        'div',
        { class: 'host-actions' },
        button('Mute all', 'host-mute-all', () => request('room.muteAll', { kind: 'audio', allowUnmute: true })),
        button('Mute all, keep muted', 'host-mute-all-hold', () => request('room.muteAll', { kind: 'audio', allowUnmute: false })),
        button('Ask all to unmute', 'host-ask-all', () => request('room.askUnmuteAll', { kind: 'audio' })),
        button('Lower all hands', 'host-lower-hands', () => request('hands.lowerAll', {})),
        this.#lock,
        this.#lobby,
        this.#recording,
      ),
      settings,
      h('div', { class: 'host-actions' }, invite, this.#hostLink),
      new RecordingsList(room, report).el,
      button(
        'End meeting for all',
        'host-end',
        () => {
          if (confirm('End the meeting for everyone?')) return request('room.end', {});
        },
        'btn-danger',
      ),
    );
  }

  sync(): void {
    const room = this.#room;
    const info = room.info;
    this.el.hidden = !room.localParticipant?.isModerator || !info;
    if (this.el.hidden || !info) return;
    setText(this.#lock, info.locked ? 'Unlock meeting' : 'Lock meeting');
    toggleAttr(this.#lock, 'aria-pressed', true, String(info.locked));
    setText(this.#lobby, info.lobby ? 'Turn off lobby' : 'Turn on lobby');
    toggleAttr(this.#lobby, 'aria-pressed', true, String(info.lobby));
    setText(this.#recording, info.recording ? 'Stop recording' : 'Start recording');
    this.#hostLink.hidden = !room.moderator?.hostKey;
    for (const [key, box] of this.#settings) box.checked = info.settings[key] !== 'moderators';
    if (this.#videoQuality.value !== info.settings.videoQuality) this.#videoQuality.value = info.settings.videoQuality;
  }
}

/** For hosts and co-hosts: who waits in the lobby, with admit and deny. */
export class LobbyNotice {
  readonly el: HTMLElement;
  readonly #list: HTMLElement;
  readonly #room: Room;
  readonly #report: (error: unknown) => void;

  constructor(room: Room, report: (error: unknown) => void) {
    this.#room = room;
    this.#report = report;
    this.#list = h('ul', { class: 'lobby-list' });
    const all = h('button', { class: 'btn btn-primary btn-sm', type: 'button', 'data-testid': 'lobby-admit-all' }, 'Admit all');
    all.addEventListener('click', () => void room.request('lobby.admit', { all: true }).catch(report));
    this.el = h('div', { class: 'lobby-notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'lobby-notice', hidden: true }, h('strong', null, 'Waiting in the lobby'), this.#list, all);
  }

  sync(): void {
    const waiting = this.#room.localParticipant?.isModerator ? (this.#room.moderator?.lobby ?? []) : [];
    this.el.hidden = waiting.length === 0;
    const ids = waiting.map((w) => w.lobbyId).join(',');
    if (this.#list.dataset.ids === ids) return;
    this.#list.dataset.ids = ids;
    this.#list.replaceChildren(
      ...waiting.map((w) => {
        const admit = h('button', { class: 'btn btn-primary btn-sm', type: 'button', 'data-testid': 'lobby-admit' }, 'Admit');
        const deny = h('button', { class: 'btn btn-ghost btn-sm', type: 'button', 'data-testid': 'lobby-deny' }, 'Deny');
        admit.addEventListener('click', () => void this.#room.request('lobby.admit', { lobbyId: w.lobbyId }).catch(this.#report));
        deny.addEventListener('click', () => void this.#room.request('lobby.deny', { lobbyId: w.lobbyId }).catch(this.#report));
        return h('li', { class: 'lobby-item', 'data-testid': 'lobby-item', 'data-lobby-id': w.lobbyId }, h('span', { class: 'lobby-name' }, w.name), admit, deny);
      }),
    );
  }
}

/** Raised hands, first raised first: the order people get to speak in. */
export function renderHandQueue(el: HTMLElement, room: Room): void {
  const people = [...room.remoteParticipants.values(), ...(room.localParticipant ? [room.localParticipant] : [])]
    .filter((p) => p.handRaisedAt !== null)
    .sort((a, b) => a.handRaisedAt! - b.handRaisedAt!);
  el.hidden = people.length === 0;
  const list = people.map((p, i) =>
    h('li', { class: 'hand-item', 'data-testid': 'hand-queue-item', 'data-participant-list-id': p.id }, h('span', { class: 'hand-pos' }, String(i + 1)), h('span', null, p.id === room.participantId ? `${p.name} (you)` : p.name)),
  );
  el.replaceChildren(h('h3', { class: 'section-title' }, icon('hand'), `Raised hands (${people.length})`), h('ol', { class: 'hand-list' }, ...list));
}
