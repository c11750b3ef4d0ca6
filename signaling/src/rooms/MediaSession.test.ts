import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import type { Worker } from '@muster/media';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TrackSource, VideoQuality } from '../protocol.ts';
import { MediaSession } from './MediaSession.ts';
import { Participant } from './Participant.ts';
import type { RoomTransaction } from './RoomTransaction.ts';

type Params = Record<string, unknown>;

/** Answers the worker requests a media session makes, and records them; no process, no media. */
class FakeWorker extends EventEmitter {
  readonly routerIds = new Set<string>();
  readonly calls: { method: string; params: Params }[] = [];
  readonly #consumersOf = new Map<string, string[]>();

  constructor(readonly id: number) {
    super();
  }

  async request(method: string, params: Params): Promise<unknown> {
    this.calls.push({ method, params });
    switch (method) {
      case 'transport.publish': {
        const tracks = params.tracks as { mid: string; source: TrackSource }[];
        return {
          sdp: 'v=0 answer',
          producers: tracks.map((t) => ({ id: `${params.transportId}/${t.source}`, kind: t.source === 'microphone' ? 'audio' : 'video', mid: t.mid, source: t.source, codec: 'VP9' })),
          closedProducerIds: [],
        };
      }
      case 'transport.consume': {
        const list = this.#consumersOf.get(params.transportId as string) ?? [];
        list.push(params.consumerId as string);
        this.#consumersOf.set(params.transportId as string, list);
        return {};
      }
      case 'transport.createOffer':
        return { sdp: 'v=0 offer', consumers: (this.#consumersOf.get(params.transportId as string) ?? []).map((id, i) => ({ id, mid: String(i) })) };
      default:
        return undefined;
    }
  }

  requests(method: string): Params[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.params);
  }
}

const tx = {} as RoomTransaction;

function person(name: string): { participant: Participant; sent: { event: string; args: unknown[] }[] } {
  const sent: { event: string; args: unknown[] }[] = [];
  const socket = { connected: true, emit: (event: string, ...args: unknown[]) => sent.push({ event, args }) } as unknown as Socket;
  return { participant: new Participant({ name, role: 'participant', socket, identity: name }), sent };
}

describe('MediaSession', () => {
  const sessions: MediaSession[] = [];
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
  });

  function session(options: { maySend?: (p: Participant, source: TrackSource) => boolean; videoQuality?: () => VideoQuality } = {}) {
    const worker = new FakeWorker(1);
    const participants = new Map<string, Participant>();
    const media = new MediaSession({
      worker: worker as unknown as Worker,
      participants,
      maySend: options.maySend ?? (() => true),
      videoQuality: options.videoQuality ?? (() => 'high'),
    });
    sessions.push(media);
    const add = async (name: string) => {
      const p = person(name);
      await media.createTransports(tx, p.participant);
      participants.set(p.participant.id, p.participant);
      return p;
    };
    return { worker, participants, media, add };
  }

  it('forwards a published track to everyone else, and offers it to them', async () => {
    const { worker, media, add } = session();
    await media.open();
    const ann = await add('Ann');
    const ben = await add('Ben');
    const answer = await media.publish(tx, ann.participant, { sdp: 'v=0 offer', tracks: [{ mid: '0', source: 'camera' }] });
    expect(answer).toBe('v=0 answer');
    await media.syncSubscriptions(tx, ben.participant);
    expect(worker.requests('transport.consume')).toEqual([expect.objectContaining({ transportId: ben.participant.recvTransportId, producerId: `${ann.participant.sendTransportId}/camera` })]);
    await vi.waitFor(() => expect(ben.sent.map((s) => s.event)).toContain('subscriber.offer'));
    const [offer] = ben.sent.find((s) => s.event === 'subscriber.offer')!.args as [{ consumers: { participantId: string; mid: string }[] }];
    expect(offer.consumers).toEqual([expect.objectContaining({ participantId: ann.participant.id, mid: '0' })]);
    // Nobody is offered their own tracks.
    await media.syncSubscriptions(tx, ann.participant);
    expect(ann.participant.consumers.size).toBe(0);
  });

