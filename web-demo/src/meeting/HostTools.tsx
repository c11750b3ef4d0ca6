import type { RecordingListEntry } from '@muster/signaling/protocol';
import { useState } from 'preact/hooks';
import { meetingLink } from '../app/router.ts';
import { CopyButton } from '../ui/CopyButton.tsx';
import { isModerator } from './model.ts';
import type { MeetingStore } from './store.ts';
import { InviteContactsButton } from '../call/PeoplePicker.tsx';

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

function ActionButton(props: { testId: string; label: string; run(): unknown; extra?: string; pressed?: boolean; hidden?: boolean }) {
  return (
    <button
      class={`btn btn-ghost btn-sm${props.extra ? ` ${props.extra}` : ''}`}
      type="button"
      data-testid={props.testId}
      aria-pressed={props.pressed}
      hidden={props.hidden}
      onClick={() => void props.run()}
    >
      {props.label}
    </button>
  );
}

/**
 * The host's and co-hosts' meeting-wide controls, at the top of the people
 * panel: mute all, lock, lobby, settings, invites, recordings, end. Hidden for others.
 */
export function HostTools({ store }: { store: MeetingStore }) {
  const m = store.meeting.value;
  const info = m.info;
  if (!m.self || !isModerator(m.self) || !info) return <section class="host-tools" data-testid="host-tools" hidden />;
  const send = store.send.bind(store);
  const roomLink = () => meetingLink(info.id);
  return (
    <section class="host-tools" data-testid="host-tools">
      <div class="host-actions">
        <ActionButton label="Mute all" testId="host-mute-all" run={() => send('room.muteAll', { kind: 'audio', allowUnmute: true })} />
        <ActionButton label="Mute all, keep muted" testId="host-mute-all-hold" run={() => send('room.muteAll', { kind: 'audio', allowUnmute: false })} />
        <ActionButton label="Ask all to unmute" testId="host-ask-all" run={() => send('room.askUnmuteAll', { kind: 'audio' })} />
        <ActionButton label="Lower all hands" testId="host-lower-hands" run={() => send('hands.lowerAll', {})} />
        <ActionButton label={info.locked ? 'Unlock meeting' : 'Lock meeting'} testId="host-lock" pressed={info.locked} run={() => send('room.update', { locked: !info.locked })} />
        <ActionButton label={info.lobby ? 'Turn off lobby' : 'Turn on lobby'} testId="host-lobby" pressed={info.lobby} run={() => send('room.update', { lobby: !info.lobby })} />
        <ActionButton label={info.recording ? 'Stop recording' : 'Start recording'} testId="host-recording" run={() => send('recording.set', { on: !info.recording })} />
      </div>
      <fieldset class="host-settings">
        <legend>Participants may</legend>
        {SETTINGS.map(([key, label]) => (
          <label key={key} class="check">
            <input
              type="checkbox"
              data-testid={`setting-${key}`}
              checked={info.settings[key] !== 'moderators'}
              onChange={(event) => {
                const on = event.currentTarget.checked;
                void send('room.update', { settings: { [key]: on ? (key === 'share' || key === 'draw' ? 'participants' : 'everyone') : 'moderators' } });
              }}
            />
            <span>{label}</span>
          </label>
        ))}
        {/* The host's cap on what everyone receives; each person may still choose lower for themselves. */}
        <label class="check">
          <span>Video quality for everyone</span>
          <select
            data-testid="setting-video-quality"
            aria-label="Video quality for everyone"
            value={info.settings.videoQuality}
            onChange={(event) => void send('room.update', { settings: { videoQuality: event.currentTarget.value as VideoQuality } })}
          >
            {VIDEO_QUALITIES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <div class="host-actions">
        <CopyButton
          class="btn btn-ghost btn-sm"
          label="Copy invite link"
          testId="copy-invite"
          text={() => {
            const token = store.room.moderator?.participantInvite;
            return token ? `${roomLink()}?invite=${encodeURIComponent(token)}` : roomLink();
          }}
        />
        <CopyButton
          class="btn btn-ghost btn-sm"
          label="Copy host link"
          testId="copy-host-link"
          hidden={!m.moderator?.hostKey}
          text={() => {
            const key = store.room.moderator?.hostKey;
            return key ? `${roomLink()}?key=${encodeURIComponent(key)}` : null;
          }}
        />
        {/* Signed in, a host rings contacts and groups into the meeting (calls: web-demo/src/call). */}
        {m.moderator?.hostKey && <InviteContactsButton roomId={info.id} />}
      </div>
      <Recordings store={store} />
      <ActionButton
        label="End meeting for all"
        testId="host-end"
        extra="btn-danger"
        run={() => {
          if (confirm('End the meeting for everyone?')) return send('room.end', {});
        }}
      />
    </section>
  );
}

const STATE_LABEL: Record<RecordingListEntry['state'], string> = {
  recording: 'recording now',
  processing: 'being prepared…',
  ready: 'ready',
  failed: 'failed',
};

function duration(ms: number | null): string {
  if (ms === null) return '';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * The meeting's recordings (in the host tools): listed on demand, each ready
 * one with a download link and an inline player. Links are signed by the
 * server and expire after an hour.
 */
function Recordings({ store }: { store: MeetingStore }) {
  const [recordings, setRecordings] = useState<RecordingListEntry[] | null>(null);
  const [playing, setPlaying] = useState<Set<string>>(new Set());
  const refresh = async () => {
    const reply = await store.send('recordings.list', {});
    if (reply) setRecordings(reply.recordings.slice().reverse());
  };
  const togglePlay = (id: string) => {
    const next = new Set(playing);
    if (!next.delete(id)) next.add(id);
    setPlaying(next);
  };
  return (
    <section class="host-recordings">
      <button class="btn btn-ghost btn-sm" type="button" data-testid="show-recordings" onClick={() => void refresh()}>
        Show recordings
      </button>
      <ul class="recordings-list" data-testid="recordings-list">
        {recordings?.length === 0 && <li>No recordings of this meeting yet.</li>}
        {recordings?.map((r) => {
          const when = new Date(r.startedAt).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
          return (
            <li key={r.id} data-recording-id={r.id} data-state={r.state}>
              {`${when} · ${duration(r.durationMs)} · ${STATE_LABEL[r.state]}`}
              {r.downloadUrl && (
                <>
                  {' '}
                  <a href={r.downloadUrl} download="" data-testid="download-recording">
                    Download
                  </a>{' '}
                  <button class="btn btn-ghost btn-sm" type="button" data-testid="play-recording" onClick={() => togglePlay(r.id)}>
                    Play
                  </button>
                  {playing.has(r.id) && <video src={r.downloadUrl} controls class="recording-player" data-testid="recording-player" />}
                </>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** For hosts and co-hosts: who waits in the lobby, with admit and deny. */
export function LobbyNotice({ store }: { store: MeetingStore }) {
  const m = store.meeting.value;
  const waiting = m.self && isModerator(m.self) ? (m.moderator?.lobby ?? []) : [];
  return (
    <div class="lobby-notice" role="status" aria-live="polite" data-testid="lobby-notice" hidden={waiting.length === 0}>
      <strong>Waiting in the lobby</strong>
      <ul class="lobby-list">
        {waiting.map((w) => (
          <li key={w.lobbyId} class="lobby-item" data-testid="lobby-item" data-lobby-id={w.lobbyId}>
            <span class="lobby-name">{w.name}</span>
            <button class="btn btn-primary btn-sm" type="button" data-testid="lobby-admit" onClick={() => void store.send('lobby.admit', { lobbyId: w.lobbyId })}>
              Admit
            </button>
            <button class="btn btn-ghost btn-sm" type="button" data-testid="lobby-deny" onClick={() => void store.send('lobby.deny', { lobbyId: w.lobbyId })}>
              Deny
            </button>
          </li>
        ))}
      </ul>
      <button class="btn btn-primary btn-sm" type="button" data-testid="lobby-admit-all" onClick={() => void store.send('lobby.admit', { all: true })}>
        Admit all
      </button>
    </div>
  );
}
