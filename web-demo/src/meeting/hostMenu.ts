import type { Participant, Room } from '@muster/signaling/client';
import { h } from '../lib/dom.ts';

export interface MenuItem {
  label: string;
  testId: string;
  danger?: boolean;
  run(): unknown;
}

let openMenu: (() => void) | null = null;

const VIDEO_LIMITS: [Participant['videoQuality'], string][] = [
  ['standard', 'Limit video to standard'],
  ['low', 'Limit video to low'],
  ['high', 'Lift video limit'],
];

/** A small menu by `anchor`; one at a time, closed by a choice, a click elsewhere or Escape. */
export function showMenu(anchor: HTMLElement, items: MenuItem[], testId = 'menu'): () => void {
  openMenu?.();
  const menu = h('div', { class: 'popover-menu', role: 'menu', 'data-testid': testId });
  const close = () => {
    menu.remove();
    document.removeEventListener('pointerdown', onOutside, true);
    document.removeEventListener('keydown', onKey, true);
    if (openMenu === close) openMenu = null;
  };
  const onOutside = (event: Event) => {
    if (!menu.contains(event.target as Node) && event.target !== anchor) close();
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') close();
  };
  for (const item of items) {
    const button = h('button', { class: `popover-item${item.danger ? ' danger' : ''}`, type: 'button', role: 'menuitem', 'data-testid': item.testId }, item.label);
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      close();
      void Promise.resolve(item.run()).catch(() => undefined);
    });
    menu.append(button);
  }
  // Fixed to the viewport so a menu from a tile in a scrolled strip or a panel is not clipped.
  document.body.append(menu);
  const r = anchor.getBoundingClientRect();
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  menu.style.left = `${Math.max(8, Math.min(innerWidth - width - 8, r.right - width))}px`;
  menu.style.top = `${r.bottom + height + 8 < innerHeight ? r.bottom + 4 : Math.max(8, r.top - height - 4)}px`;
  document.addEventListener('pointerdown', onOutside, true);
  document.addEventListener('keydown', onKey, true);
  (menu.firstElementChild as HTMLElement | null)?.focus();
  openMenu = close;
  return close;
}

/**
 * What a host or co-host may do to one person. The server checks every one
 * of these again; the menu only leaves out what would be refused.
 */
export function hostMenuItems(room: Room, target: Participant, report: (error: unknown) => void): MenuItem[] {
  const self = room.localParticipant;
  if (!self || !self.isModerator || target.id === self.id) return [];
  // Co-hosts do not act on the host.
  if (self.role === 'co-host' && target.role === 'host') return [];
  const act = (name: Parameters<Room['request']>[0], payload: object) => () => room.request(name, payload as never).catch(report);
  const items: MenuItem[] = [];
  const micOn = !target.isMuted('microphone');
  const camOn = !target.isMuted('camera');
  items.push(
    micOn
      ? { label: 'Mute', testId: 'host-mute', run: act('participant.mute', { participantId: target.id, kind: 'audio' }) }
      : { label: 'Ask to unmute', testId: 'host-ask-unmute', run: act('participant.askUnmute', { participantId: target.id, kind: 'audio' }) },
  );
  if (camOn) items.push({ label: 'Stop video', testId: 'host-stop-video', run: act('participant.mute', { participantId: target.id, kind: 'video' }) });
  else items.push({ label: 'Ask to start video', testId: 'host-ask-video', run: act('participant.askUnmute', { participantId: target.id, kind: 'video' }) });
  // A cap on what everyone receives of this person's video (kept while they stay); the two choices it is not at now.
  for (const [quality, label] of VIDEO_LIMITS) {
    if (quality === target.videoQuality) continue;
    items.push({ label, testId: `host-video-${quality}`, run: act('participant.setVideoQuality', { participantId: target.id, quality }) });
  }
  if (target.handRaisedAt !== null) items.push({ label: 'Lower hand', testId: 'host-lower-hand', run: act('hand.set', { participantId: target.id, raised: false }) });
  if (target.role === 'co-host') items.push({ label: 'Remove co-host', testId: 'host-remove-cohost', run: act('participant.setRole', { participantId: target.id, role: 'participant' }) });
  else if (target.role !== 'host') items.push({ label: 'Make co-host', testId: 'host-make-cohost', run: act('participant.setRole', { participantId: target.id, role: 'co-host' }) });
  if (self.role === 'host' && target.role !== 'host') items.push({ label: 'Make host', testId: 'host-make-host', run: act('participant.setRole', { participantId: target.id, role: 'host' }) });
  items.push(
    { label: 'Remove from meeting', testId: 'host-remove', danger: true, run: act('participant.remove', { participantId: target.id, ban: false }) },
    {
      label: 'Remove and block',
      testId: 'host-ban',
      danger: true,
      run: () => {
        if (confirm(`Remove ${target.name} and stop them from rejoining this meeting?`)) return act('participant.remove', { participantId: target.id, ban: true })();
      },
    },
  );
  return items;
}
