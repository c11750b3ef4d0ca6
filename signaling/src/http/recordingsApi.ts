import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { summaryOf, type Recorder } from '@muster/recorder';
import { COMPOSITE_LINK, type RoomRecorder } from '../controls/RoomRecorder.ts';
import { RoomIdSchema } from '../protocol.ts';
import type { RoomManager } from '../rooms/RoomManager.ts';
import { constantTimeEqual } from '@muster/kit/constant-time';
import { HttpError, route } from './roomsApi.ts';

export const RecordingIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,80}$/, 'not a recording id');
export const EmptyBodySchema = z.object({}).strict();
export const FileNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,120}$/, 'not a file name');

function roomOf(rooms: RoomManager, id: unknown) {
  const parsed = RoomIdSchema.safeParse(id);
  if (!parsed.success) throw new HttpError('BAD_REQUEST', 'room id: use letters, digits, "-" and "_"');
  const room = rooms.get(parsed.data);
  if (!room || room.closed) throw new HttpError('NOT_FOUND', 'no meeting is running in this room');
  return room;
}

/**
 * Starting, stopping and listing a room's recordings (Bearer token). Start
 * and stop go through the same `recording.set` control as the host's button.
 */
export function recordingsApi(rooms: RoomManager, recorder: RoomRecorder): Router {
  const router = express.Router();

  router.post(
    '/rooms/:id/recordings',
    route(async (req, res) => {
      // Nothing to say yet; a body, if any, must be {} so that options can come later without surprises.
      if (req.body !== undefined && !EmptyBodySchema.safeParse(req.body).success) throw new HttpError('BAD_REQUEST', 'body: expected no body or {}');
      const room = roomOf(rooms, req.params.id);
      if (recorder.isRecording(room.id)) throw new HttpError('CONFLICT', 'this meeting is already being recorded');
      await rooms.controls.execute(room, { type: 'api' }, 'recording.set', { on: true });
      const active = recorder.recorder.active(room.id);
      if (!active) throw new HttpError('CONFLICT', 'the recording ended at once');
      res.status(201);
      return summaryOf(active.info);
    }),
  );

  router.delete(
    '/rooms/:id/recordings/current',
    route(async (req) => {
      const room = roomOf(rooms, req.params.id);
      const active = recorder.recorder.active(room.id);
      if (!active) throw new HttpError('NOT_FOUND', 'this meeting is not being recorded');
      await rooms.controls.execute(room, { type: 'api' }, 'recording.set', { on: false });
      return summaryOf(active.info);
    }),
  );

  router.get(
    '/rooms/:id/recordings',
    route(async (req) => {
      const parsed = RoomIdSchema.safeParse(req.params.id);
      if (!parsed.success) throw new HttpError('BAD_REQUEST', 'room id: use letters, digits, "-" and "_"');
      // Past meetings' recordings are listed too: the room need not be running.
      return recorder.recorder.list(parsed.data);
    }),
  );

  router.get(
    '/recordings/:id',
    route(async (req) => {
      const id = RecordingIdSchema.safeParse(req.params.id);
      const info = id.success ? await recorder.recorder.get(id.data) : undefined;
      if (!info) throw new HttpError('NOT_FOUND', 'no such recording');
      return { ...summaryOf(info), manifest: info.manifest };
    }),
  );

  return router;
}

/**
 * Whether a download request may have one file of a recording: the API
 * token, or a host's link signed for this very file (`link`: its file name,
 * or COMPOSITE_LINK). The server asks the same before it carries a download
 * to the host holding the files.
 */
export function downloadAllowed(req: Request, recorder: Pick<Recorder, 'verifyDownloadToken'>, apiToken: string, recordingId: string, link: string): boolean {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (bearer && constantTimeEqual(bearer[1]!, apiToken)) return true;
  const access = req.query.access;
  return typeof access === 'string' && access.length < 200 && recorder.verifyDownloadToken(recordingId, link, access);
}

/**
 * Downloads: the composite (`/recordings/:id/file`) and each file of the
 * manifest (`/recordings/:id/files/:name`). Allowed with the API token, or
 * with the signed `access` link a host gets from `recordings.list`.
 */
export function recordingFilesApi(recorder: RoomRecorder, apiToken: string): Router {
  const router = express.Router();
  const authorised = (req: Request, recordingId: string, link: string) => downloadAllowed(req, recorder.recorder, apiToken, recordingId, link);

  const send = async (req: Request, res: Response, link: string, name: (info: NonNullable<Awaited<ReturnType<typeof recorder.recorder.get>>>) => string | null) => {
    const id = RecordingIdSchema.safeParse(req.params.id);
    if (!id.success) throw new HttpError('NOT_FOUND', 'no such recording');
    if (!authorised(req, id.data, link)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'UNAUTHORIZED', message: 'a valid Bearer token or download link is required' } });
      return;
    }
    const info = await recorder.recorder.get(id.data);
    if (!info) throw new HttpError('NOT_FOUND', 'no such recording');
    if (info.state === 'recording' || info.state === 'processing') throw new HttpError('CONFLICT', `the recording is still ${info.state}`);
    const file = name(info);
    const opened = file ? await recorder.recorder.storage.open(info.id, file) : undefined;
    if (!file || !opened) throw new HttpError('NOT_FOUND', 'this recording has no such file');
    res.status(200);
    res.set({
      'Content-Type': file.endsWith('.mp4') ? 'video/mp4' : file.endsWith('.webm') ? 'video/webm' : 'application/json',
      'Content-Length': String(opened.size),
      // Saved, never shown in the server's origin: a file is data, not a page.
      'Content-Disposition': `attachment; filename="${info.roomId}-${file}"`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-store',
    });
    opened.stream.pipe(res);
    await new Promise<void>((resolve) => {
      opened.stream.on('close', resolve);
      opened.stream.on('error', () => {
        res.destroy();
        resolve();
      });
    });
  };

  router.get(
    '/recordings/:id/file',
    route((req, res) => send(req, res, COMPOSITE_LINK, (info) => info.manifest.composite?.file ?? null)),
  );
  router.get(
    '/recordings/:id/files/:name',
    route((req, res) => {
      const name = FileNameSchema.safeParse(req.params.name);
      return send(req, res, name.success ? name.data : '', (info) => {
        if (!name.success) return null;
        const listed = info.manifest.tracks.some((t) => t.parts.some((p) => p.files.includes(name.data))) || name.data === 'manifest.json';
        return listed ? name.data : null;
      });
    }),
  );
  return router;
}
