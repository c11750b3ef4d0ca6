import { useEffect, useRef, useState } from 'preact/hooks';
import type { MyMeetings } from '@muster/accounts/client';
import { Link } from '../app/Link.tsx';
import { meetingLink, meetingPath, navigate } from '../app/router.ts';
import { generateRoomCode } from '../lib/roomCode.ts';
import { toLocalInput } from '../lib/time.ts';
import { CopyButton } from '../ui/CopyButton.tsx';
import { Icon } from '../ui/Icon.tsx';
import { JoinByCode } from '../ui/JoinByCode.tsx';
import { accountErrorText } from './errors.ts';
import { meetingSections, recordingRow, scheduleRequest, topicProblem, type MeetingRow, type ScheduleForm } from './meetings.ts';
import { accounts, currentUser } from './session.ts';

type Load = { status: 'loading' | 'ready' | 'error'; data: MyMeetings | null; error: string };

/**
 * The Meetings tab: start one now, join by code, schedule one; "My
 * meetings" (scheduled and recent, topics editable in place), and the
 * recordings of sessions you hosted. A meeting opened here is yours: the
 * server makes its signed-in opener the owner, who hosts it from any device.
 */
export function MeetingsTab() {
  const [load, setLoad] = useState<Load>({ status: 'loading', data: null, error: '' });
  const [scheduling, setScheduling] = useState(false);
  const user = currentUser.value;

  const reload = async () => {
    try {
      const data = await accounts.myMeetings();
      setLoad({ status: 'ready', data, error: '' });
    } catch (error) {
      setLoad((was) => ({ status: was.data ? 'ready' : 'error', data: was.data, error: accountErrorText(error) }));
    }
  };

  useEffect(() => {
    document.title = 'Meetings · Muster';
    void reload();
    // Coming back to the tab: who is in which meeting may have changed.
    const onFocus = () => void reload();
    addEventListener('focus', onFocus);
    return () => removeEventListener('focus', onFocus);
  }, []);

  const now = Date.now();
  const sections = load.data ? meetingSections(load.data, now) : null;
  const recordings = load.data ? load.data.recordings.map((r) => recordingRow(r, now)) : [];

  return (
    <div class="tab-page meetings-tab" data-testid="meetings-tab">
      <header class="tab-header">
        <h1>Meetings</h1>
        <p class="tab-sub">{user ? `Signed in as ${user.nickname}` : ''}</p>
      </header>
      <section class="meetings-actions">
        <button class="btn btn-primary btn-lg" type="button" data-testid="new-meeting" onClick={() => navigate(meetingPath(generateRoomCode()))}>
          <Icon name="plus" />
          <span>New meeting</span>
        </button>
        <button class={`btn btn-ghost btn-lg${scheduling ? ' active' : ''}`} type="button" data-testid="schedule-toggle" aria-expanded={scheduling} onClick={() => setScheduling(!scheduling)}>
          <Icon name="calendar" />
          <span>Schedule</span>
        </button>
        <JoinByCode placeholder="Code or link" invalid="That is not a meeting code or link." inputTestId="join-code" submitTestId="join-submit" />
      </section>
      {scheduling && (
        <ScheduleMeeting
          onDone={() => {
            setScheduling(false);
            void reload();
          }}
          onCancel={() => setScheduling(false)}
        />
      )}
      <section class="card-section" data-testid="my-meetings" data-state={load.status} aria-busy={load.status === 'loading'}>
        <h2>My meetings</h2>
        {load.status === 'loading' && <p class="muted">Loading…</p>}
        <p class="form-error" role="alert" data-testid="my-meetings-error">
          {load.error}
        </p>
        {sections && (
          <>
            <h3 class="list-title">Upcoming</h3>
            {sections.scheduled.length === 0 ? (
              <p class="muted" data-testid="no-scheduled">
                Nothing scheduled. “Schedule” plans a meeting with a topic and a time.
              </p>
            ) : (
              <ul class="item-list" data-testid="scheduled-meetings">
                {sections.scheduled.map((row) => (
                  <MeetingItem key={row.id} row={row} onChanged={() => void reload()} />
                ))}
              </ul>
            )}
            <h3 class="list-title">Recent</h3>
            {sections.recent.length === 0 ? (
              <p class="muted" data-testid="no-recent">
                Meetings you open while signed in are kept here, and you host them from any device.
              </p>
            ) : (
              <ul class="item-list" data-testid="recent-meetings">
                {sections.recent.map((row) => (
                  <MeetingItem key={row.id} row={row} onChanged={() => void reload()} />
                ))}
              </ul>
            )}
          </>
        )}
      </section>
      {load.data && recordings.length > 0 && (
        <section class="card-section" data-testid="my-recordings">
          <h2>Recordings</h2>
          <ul class="item-list">
            {recordings.map((r) => (
              <li key={r.id} class="item" data-testid="recording-item" data-recording-id={r.id} data-state={r.state}>
                <div class="item-main">
                  <span class="item-title">{r.title}</span>
                  <span class="item-sub">
                    {r.when}
                    {r.duration && ` · ${r.duration}`}
                    {r.stateText && ` · ${r.stateText}`}
                  </span>
                </div>
                {r.download && (
                  <a class="btn btn-ghost btn-small" href={r.download} download data-testid="recording-download">
                    <Icon name="download" />
                    <span>Download</span>
                  </a>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** One of my meetings: its topic (a button that turns into an input), when, and start/join. */
function MeetingItem({ row, onChanged }: { row: MeetingRow; onChanged(): void }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(row.topic);
  const [topic, setTopic] = useState(row.topic);
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const saving = useRef(false);

  useEffect(() => setTopic(row.topic), [row.topic]);
  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  const save = async () => {
    if (saving.current) return;
    const next = draft.trim();
    if (next === topic) return setEditing(false);
    const problem = topicProblem(next);
    if (problem) return setError(problem);
    saving.current = true;
    try {
      const updated = await accounts.renameMeeting(row.id, next);
      setTopic(updated.topic);
      setEditing(false);
      setError('');
    } catch (e) {
      setError(accountErrorText(e));
    } finally {
      saving.current = false;
    }
  };

  const remove = async () => {
    if (!confirm(`Delete “${topic}”? Its link stops working${row.live ? ', and the meeting ends for everyone in it' : ''}.`)) return;
    try {
      await accounts.deleteMeeting(row.id);
      onChanged();
    } catch (e) {
      setError(accountErrorText(e));
    }
  };

  return (
    <li class="item meeting-item" data-testid="meeting-item" data-meeting-id={row.id} data-live={String(row.live)}>
      <div class="item-main">
        {editing ? (
          <form
            class="topic-form"
            onSubmit={(event) => {
              event.preventDefault();
              void save();
            }}
          >
            <input
              ref={input}
              class="input input-sm"
              type="text"
              maxLength={200}
              aria-label="Topic"
              enterKeyHint="done"
              data-testid="meeting-topic-input"
              value={draft}
              onInput={(e) => (setDraft(e.currentTarget.value), setError(''))}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  setDraft(topic);
                  setEditing(false);
                  setError('');
                }
              }}
              onBlur={() => void save()}
            />
          </form>
        ) : (
          <button
            class="item-title topic-btn"
            type="button"
            title="Rename"
            data-testid="meeting-topic"
            onClick={() => {
              setDraft(topic);
              setEditing(true);
            }}
          >
            <span>{topic}</span>
            <Icon name="edit" />
          </button>
        )}
        <span class="item-sub">
          <span data-testid="meeting-when">{row.when}</span>
          {row.live && (
            <span class="badge badge-live" data-testid="meeting-live">
              Live · {row.liveText}
            </span>
          )}
          {row.hasPasscode && <span class="badge">Passcode</span>}
          {row.lobby && <span class="badge">Lobby</span>}
        </span>
        <p class="form-error" role="alert">
          {error}
        </p>
      </div>
      <div class="item-actions">
        <CopyButton class="link-btn" label="Link" icon="copy" title="Copy the meeting link" testId="meeting-copy" promptLabel="Copy this meeting link" text={() => meetingLink(row.id)} />
        <button class="icon-btn" type="button" title="Delete" aria-label={`Delete ${topic}`} data-testid="meeting-delete" onClick={() => void remove()}>
          <Icon name="trash" />
        </button>
        <Link class={`btn btn-small ${row.live ? 'btn-primary' : 'btn-ghost'}`} href={row.href} data-testid="meeting-open">
          {row.action}
        </Link>
      </div>
    </li>
  );
}

/** "Schedule a meeting": topic, date and time, an optional passcode, and a lobby. */
function ScheduleMeeting({ onDone, onCancel }: { onDone(): void; onCancel(): void }) {
  const [form, setForm] = useState<ScheduleForm>(() => ({ topic: '', when: toLocalInput(nextHalfHour(Date.now())), passcode: '', lobby: false }));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<ScheduleForm>) => {
    setForm({ ...form, ...change });
    setError('');
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = scheduleRequest(form, Date.now());
    if (!checked.ok) return setError(checked.error);
    setBusy(true);
    try {
      await accounts.createMeeting(checked.input);
      onDone();
    } catch (e) {
      setError(accountErrorText(e));
      setBusy(false);
    }
  };

  return (
    <form class="card-section schedule-form" data-testid="schedule-form" noValidate onSubmit={(e) => void submit(e)}>
      <h2>Schedule a meeting</h2>
      <div class="form-grid">
        <label class="field">
          <span class="field-label">Topic</span>
          <input class="input" type="text" maxLength={200} data-testid="schedule-topic" value={form.topic} onInput={(e) => set({ topic: e.currentTarget.value })} />
        </label>
        <label class="field">
          <span class="field-label">Date and time</span>
          <input class="input" type="datetime-local" data-testid="schedule-when" value={form.when} onInput={(e) => set({ when: e.currentTarget.value })} />
        </label>
        <label class="field">
          <span class="field-label">Passcode (optional)</span>
          <input class="input" type="text" maxLength={64} autocomplete="off" data-testid="schedule-passcode" value={form.passcode} onInput={(e) => set({ passcode: e.currentTarget.value })} />
        </label>
        <label class="check">
          <input type="checkbox" data-testid="schedule-lobby" checked={form.lobby} onChange={(e) => set({ lobby: e.currentTarget.checked })} />
          <span>Lobby: people wait until a host lets them in</span>
        </label>
      </div>
      <p class="form-error" role="alert" data-testid="schedule-error">
        {error}
      </p>
      <div class="form-actions">
        <button class="btn btn-ghost" type="button" onClick={onCancel}>
          Cancel
        </button>
        <button class="btn btn-primary" type="submit" disabled={busy} data-testid="schedule-submit">
          {busy ? 'Scheduling…' : 'Schedule'}
        </button>
      </div>
    </form>
  );
}

function nextHalfHour(now: number): number {
  const half = 30 * 60_000;
  return Math.ceil((now + 5 * 60_000) / half) * half;
}
