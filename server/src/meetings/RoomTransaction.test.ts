import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer } from '../testing/index.ts';
import type { RoomTransaction } from '@muster/signaling';

describe('room transactions', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const clients: ProtocolClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  it('hands out the control primitives inside the queue only: a transaction kept past its task throws', async () => {
    const host = await ProtocolClient.join(server.url, 'tx-room', 'Hana');
    const pat = await ProtocolClient.join(server.url, 'tx-room', 'Pat');
    clients.push(host, pat);
    const room = server.rooms.get('tx-room')!;
    const target = room.participants.get(pat.id)!;
    let kept: RoomTransaction | undefined;
    const changed = await room.exclusive(async (tx) => {
      kept = tx;
      return tx.setHand(target, true);
    });
    expect(changed).toBe(true);
    expect(target.handRaisedAt).not.toBeNull();
    expect(() => kept!.setHand(target, false)).toThrow(/after its task ended/);
    expect(target.handRaisedAt).not.toBeNull();
  });
});
