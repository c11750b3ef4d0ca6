import express, { type Router } from 'express';
import { RoomIdSchema } from '../protocol.ts';
import type { RoomManager } from '../rooms/RoomManager.ts';

/** `/api/v1/rooms`: what integrations and operators read about meetings. */
export function roomsApi(rooms: RoomManager): Router {
  const router = express.Router();

  router.get('/rooms', (_req, res) => {
    res.json(
      rooms.rooms.map((room) => ({
        id: room.id,
        topic: room.topic,
        createdAt: room.createdAt,
        participants: room.participants.size,
      })),
    );
  });

  router.get('/rooms/:id', (req, res) => {
    const id = RoomIdSchema.safeParse(req.params.id);
    if (!id.success) return res.status(400).json({ error: { code: 'BAD_REQUEST', message: 'invalid room id' } });
    const room = rooms.get(id.data);
    if (!room) return res.status(404).json({ error: { code: 'NOT_FOUND', message: `no room ${id.data}` } });
    res.json(room.dump());
  });

  return router;
}