  it('holds paused what the meeting does not let a participant send, and what was muted before a rebuild', async () => {
    const { worker, media, add } = session({ maySend: (_p, source) => source !== 'screen' });
    const ann = await add('Ann');
    ann.participant.mutedSources.add('microphone');
    await media.publish(tx, ann.participant, {
      sdp: 'v=0',
      tracks: [
        { mid: '0', source: 'microphone' },
        { mid: '1', source: 'camera' },
        { mid: '2', source: 'screen' },
      ],
    });
    const paused = [...ann.participant.tracks.values()].filter((t) => t.paused).map((t) => t.source);
    expect(paused.sort()).toEqual(['microphone', 'screen']);
    expect(worker.requests('producer.pause')).toHaveLength(2);
    expect(await media.setSourcePaused(tx, ann.participant, 'microphone', false)).toBe(true);
    expect(ann.participant.mutedSources.has('microphone')).toBe(false);
    expect(await media.setSourcePaused(tx, ann.participant, 'microphone', false)).toBe(false);
  });

  it('refuses an offer that publishes one source twice, before the worker sees it', async () => {
    const { worker, media, add } = session();
    const ann = await add('Ann');
    await expect(
      media.publish(tx, ann.participant, {
        sdp: 'v=0',
        tracks: [
          { mid: '0', source: 'camera' },
          { mid: '1', source: 'camera' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(worker.requests('transport.publish')).toHaveLength(0);
  });

  it('drops the consumers of a participant who left, and closes its transports', async () => {
    const { worker, participants, media, add } = session();
    const ann = await add('Ann');
    const ben = await add('Ben');
    await media.publish(tx, ann.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'camera' }] });
    await media.syncSubscriptions(tx, ben.participant);
    expect(ben.participant.consumers.size).toBe(1);
    participants.delete(ann.participant.id);
    await media.removeParticipant(tx, ann.participant);
    expect(ben.participant.consumers.size).toBe(0);
    expect(worker.requests('transport.close').map((p) => p.transportId)).toEqual([ann.participant.sendTransportId, ann.participant.recvTransportId]);
  });

  it("caps new and existing video consumers at the lower of the meeting's and the publisher's quality", async () => {
    let meeting: VideoQuality = 'standard';
    const { worker, media, add } = session({ videoQuality: () => meeting });
    const ann = await add('Ann');
    const ben = await add('Ben');
    await media.publish(tx, ann.participant, {
      sdp: 'v=0',
      tracks: [
        { mid: '0', source: 'microphone' },
        { mid: '1', source: 'camera' },
      ],
    });
    await media.syncSubscriptions(tx, ben.participant);
    // Only the video consumer, and only because the cap is below the top layer.
    expect(worker.requests('consumer.setPreferences').map((p) => p.preferences)).toEqual([{ hostSpatialLayer: 1 }]);
    ann.participant.videoQuality = 'low';
    meeting = 'high';
    await media.applyHostCaps(tx, (publisherId) => publisherId === ben.participant.id);
    expect(worker.requests('consumer.setPreferences')).toHaveLength(1);
    await media.applyHostCaps(tx, (publisherId) => publisherId === ann.participant.id);
    expect(worker.requests('consumer.setPreferences').map((p) => p.preferences)).toEqual([{ hostSpatialLayer: 1 }, { hostSpatialLayer: 0 }]);
  });

  it('moves to another worker with a new router and new transports, and hears only the router it is on', async () => {
    const { worker: old, media, add } = session();
    await media.open();
    const ann = await add('Ann');
    await media.publish(tx, ann.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'microphone' }] });
    const speakers: (string | null)[] = [];
    media.on('activeSpeaker', (id) => speakers.push(id));
    const producerId = [...ann.participant.tracks.keys()][0];
    old.emit('notification', 'router.dominantspeaker', { routerId: media.routerId, producerId });
    expect(speakers).toEqual([ann.participant.id]);

    const oldRouter = media.routerId;
    const oldTransport = ann.participant.sendTransportId;
    const next = new FakeWorker(2);
    await media.moveTo(tx, next as unknown as Worker);
    expect(media.worker).toBe(next);
    expect(media.routerId).not.toBe(oldRouter);
    expect([...old.routerIds]).toEqual([]);
    expect([...next.routerIds]).toEqual([media.routerId]);
    expect(ann.participant.tracks.size).toBe(0);
    expect(ann.participant.sendTransportId).not.toBe(oldTransport);
    expect(next.requests('transport.create').map((p) => p.routerId)).toEqual([media.routerId, media.routerId]);
    expect(media.activeSpeakerId).toBeNull();

    old.emit('notification', 'router.dominantspeaker', { routerId: oldRouter, producerId });
    next.emit('notification', 'router.dominantspeaker', { routerId: media.routerId, producerId: null });
    expect(speakers).toEqual([ann.participant.id, null]);
  });

  it('closes once: the router, its place on the worker, and any offer awaiting an answer', async () => {
    const { worker, media, add } = session();
    await media.open();
    const ann = await add('Ann');
    const ben = await add('Ben');
    await media.publish(tx, ann.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'camera' }] });
    await media.syncSubscriptions(tx, ben.participant);
    await vi.waitFor(() => expect(ben.participant.pendingOfferTimer).toBeDefined());
    const timer = ben.participant.pendingOfferTimer!;
    const cleared = vi.spyOn(globalThis, 'clearTimeout');
    media.close();
    media.close();
    expect(cleared).toHaveBeenCalledWith(timer);
    cleared.mockRestore();
    expect(media.closed).toBe(true);
    expect(worker.requests('router.close')).toHaveLength(1);
    expect(worker.routerIds.size).toBe(0);
    expect(worker.listenerCount('notification')).toBe(0);
    await media.moveTo(tx, new FakeWorker(2) as unknown as Worker);
    expect(media.worker).toBe(worker);
  });

  it("dumps each participant's producers and consumers, with the worker's layers when it answers", async () => {
    const { worker, media, add } = session();
    const ann = await add('Ann');
    const ben = await add('Ben');
    await media.publish(tx, ann.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'camera' }] });
    await media.syncSubscriptions(tx, ben.participant);
    const dump = media.dump();
    expect(dump.workerId).toBe(1);
    const producerId = `${ann.participant.sendTransportId}/camera`;
    expect(dump.participants[ann.participant.id]!.producers).toEqual([{ id: producerId, kind: 'video', source: 'camera', codec: 'VP9', paused: false }]);
    const [consumer] = dump.participants[ben.participant.id]!.consumers;
    expect(consumer).toEqual({ id: expect.any(String), producerId, participantId: ann.participant.id, kind: 'video', paused: false });

    const entries = Object.values(dump.participants);
    vi.spyOn(worker, 'request').mockRejectedValueOnce(new Error('gone'));
    await media.addWorkerView(entries);
    expect(entries[0]!.producers[0]).not.toHaveProperty('layers');

    vi.spyOn(worker, 'request').mockResolvedValueOnce({
      id: media.routerId,
      dominantSpeaker: null,
      transports: [
        { producers: [{ id: producerId, scalabilityMode: 'L3T3', layers: [], resolutions: [] }], consumers: [] },
        { producers: [], consumers: [{ id: consumer!.id, layers: { spatial: 1 }, preferences: {}, estimatedBandwidth: 300_000, bweSource: 'twcc' }] },
      ],
    });
    await media.addWorkerView(entries);
    expect(entries[0]!.producers[0]).toMatchObject({ scalabilityMode: 'L3T3' });
    expect(entries[1]!.consumers[0]).toMatchObject({ estimatedBandwidth: 300_000, bweSource: 'twcc' });
  });
});
