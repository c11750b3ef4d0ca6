/**
 * A host's cap on one participant's video (`participant.setVideoQuality`,
 * REST `POST /rooms/:id/participants/:pid/video-quality`): every consumer of
 * that publisher's video, existing and new, gets at most the capped spatial
 * layer; other publishers are left alone; the meeting's `videoQuality` still
 * applies on top (the lower wins); lifting the cap restores the top layer.
 * Two publishers send generated VP9 L3T3_KEY over werift peers through the
 * real protocol; the subscribers are bare protocol clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpPacket, type RTCPeerConnection } from 'werift';
import { createSfuClientPeer } from '@muster/media';
import { generateStream } from '@muster/media/testing/svc-streams';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';

const ROOM = 'person-quality';
const PICTURES_PER_SECOND = 30;

describe('participant.setVideoQuality: a host caps one person’s video', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const clients: ProtocolClient[] = [];
  const peers: RTCPeerConnection[] = [];
  const timers: NodeJS.Timeout[] = [];
  let host: ProtocolClient;
  let pat: ProtocolClient;
  let nia: ProtocolClient;

  const join = async (name: string) => {
    const c = await ProtocolClient.join(server.url, ROOM, name);
    clients.push(c);
    return c;
  };
  /** Publishes generated VP9 L3T3_KEY camera video as `client`. */
  const publishVp9 = async (client: ProtocolClient) => {
    const peer = createSfuClientPeer();
    peers.push(peer);
    const video = peer.addTransceiver('video', { direction: 'sendonly' });
    video.setCodecPreferences(peer.config.codecs.video!.filter((c) => c.mimeType === 'video/VP9'));
    await peer.setLocalDescription(await peer.createOffer());
    const published = await client.send('publish', { sdp: peer.localDescription!.sdp, tracks: [{ mid: video.mid!, source: 'camera' }] });
    if (!published.ok) throw new Error(JSON.stringify(published));
    await peer.setRemoteDescription({ type: 'answer', sdp: published.data.sdp });
    const stream = generateStream({ codec: 'vp9', pictures: PICTURES_PER_SECOND * 120, keyFrameInterval: PICTURES_PER_SECOND, frameHeaders: true });
    let next = 0;
    timers.push(
      setInterval(() => {
        const picture = stream[next]?.frame.picture;
        while (next < stream.length && stream[next]!.frame.picture === picture) {
          const g = stream[next++]!;
          video.sender.sendRtp(RtpPacket.deSerialize(Buffer.from(g.packet.buffer.subarray(0, g.packet.length)))).catch(() => undefined);
        }
      }, 1000 / PICTURES_PER_SECOND),
    );
    return published.data.tracks[0]!.id;
  };
  const room = () => server.rooms.get(ROOM)!;
  const dump = () => room().dumpWithMedia();
  /** `subscriber`'s consumer of `publisher`'s video, as the REST dump shows it. */
  const consumerOf = async (subscriber: string, publisher: ProtocolClient) => {
    const consumers = (await dump()).participants.find((p) => p.name === subscriber)?.consumers ?? [];
    return consumers.find((c) => c.kind === 'video' && c.participantId === publisher.id && c.layers) ?? null;
  };
  const targetOf = async (subscriber: string, publisher: ProtocolClient) => (await consumerOf(subscriber, publisher))?.layers?.targetSpatialLayer;
  const reaches = (subscriber: string, publisher: ProtocolClient, layer: number) =>
    waitUntil(async () => ((await targetOf(subscriber, publisher)) === layer ? true : null), 10_000, `${subscriber}'s consumer of ${publisher.joined?.self.name} at layer ${layer}`);
  const api = (path: string, body: unknown) =>
    fetch(`${server.url}/api/v1/rooms/${ROOM}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startTestServer();
    host = await join('Hana');
    pat = await join('Pat');
    await publishVp9(host);
    await publishVp9(pat);
    nia = await join('Nia');
    await reaches('Nia', host, 2);
    await reaches('Nia', pat, 2);
    await reaches('Hana', pat, 2);
  }, 40_000);

  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    for (const c of clients) c.close();
    for (const p of peers) await p.close().catch(() => undefined);
    await server?.close();
  });

  it('refuses a participant with FORBIDDEN and changes nothing', async () => {
    const auditBefore = room().audit.entries.length;
    const refused = await nia.send('participant.setVideoQuality', { participantId: pat.id, quality: 'low' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const d = await dump();
    expect(d.participants.find((p) => p.id === pat.id)?.videoQuality).toBe('high');
    expect((await consumerOf('Nia', pat))?.preferences?.hostSpatialLayer).toBeUndefined();
    expect(await targetOf('Nia', pat)).toBe(2);
    expect(room().audit.entries.length).toBe(auditBefore);
  });

  it('rejects bad input with stable codes', async () => {
    expect(await host.send('participant.setVideoQuality', { participantId: pat.id, quality: 'ultra' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await host.send('participant.setVideoQuality', { participantId: pat.id })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await host.send('participant.setVideoQuality', { participantId: 'nobody', quality: 'low' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await api(`/participants/${pat.id}/video-quality`, { quality: 'ultra' })).status).toBe(400);
    expect((await api(`/participants/nobody/video-quality`, { quality: 'low' })).status).toBe(404);
  });

  it('caps every existing consumer of that publisher, leaves other publishers alone, audits and tells everyone', async () => {
    const auditBefore = room().audit.entries.length;
    const updated = nia.waitFor('participant.updated', (p) => p.id === pat.id && p.videoQuality === 'low');
    expect(await host.send('participant.setVideoQuality', { participantId: pat.id, quality: 'low' })).toMatchObject({ ok: true });
    await updated;
    expect(room().audit.entries[auditBefore]).toMatchObject({
      action: 'participant.setVideoQuality',
      actor: { type: 'participant', name: 'Hana' },
      target: { participantId: pat.id, name: 'Pat' },
      details: { quality: 'low' },
    });
    expect((await dump()).participants.find((p) => p.id === pat.id)?.videoQuality).toBe('low');
    expect((await consumerOf('Nia', pat))?.preferences?.hostSpatialLayer).toBe(0);
    expect((await consumerOf('Hana', pat))?.preferences?.hostSpatialLayer).toBe(0);
    await reaches('Nia', pat, 0);
    await reaches('Hana', pat, 0);
    // Hana's video is not Pat's: Nia keeps it at the top, uncapped.
    expect((await consumerOf('Nia', host))?.preferences?.hostSpatialLayer).toBeUndefined();
    expect(await targetOf('Nia', host)).toBe(2);
    expect(await targetOf('Pat', host)).toBe(2);
  });

  it('caps new consumers of that publisher: a newcomer and a subscriber whose media restarted', async () => {
    await join('Omar');
    await waitUntil(async () => ((await consumerOf('Omar', pat))?.preferences?.hostSpatialLayer === 0 ? true : null), 10_000, 'Omar capped');
    await reaches('Omar', pat, 0);
    await reaches('Omar', host, 2);

    const before = (await consumerOf('Nia', pat))!.id;
    expect(await nia.send('media.restart', { reason: 'user' })).toMatchObject({ ok: true });
    const after = await waitUntil(async () => {
      const c = await consumerOf('Nia', pat);
      return c && c.id !== before ? c : null;
    }, 10_000, 'a new consumer after the restart');
    expect(after.preferences?.hostSpatialLayer).toBe(0);
    await reaches('Nia', pat, 0);
  });

  it('takes the lower of the meeting’s cap and the person’s', async () => {
    expect(await host.send('room.update', { settings: { videoQuality: 'standard' } })).toMatchObject({ ok: true });
    expect((await consumerOf('Nia', pat))?.preferences?.hostSpatialLayer).toBe(0);
    expect((await consumerOf('Nia', host))?.preferences?.hostSpatialLayer).toBe(1);
    await reaches('Nia', host, 1);
    expect(await targetOf('Nia', pat)).toBe(0);
    expect(await host.send('room.update', { settings: { videoQuality: 'high' } })).toMatchObject({ ok: true });
    expect((await consumerOf('Nia', pat))?.preferences?.hostSpatialLayer).toBe(0);
    await reaches('Nia', host, 2);
  });

  it('lifting the cap (here through the REST API) restores the top layer for everyone', async () => {
    const res = await api(`/participants/${pat.id}/video-quality`, { quality: 'high' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ participantId: pat.id, videoQuality: 'high' });
    expect(room().audit.entries.at(-1)).toMatchObject({ action: 'participant.setVideoQuality', actor: { type: 'api' }, target: { participantId: pat.id } });
    for (const name of ['Nia', 'Hana', 'Omar']) {
      expect((await consumerOf(name, pat))?.preferences?.hostSpatialLayer).toBe(2);
      await reaches(name, pat, 2);
    }
    expect((await dump()).participants.find((p) => p.id === pat.id)?.videoQuality).toBe('high');
  });
});
