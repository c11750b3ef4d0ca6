import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { canSelectSpeaker, deviceIdOf, listDevices, type DeviceLists } from '../lib/devices.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon, type IconName } from '../ui/Icon.tsx';
import { getPref } from '../lib/prefs.ts';
import { DeviceSelect } from '../ui/DeviceSelect.tsx';
import { showMenu } from '../ui/PopoverMenu.tsx';
import { hostMenuItems } from './hostMenu.ts';
import { HostTools } from './HostTools.tsx';
import { handQueue, peopleList, type PersonEntry } from './people.ts';
import type { MeetingStore } from './store.ts';

/**
 * A side panel. On a wide screen it sits beside the stage; on a phone the
 * same element covers the stage as a sheet (CSS decides, the DOM is one).
 */
export function Panel(props: { id: string; title: string; open: boolean; onClose(): void; bodyClass?: string; children: ComponentChildren }) {
  return (
    <aside class="panel" id={props.id} aria-label={props.title} hidden={!props.open}>
      <header class="panel-header">
        <h2>{props.title}</h2>
        <button class="icon-btn" type="button" aria-label="Close" title="Close" data-testid={`${props.id}-close`} onClick={props.onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div class={`panel-body${props.bodyClass ? ` ${props.bodyClass}` : ''}`}>{props.children}</div>
    </aside>
  );
}

/** Everyone in the meeting, raised hands, and (for hosts and co-hosts) the meeting-wide controls. */
export function PeoplePanel({ store }: { store: MeetingStore }) {
  const open = store.panel.value === 'people';
  const m = store.meeting.value;
  const count = m.self ? m.remotes.length + 1 : 0;
  return (
    <Panel id="participants-panel" title={`People (${count})`} open={open} onClose={() => store.openPanel(null)}>
      {open && (
        <>
          <HostTools store={store} />
          <HandQueue store={store} />
          <ul class="people" data-testid="participant-list">
            {peopleList(m).map((entry) => (
              <PersonRow key={entry.id} entry={entry} onMenu={(anchor) => openHostMenu(store, entry.id, anchor)} />
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}

/** The ⋯ menu for one person: what you may do to them, from the meeting as it is now. */
export function openHostMenu(store: MeetingStore, participantId: string, anchor: HTMLElement): void {
  const m = store.meeting.peek();
  const target = m.remotes.find((p) => p.id === participantId);
  const items = target ? hostMenuItems(m.self, target) : [];
  showMenu(
    anchor,
    items.map((item) => ({ label: item.label, testId: item.testId, danger: item.danger, run: () => store.runHostAction(item) })),
    'host-menu-popover',
  );
}

function PersonRow({ entry: e, onMenu }: { entry: PersonEntry; onMenu(anchor: HTMLElement): void }) {
  const status = (name: IconName, on: boolean, label: string) => (
    <span class={`status-icon${on ? ' on' : ''}`} title={label} aria-label={label}>
      <Icon name={name} />
    </span>
  );
  return (
    <li
      class="person"
      data-testid="participant-item"
      data-participant-list-id={e.id}
      data-muted={String(e.micMuted)}
      data-host={String(e.host)}
      data-guest={String(e.guest)}
      data-cohost={String(e.coHost)}
      data-hand-raised={String(e.hand)}
      data-video-quality={e.videoQuality}
    >
      <Avatar name={e.name} src={e.avatar} />
      <span class="person-name">
        <span class="person-text">{e.name}</span>
        {(e.you || e.host || e.coHost || e.guest || e.videoQuality !== 'high') && (
          <span class="person-sub">
            {e.host && (
              <span class="badge badge-host" data-testid="host-badge">
                Host
              </span>
            )}
            {e.coHost && (
              <span class="badge badge-cohost" data-testid="cohost-badge">
                Co-host
              </span>
            )}
            {e.guest && (
              <span class="badge badge-guest" data-testid="guest-badge" title="Joined without an account, or with a guest account">
                Guest
              </span>
            )}
            {e.videoQuality !== 'high' && (
              <span class="badge" data-testid="video-limit-badge" title="A host limited this video for everyone">
                Video {e.videoQuality}
              </span>
            )}
            {e.you && <span class="person-you">You</span>}
          </span>
        )}
      </span>
      <span class="person-status">
        {e.hand && (
          <span class="status-icon on hand" title="Hand raised" aria-label="Hand raised">
            <Icon name="hand" />
          </span>
        )}
        {e.sharing && status('screen', true, 'Presenting')}
        {e.videoOff ? status('videoOff', false, 'Camera off') : status('video', true, 'Camera on')}
        {e.micMuted ? status('micOff', false, 'Muted') : status('mic', true, 'Microphone on')}
      </span>
      {e.menu && (
        <button class="icon-btn person-menu" type="button" aria-label={`Host controls for ${e.name}`} title="Host controls" data-testid="host-menu" onClick={(event) => onMenu(event.currentTarget)}>
          <Icon name="more" />
        </button>
      )}
    </li>
  );
}

/** Raised hands, first raised first: the order people get to speak in. */
function HandQueue({ store }: { store: MeetingStore }) {
  const queue = handQueue(store.meeting.value);
  return (
    <section class="hand-queue" data-testid="hand-queue" hidden={queue.length === 0}>
      <h3 class="section-title">
        <Icon name="hand" />
        {`Raised hands (${queue.length})`}
      </h3>
      <ol class="hand-list">
        {queue.map((p, i) => (
          <li key={p.id} class="hand-item" data-testid="hand-queue-item" data-participant-list-id={p.id}>
            <span class="hand-pos">{String(i + 1)}</span>
            <span>{p.label}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Device pickers inside the meeting, including the speaker where the browser allows choosing one. */
export function SettingsPanel({ store }: { store: MeetingStore }) {
  const open = store.panel.value === 'settings';
  const m = store.meeting.value;
  const [devices, setDevices] = useState<DeviceLists>({ cameras: [], mics: [], speakers: [] });
  // Listed when opened: labels and devices may have changed since the last time.
  useEffect(() => {
    if (!open) return;
    let current = true;
    void listDevices().then((lists) => current && setDevices(lists));
    return () => {
      current = false;
    };
  }, [open]);

  const speakerId = store.speakerId.value;
  return (
    <Panel id="settings-panel" title="Settings" open={open} onClose={() => store.openPanel(null)}>
      <label class="field">
        <span class="field-label">
          <Icon name="video" />
          Camera
        </span>
        <DeviceSelect testId="camera-select" devices={devices.cameras} selected={deviceIdOf(m.local.camera) ?? getPref('cameraId')} empty="No camera found" onChange={(id) => void store.local.selectCamera(id)} />
      </label>
      <label class="field">
        <span class="field-label">
          <Icon name="mic" />
          Microphone
        </span>
        <DeviceSelect testId="mic-select" devices={devices.mics} selected={deviceIdOf(m.local.mic) ?? getPref('micId')} empty="No microphone found" onChange={(id) => void store.local.selectMic(id)} />
      </label>
      <label class="field" hidden={!canSelectSpeaker()}>
        <span class="field-label">
          <Icon name="volume" />
          Speaker
        </span>
        <DeviceSelect testId="audio-output-select" devices={devices.speakers} selected={speakerId || 'default'} empty="System default" onChange={(id) => store.selectSpeaker(id)} />
      </label>
      <div class="panel-section">
        <p class="hint">Choppy or frozen video? Rebuild the media connection without leaving.</p>
        <button class="btn btn-ghost btn-block" type="button" data-testid="reconnect-media" onClick={() => void store.room.restartMedia('user')}>
          Reconnect audio and video
        </button>
      </div>
    </Panel>
  );
}
