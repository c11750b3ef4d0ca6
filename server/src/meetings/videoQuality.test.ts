/**
 * The host's `videoQuality` setting caps the spatial layer every subscriber
 * receives of a scalable stream, apart from each subscriber's own preference:
 * the lower of the two applies, and changing one keeps the other. A publisher
 * sends generated VP9 L3T3_KEY over a werift peer through the real protocol.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpPacket, type RTCPeerConnection } from 'werift';
import { createSfuClientPeer } from '@muster/media';
import { generateStream } from '@muster/media/testing/svc-streams';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

const ROOM = 'quality';
const PICTURES_PER_SECOND = 30;

describe('meeting setting videoQuality', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const clients: ProtocolClient[] = [];
  let publisher: RTCPeerConnection;
  let timer: NodeJS.Timeout | undefined;
  let host: ProtocolClient;
  let pat: ProtocolClient;

  const join = async (name: string) => {
    const c = await ProtocolClient.join(server.url, ROOM, name);
    clients.push(c);
    return c;
  };
  const dump = () => server.rooms.get(ROOM)!.dumpWithMedia();
  /** The video consumer of `name`, as the REST dump shows it. */
  const videoConsumer = async (name: string) => {
    const consumers = (await dump()).participants.find((p) => p.name === name)?.consumers ?? [];
    return consumers.find((c) => c.kind === 'video' && c.layers) ?? null;
  };
  const targetOf = async (name: string) => (await videoConsumer(name))?.layers?.targetSpatialLayer;

  beforeAll(async () => {
    server = await startTestServer();
    host = await join('Hana');
    // The host publishes VP9 L3T3_KEY (generated packets with real frame headers).
    publisher = createSfuClientPeer();
    const video = publisher.addTransceiver('video', { direction: 'sendonly' });
    video.setCodecPreferences(publisher.config.codecs.video!.filter((c) => c.mimeType === 'video/VP9'));
    await publisher.setLocalDescription(await publisher.createOffer());
    const published = await host.send('publish', { sdp: publisher.localDescription!.sdp, tracks: [{ mid: video.mid!, source: 'camera' }] });
    if (!published.ok) throw new Error(JSON.stringify(published));
    await publisher.setRemoteDescription({ type: 'answer', sdp: published.data.sdp });
    const stream = generateStream({ codec: 'vp9', pictures: PICTURES_PER_SECOND * 120, keyFrameInterval: PICTURES_PER_SECOND, frameHeaders: true });
    let next = 0;
    timer = setInterval(() => {
      const picture = stream[next]?.frame.picture;
      while (next < stream.length && stream[next]!.frame.picture === picture) {
        const g = stream[next++]!;
        video.sender.sendRtp(RtpPacket.deSerialize(Buffer.from(g.packet.buffer.subarray(0, g.packet.length)))).catch(() => undefined);
      }
    }, 1000 / PICTURES_PER_SECOND);
    pat = await join('Pat');
    await waitUntil(async () => ((await targetOf('Pat')) === 2 ? true : null), 20_000, 'Pat at the top layer of a three-layer stream');
  }, 40_000);

  afterAll(async () => {
    clearInterval(timer);
    for (const c of clients) c.close();
    await publisher?.close().catch(() => undefined);
    await server?.close();
  });

  it('refuses the setting from a participant with FORBIDDEN and changes nothing', async () => {
    const auditBefore = server.rooms.get(ROOM)!.audit.entries.length;
    const refused = await pat.send('room.update', { settings: { videoQuality: 'low' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await dump()).settings.videoQuality).toBe('high');
    expect((await videoConsumer('Pat'))?.preferences?.hostSpatialLayer).toBeUndefined();
    expect(await targetOf('Pat')).toBe(2);
    expect(server.rooms.get(ROOM)!.audit.entries.length).toBe(auditBefore);
  });

  it('rejects unknown qualities with BAD_REQUEST', async () => {
    expect(await host.send('room.update', { settings: { videoQuality: 'ultra' } })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('caps existing and new consumers at spatial layer 0 when the host sets low, audited', async () => {
    const auditBefore = server.rooms.get(ROOM)!.audit.entries.length;
    const reply = await host.send('room.update', { settings: { videoQuality: 'low' } });
    expect(reply).toMatchObject({ ok: true, data: { room: { settings: { videoQuality: 'low' } } } });
    expect(server.rooms.get(ROOM)!.audit.entries[auditBefore]).toMatchObject({ action: 'room.update', details: { settings: { videoQuality: 'low' } } });
    expect((await videoConsumer('Pat'))?.preferences?.hostSpatialLayer).toBe(0);
    await waitUntil(async () => ((await targetOf('Pat')) === 0 ? true : null), 5_000, 'Pat capped at layer 0');

    await join('Nia');
    await waitUntil(async () => ((await videoConsumer('Nia'))?.preferences?.hostSpatialLayer === 0 ? true : null), 10_000, 'Nia capped');
    await waitUntil(async () => ((await targetOf('Nia')) === 0 ? true : null), 5_000, 'Nia at layer 0');
  });

  it('keeps the user preference apart from the host cap: the lower applies, changing one keeps the other', async () => {
    const trackId = (await dump()).participants.find((p) => p.name === 'Hana')!.producers.find((p) => p.kind === 'video')!.id;
    expect(await pat.send('subscription.update', { tracks: [{ trackId, spatialLayer: 1 }] })).toMatchObject({ ok: true });
    expect((await videoConsumer('Pat'))?.preferences).toMatchObject({ spatialLayer: 1, hostSpatialLayer: 0 });
    expect(await targetOf('Pat')).toBe(0);

    expect(await host.send('room.update', { settings: { videoQuality: 'high' } })).toMatchObject({ ok: true });
    expect((await videoConsumer('Pat'))?.preferences).toMatchObject({ spatialLayer: 1, hostSpatialLayer: 2 });
    await waitUntil(async () => ((await targetOf('Pat')) === 1 ? true : null), 5_000, 'Pat at its own preference, layer 1');
    await waitUntil(async () => ((await targetOf('Nia')) === 2 ? true : null), 5_000, 'Nia back at the top');
  });
});
