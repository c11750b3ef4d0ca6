import { createHash } from 'node:crypto';
import { Recorder, RecorderError, summaryOf, type RecordingInfo, type RecordingSource, type RecordingSummary } from '@muster/recorder';
import { MusterError, type RecordingListEntry } from '../protocol.ts';
import type { Participant } from '../rooms/Participant.ts';
import type { Room } from '../rooms/Room.ts';
import { isModerator } from './policy.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'recorder' });

/**
 * The key a recording keeps for one of its session's hosts: a hash of their
 * meeting identity (the `sub` of the meeting token their client keeps), so the
 * files on disk name nobody and hold nothing that works as a credential.
 */
export function hostKeyOf(identity: string): string {
  return createHash('sha256').update(`muster-recording-host:${identity}`).digest('base64url');
}

/** What a room offers a recording: its media (worker and router, which move if the worker dies) and its tracks. */
function sourceOf(room: Room): RecordingSource {
  return {
    roomId: room.id,
    sessionId: room.sessionId,
    hosts: () => room.moderatorIdentities.map(hostKeyOf),
    media: () => (room.closed ? null : { worker: room.worker, routerId: room.routerId }),
    tracks: () =>
      [...room.participants.values()]
        .filter((p) => !p.left)
        .flatMap((p) =>
          [...p.tracks.values()].map((t) => ({
            producerId: t.id,
            participantId: p.id,
            participantName: p.name,
            kind: t.kind,
            source: t.source,
            codec: t.codec,
          })),
        ),
  };
}

/**
 * The meeting side of the recorder: starts and stops a room's recording for
 * the `recording.set` control (socket and REST alike), tells hosts about
 * problems, and turns the indicator off when a recording ends on its own.
 */
export class RoomRecorder {
  readonly recorder: Recorder;

  constructor(recorder: Recorder) {
    this.recorder = recorder;
  }

  isRecording(roomId: string): boolean {
    return this.recorder.active(roomId) !== undefined;
  }

  /** Call inside the room's queue. */
  async start(room: Room, startedBy: string): Promise<RecordingInfo> {
    let recording;
    try {
      recording = await this.recorder.start(sourceOf(room), startedBy);
    } catch (error) {
      if (error instanceof RecorderError && error.code === 'ALREADY_RECORDING') throw new MusterError('BAD_STATE', error.message);
      if (error instanceof RecorderError) throw new MusterError('MEDIA_UNAVAILABLE', error.message);
      throw error;
    }
    const tellHosts = (code: Parameters<typeof room.broadcast<'recording.problem'>>[1]['code'], message: string, stopped: boolean) => {
      for (const p of room.participants.values()) {
        if (!p.left && isModerator(p.role)) p.emit('recording.problem', { recordingId: recording.id, code, message, stopped });
      }
    };
    recording.on('problem', (code, message) => {
      if (code !== 'DISK_FULL') tellHosts(code, message, false);
    });
    recording.on('stoppedByError', (message) => {
      tellHosts('DISK_FULL', message, true);
      void room.exclusive(async (tx) => {
        if (!room.closed && !this.isRecording(room.id)) tx.setRecording(false);
      });
    });
    return recording.info;
  }

  /** Call inside the room's queue. */
  async stop(room: Room): Promise<RecordingInfo> {
    try {
      return await this.recorder.stop(room.id);
    } catch (error) {
      if (error instanceof RecorderError) throw new MusterError('BAD_STATE', error.message);
      throw error;
    }
  }

  /**
   * The room closed (ended, emptied): its recording stops and is finished in
   * the background, and every recording of the session is opened to all who
   * hosted it, including those who became host after a recording began.
   */
  roomClosed(room: Room): void {
    if (this.isRecording(room.id)) void this.recorder.stop(room.id).catch(() => undefined);
    void this.recorder.addHosts(room.sessionId, room.moderatorIdentities.map(hostKeyOf)).catch((error) => log.error({ err: error, room: room.id }, 'could not update recording access'));
  }

  /**
   * The recordings a participant may see, each with links that work without
   * the API token for ten minutes: this session's while they host it, and
   * earlier sessions' of this room that they hosted (recognised by the
   * meeting identity their client kept). Someone who merely opens a room name
   * that others used before sees nothing of theirs.
   */
  async listFor(room: Room, participant: Participant): Promise<RecordingListEntry[]> {
    const current = room.can(participant.id, 'moderate') ? await this.recorder.ofSession(room.sessionId) : [];
    const earlier = await this.recorder.visibleTo(room.id, [hostKeyOf(participant.identity)]);
    const seen = new Set(current.map((r) => r.id));
    return [...current, ...earlier.filter((r) => !seen.has(r.id))].sort((a, b) => a.startedAt - b.startedAt).map((r) => this.#withLinks(r));
  }

  /** Every recording of a session this meeting identity hosted (a signed-in person's: any room, any device), with links. */
  async hostedBy(identity: string): Promise<RecordingListEntry[]> {
    return (await this.recorder.hostedBy([hostKeyOf(identity)])).map((r) => this.#withLinks(r));
  }

  #withLinks(r: RecordingSummary): RecordingListEntry {
    return {
      ...r,
      downloadUrl: r.state === 'ready' && r.hasComposite ? `/api/v1/recordings/${r.id}/file?access=${this.recorder.downloadToken(r.id, COMPOSITE_LINK)}` : null,
    };
  }
}

/** The name a composite's link is signed for (its route names no file). */
export const COMPOSITE_LINK = 'composite';

export { summaryOf };
