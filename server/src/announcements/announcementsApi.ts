import { randomUUID } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import type { Announcement } from '@muster/kit/longlink';
import { zodMessage } from '@muster/kit/gateway';
import { jsonBody } from '@muster/kit/json-body';

export const AnnouncementBodySchema = z.object({ text: z.string().trim().min(1).max(2000) }).strict();
export const AnnouncementSchema = z.object({ id: z.string(), text: z.string(), sentAt: z.number().int() });

/** Where an announcement goes: every live connection of every transport. */
export type AnnouncementSink = (announcement: Announcement) => void;

/**
 * `POST /announcements` (the API token): one notice to everyone connected
 * now, on every transport ("the system restarts at 22:00"). Live only: it
 * is not stored, and nobody offline receives it later.
 */
export function announcementsApi(send: AnnouncementSink): express.Router {
  const router = express.Router();
  router.post('/announcements', ...jsonBody({ limit: '16kb' }), (req: express.Request, res: express.Response) => {
    const parsed = AnnouncementBodySchema.safeParse(req.body ?? {});
    if (!parsed.success) return void res.status(400).json({ error: { code: 'BAD_REQUEST', message: zodMessage(parsed.error) } });
    const announcement: Announcement = { id: randomUUID(), text: parsed.data.text, sentAt: Date.now() };
    send(announcement);
    res.status(202).json(announcement);
  });
  return router;
}
