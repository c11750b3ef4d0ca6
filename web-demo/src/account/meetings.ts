import type { CreateMeetingInput, MyMeeting, MyMeetings, MyRecording } from '@muster/accounts/client';
import { meetingPath } from '../app/routes.ts';
import { dayAndTime, formatDuration, fromLocalInput, relativeTime, type DateOptions } from '../lib/time.ts';

/** One row of "My meetings". */
export interface MeetingRow {
  id: string;
  topic: string;
  /** "Today 14:30" for a scheduled one, "Opened 2 hours ago" for the others. */
  when: string;
  live: boolean;
  /** "3 people in it" while live. */
  liveText: string;
  hasPasscode: boolean;
  lobby: boolean;
  href: string;
  /** Start an idle meeting; join a live one. */
  action: 'Start' | 'Join';
}

export function meetingRow(m: MyMeeting, now: number, opts: DateOptions = {}): MeetingRow {
  return {
    id: m.id,
    topic: m.topic || 'Untitled meeting',
    when: m.startsAt !== null ? dayAndTime(m.startsAt, now, opts) : `Opened ${relativeTime(m.createdAt, now, opts)}`,
    live: m.live,
    liveText: m.live ? `${m.participants} ${m.participants === 1 ? 'person' : 'people'} in it` : '',
    hasPasscode: m.hasPasscode,
    lobby: m.lobby ?? false,
    href: meetingPath(m.id),
    action: m.live ? 'Join' : 'Start',
  };
}

/** The two lists as the server orders them (soonest scheduled first; live, then newest). */
export function meetingSections(list: MyMeetings, now: number, opts: DateOptions = {}): { scheduled: MeetingRow[]; recent: MeetingRow[] } {
  return { scheduled: list.scheduled.map((m) => meetingRow(m, now, opts)), recent: list.recent.map((m) => meetingRow(m, now, opts)) };
}

export interface RecordingRow {
  id: string;
  title: string;
  when: string;
  duration: string;
  state: string;
  /** "Processing…", "Failed"… for what is not ready. */
  stateText: string;
  download: string | null;
}

const STATE_TEXT: Record<string, string> = { recording: 'Recording now', processing: 'Processing…', ready: '', failed: 'Failed' };

export function recordingRow(r: MyRecording, now: number, opts: DateOptions = {}): RecordingRow {
  return {
    id: r.id,
    title: r.topic || r.roomId,
    when: dayAndTime(r.startedAt, now, opts),
    duration: r.durationMs === null ? '' : formatDuration(r.durationMs),
    state: r.state,
    stateText: STATE_TEXT[r.state] ?? r.state,
    download: r.state === 'ready' ? r.download : null,
  };
}

/** Mirrors TopicSchema (signaling's protocol): shown text of at most 200 characters. */
export function topicProblem(topic: string): string | null {
  const trimmed = topic.trim();
  if (!trimmed) return 'Give the meeting a topic.';
  if (trimmed.length > 200) return 'A topic has at most 200 characters.';
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'That topic has characters that cannot be shown.';
  return null;
}

export interface ScheduleForm {
  topic: string;
  /** The `<input type="datetime-local">` value; empty for "no set time". */
  when: string;
  passcode: string;
  lobby: boolean;
}

/** A meeting may be scheduled a little in the past (a form filled in slowly); not days ago. */
const PAST_TOLERANCE_MS = 10 * 60_000;

/** The "schedule a meeting" form, checked and turned into the request; or what is wrong with it. */
export function scheduleRequest(form: ScheduleForm, now: number): { ok: true; input: CreateMeetingInput } | { ok: false; field: keyof ScheduleForm; error: string } {
  const topicError = topicProblem(form.topic);
  if (topicError) return { ok: false, field: 'topic', error: topicError };
  const input: CreateMeetingInput = { topic: form.topic.trim(), lobby: form.lobby };
  if (form.when.trim()) {
    const at = fromLocalInput(form.when.trim());
    if (at === null) return { ok: false, field: 'when', error: 'Pick a date and a time.' };
    if (at < now - PAST_TOLERANCE_MS) return { ok: false, field: 'when', error: 'That time has passed. Pick one in the future.' };
    input.startsAt = at;
  }
  const passcode = form.passcode.trim();
  if (passcode.length > 64) return { ok: false, field: 'passcode', error: 'A passcode has at most 64 characters.' };
  if (passcode) input.passcode = passcode;
  return { ok: true, input };
}
