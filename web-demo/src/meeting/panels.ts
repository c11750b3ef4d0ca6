import type { Room } from '@muster/signaling/client';
import { h, hueFor, initials, setText } from '../lib/dom.ts';
import { canSelectSpeaker, deviceIdOf, listDevices } from '../lib/devices.ts';
import { icon, type IconName } from '../lib/icons.ts';
import { getPref } from '../lib/prefs.ts';
import { hostMenuItems } from './hostMenu.ts';
import type { LocalMedia } from './localMedia.ts';

/**
 * Side panels. On a wide screen they sit beside the stage; on a phone the
 * same element covers the stage as a sheet (CSS decides, the DOM is one).
 */
export class Panel {
  readonly el: HTMLElement;
  readonly body: HTMLElement;
  readonly #title: HTMLElement;

  constructor(id: string, title: string, onClose: () => void) {
    const close = h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Close', title: 'Close', 'data-testid': `${id}-close` }, icon('close'));
    close.addEventListener('click', onClose);
    this.#title = h('h2', null, title);
    this.body = h('div', { class: 'panel-body' });
    this.el = h('aside', { class: 'panel', id, 'aria-label': title, hidden: true }, h('header', { class: 'panel-header' }, this.#title, close), this.body);
  }

  setTitle(title: string): void {
    setText(this.#title, title);
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  set open(value: boolean) {
    this.el.hidden = !value;
  }
}

/** Everyone in the meeting, with what they are sharing and who hosts. */
export function renderParticipantList(list: HTMLElement, room: Room, local: LocalMedia, onMenu?: (participantId: string, anchor: HTMLElement) => void): void {
  const entries: { id: string; name: string; you: boolean; host: boolean; coHost: boolean; hand: boolean; menu: boolean; micMuted: boolean; videoOff: boolean; sharing: boolean; videoQuality: string }[] = [];
  const self = room.localParticipant;
  if (self) {
    entries.push({ id: self.id, name: self.name, you: true, host: self.role === 'host', coHost: self.role === 'co-host', hand: self.handRaisedAt !== null, menu: false, micMuted: local.micMuted || !local.mic, videoOff: !local.cameraOn, sharing: local.sharing, videoQuality: self.videoQuality });
  }
  const remotes = [...room.remoteParticipants.values()].sort((a, b) => a.joinedAt - b.joinedAt);
  for (const p of remotes) {
    entries.push({
      id: p.id,
      name: p.name,
      you: false,
      host: p.role === 'host',
      coHost: p.role === 'co-host',
      hand: p.handRaisedAt !== null,
      menu: !!onMenu && hostMenuItems(room, p, () => undefined).length > 0,
      micMuted: p.isMuted('microphone'),
      videoOff: p.isMuted('camera'),
      sharing: !!p.publication('screen'),
      videoQuality: p.videoQuality,
    });
  }
  const items = entries.map((e) => {
    const status = (name: IconName, on: boolean, label: string) =>
      h('span', { class: `status-icon${on ? ' on' : ''}`, title: label, 'aria-label': label }, icon(name));
    return h(
      'li',
      { class: 'person', 'data-testid': 'participant-item', 'data-participant-list-id': e.id, 'data-muted': e.micMuted ? 'true' : 'false', 'data-host': e.host ? 'true' : 'false', 'data-cohost': e.coHost ? 'true' : 'false', 'data-hand-raised': e.hand ? 'true' : 'false', 'data-video-quality': e.videoQuality },
      h('span', { class: 'avatar-circle avatar-sm', style: `--hue:${hueFor(e.name)}` }, initials(e.name)),
      h(
        'span',
        { class: 'person-name' },
        h('span', { class: 'person-text' }, e.name),
        e.you || e.host || e.coHost || e.videoQuality !== 'high'
          ? h(
              'span',
              { class: 'person-sub' },
              e.host ? h('span', { class: 'badge badge-host', 'data-testid': 'host-badge' }, 'Host') : null,
              e.coHost ? h('span', { class: 'badge badge-cohost', 'data-testid': 'cohost-badge' }, 'Co-host') : null,
              e.videoQuality !== 'high' ? h('span', { class: 'badge', 'data-testid': 'video-limit-badge', title: 'A host limited this video for everyone' }, `Video ${e.videoQuality}`) : null,
              e.you ? h('span', { class: 'person-you' }, 'You') : null,
            )
          : null,
      ),
      h(
        'span',
        { class: 'person-status' },
        e.hand ? h('span', { class: 'status-icon on hand', title: 'Hand raised', 'aria-label': 'Hand raised' }, icon('hand')) : null,
        e.sharing ? status('screen', true, 'Presenting') : null,
        e.videoOff ? status('videoOff', false, 'Camera off') : status('video', true, 'Camera on'),
        e.micMuted ? status('micOff', false, 'Muted') : status('mic', true, 'Microphone on'),
      ),
    );
  });
  items.forEach((item, i) => {
    const e = entries[i]!;
    if (!e.menu || !onMenu) return;
    const button = h('button', { class: 'icon-btn person-menu', type: 'button', 'aria-label': `Host controls for ${e.name}`, title: 'Host controls', 'data-testid': 'host-menu' }, icon('more'));
    button.addEventListener('click', () => onMenu(e.id, button));
    item.append(button);
  });
  // Rebuilt each time: a dozen rows is cheaper to recreate than to diff by hand.
  list.replaceChildren(...items);
}

/** Device pickers inside the meeting, including the speaker where the browser allows choosing one. */
export class SettingsPanel {
  readonly cameraSelect: HTMLSelectElement;
  readonly micSelect: HTMLSelectElement;
  readonly speakerSelect: HTMLSelectElement;
  readonly speakerField: HTMLElement;
  readonly reconnectButton: HTMLButtonElement;

  constructor(body: HTMLElement) {
    this.cameraSelect = h('select', { class: 'select', 'data-testid': 'camera-select' });
    this.micSelect = h('select', { class: 'select', 'data-testid': 'mic-select' });
    this.speakerSelect = h('select', { class: 'select', 'data-testid': 'audio-output-select' });
    this.speakerField = h('label', { class: 'field' }, h('span', { class: 'field-label' }, icon('volume'), 'Speaker'), this.speakerSelect);
    this.speakerField.hidden = !canSelectSpeaker();
    this.reconnectButton = h('button', { class: 'btn btn-ghost btn-block', type: 'button', 'data-testid': 'reconnect-media' }, 'Reconnect audio and video');
    body.append(
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, icon('video'), 'Camera'), this.cameraSelect),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, icon('mic'), 'Microphone'), this.micSelect),
      this.speakerField,
      h('div', { class: 'panel-section' }, h('p', { class: 'hint' }, 'Choppy or frozen video? Rebuild the media connection without leaving.'), this.reconnectButton),
    );
  }

  async refresh(local: LocalMedia, speakerId: string): Promise<void> {
    const { cameras, mics, speakers } = await listDevices();
    fill(this.cameraSelect, cameras, deviceIdOf(local.camera) ?? getPref('cameraId'), 'No camera found');
    fill(this.micSelect, mics, deviceIdOf(local.mic) ?? getPref('micId'), 'No microphone found');
    fill(this.speakerSelect, speakers, speakerId || 'default', 'System default');
    this.speakerSelect.disabled = speakers.length === 0;
  }
}

function fill(select: HTMLSelectElement, devices: MediaDeviceInfo[], selected: string | null | undefined, emptyLabel: string): void {
  select.replaceChildren(
    ...(devices.length
      ? devices.map((d, i) => h('option', { value: d.deviceId, selected: d.deviceId === selected }, d.label || `Device ${i + 1}`))
      : [h('option', { value: '' }, emptyLabel)]),
  );
  select.disabled = devices.length === 0;
}
