/**
 * "My meetings" (GET/POST /api/v1/me/meetings, PATCH/DELETE /me/meetings/:id):
 * the meetings a signed-in person owns, scheduled and recent, and the
 * recordings of sessions they hosted. The meetings domain serves these
 * routes; their shapes are written here for the clients.
 */
export interface MyMeeting {
  /** The meeting code: /m/<id>. */
  id: string;
  topic: string;
  /** When it is scheduled to start (ms since epoch); null for a meeting that was simply opened. */
  startsAt: number | null;
  createdAt: number;
  /** Someone is in it now. */
  live: boolean;
  participants: number;
  hasPasscode: boolean;
  /** Everyone waits in the lobby until a host lets them in. */
  lobby?: boolean;
  /** The meeting's path (`/m/<id>`). */
  link?: string;
}

export interface MyRecording {
  id: string;
  roomId: string;
  topic?: string;
  startedAt: number;
  durationMs: number | null;
  state: 'recording' | 'processing' | 'ready' | 'failed' | (string & {});
  /** A signed download link, when ready. */
  download: string | null;
}

export interface MyMeetings {
  scheduled: MyMeeting[];
  recent: MyMeeting[];
  recordings: MyRecording[];
}

export interface CreateMeetingInput {
  topic: string;
  /** ISO 8601 or ms since epoch; absent for "now". */
  startsAt?: string | number;
  /** Absent or null: no passcode. */
  passcode?: string | null;
  /** Everyone waits in the lobby until a host lets them in. */
  lobby?: boolean;
}
