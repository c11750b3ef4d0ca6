import { Recorder, RecorderError, summaryOf, type RecordingInfo, type RecordingSource } from '@muster/recorder';
import { MusterError, type RecordingListEntry } from '../protocol.ts';
import type { Room } from '../rooms/Room.ts';
import { isModerator } from './policy.ts';

/** What a room offers a recording: its media (worker and router, which move if the worker dies) and its tracks. */
function sourceOf(room: Room): RecordingSource {
  return {
    roomId: room.id,
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
      void room.exclusive(async () => {
        if (!room.closed && !this.isRecording(room.id)) room.setRecordingNow(false);
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

  /** The room closed (ended, emptied): its recording stops and is finished in the background. */
  roomClosed(roomId: string): void {
    if (this.isRecording(roomId)) void this.recorder.stop(roomId).catch(() => undefined);
  }

  /** A room's recordings for a host, each with a link that works without the API token. */
  async listFor(roomId: string): Promise<RecordingListEntry[]> {
    const list = await this.recorder.list(roomId);
    return list.map((r) => ({
      ...r,
      downloadUrl: r.state === 'ready' && r.hasComposite ? `/api/v1/recordings/${r.id}/file?access=${this.recorder.downloadToken(r.id)}` : null,
    }));
  }
}

export { summaryOf };
