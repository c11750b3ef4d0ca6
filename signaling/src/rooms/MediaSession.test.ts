import { EventEmitter } from 'node:events';
import type { Socket } from 'socket.io';
import type { MediaWorker, Worker } from '@muster/media';
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

  constructor(
    readonly id: number,
    readonly host = 'local',
    readonly pipeAddress = '127.0.0.1',
  ) {
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
      case 'pipeTransport.create':
        return { ip: params.ip, port: 40_000 + this.id };
      case 'pipeTransport.consume':
        return { id: params.producerId, kind: 'audio', mid: '0', source: 'microphone', codec: 'audio/opus', ssrcs: [1], audioLevelExtensionId: 1, dependencyDescriptorExtensionId: 0, paused: false };
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

/** Adds a person to the session's room as the Room does: transports first, then a place among the participants. */
function joiner(media: MediaSession, participants: Map<string, Participant>) {
  return async (name: string) => {
    const p = person(name);
    await media.createTransports(tx, p.participant);
    participants.set(p.participant.id, p.participant);
    return p;
  };
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
    const add = joiner(media, participants);
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

describe('MediaSession spanning workers', () => {
  const sessions: MediaSession[] = [];
  afterEach(() => {
    for (const s of sessions.splice(0)) s.close();
  });

  /** A home worker on this host and one on a media host; one participant per router. */
  function spanning() {
    const home = new FakeWorker(1);
    const remote = new FakeWorker(2, 'media-b', '10.0.0.5');
    const participants = new Map<string, Participant>();
    const avoided: ReadonlySet<MediaWorker>[] = [];
    const media = new MediaSession({
      worker: home as unknown as Worker,
      placement: {
        participantsPerRouter: 1,
        leastLoaded: async (avoid) => {
          avoided.push(avoid);
          const workers = [home, remote] as unknown as MediaWorker[];
          return workers.find((w) => !avoid.has(w)) ?? workers[0]!;
        },
      },
      participants,
      maySend: () => true,
      videoQuality: () => 'high',
    });
    sessions.push(media);
    const add = joiner(media, participants);
    return { home, remote, media, add, participants, avoided };
  }

  it('puts a newcomer past the limit on a router of another worker, and pipes each track once between the routers', async () => {
    const { home, remote, media, add } = spanning();
    await media.open();
    const ann = await add('Ann');
    const ben = await add('Ben');
    expect(remote.requests('router.create')).toHaveLength(1);
    const [homeRouter, remoteRouter] = media.dump().routers;
    expect(media.dump().routers).toEqual([
      { routerId: homeRouter!.routerId, workerId: 1, host: 'local', participants: 1 },
      { routerId: remoteRouter!.routerId, workerId: 2, host: 'media-b', participants: 1 },
    ]);
    expect(remote.requests('transport.create').map((c) => c.transportId).sort()).toEqual([ben.participant.sendTransportId, ben.participant.recvTransportId].sort());

    // Ben's microphone, published on the remote router, is piped home at once (the home router holds every track).
    await media.publish(tx, ben.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'microphone' }] });
    const micId = [...ben.participant.tracks.keys()][0]!;
    // Each side binds where the other can reach it: loopback here, the media host's address there.
    expect(home.requests('pipeTransport.create')).toEqual([expect.objectContaining({ routerId: homeRouter!.routerId, ip: '127.0.0.1' })]);
    expect(remote.requests('pipeTransport.create')).toEqual([expect.objectContaining({ routerId: remoteRouter!.routerId, ip: '10.0.0.5' })]);
    const pipeId = home.requests('pipeTransport.create')[0]!.transportId;
    expect(home.requests('pipeTransport.connect')).toEqual([expect.objectContaining({ transportId: pipeId, ip: '10.0.0.5', port: 40_002 })]);
    expect(remote.requests('pipeTransport.connect')).toEqual([expect.objectContaining({ transportId: pipeId, ip: '127.0.0.1', port: 40_001 })]);
    expect(remote.requests('pipeTransport.consume')).toEqual([{ routerId: remoteRouter!.routerId, transportId: pipeId, producerId: micId }]);
    expect(home.requests('pipeTransport.produce')).toEqual([expect.objectContaining({ routerId: homeRouter!.routerId, transportId: pipeId })]);

    // Ann (home) consumes the copy there, with no second pipe; Ben gets Ann's camera through the same pipe the other way.
    await media.publish(tx, ann.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'camera' }] });
    const cameraId = [...ann.participant.tracks.keys()][0]!;
    await media.syncSubscriptions(tx, ann.participant);
    await media.syncSubscriptions(tx, ben.participant);
    expect(home.requests('transport.consume')).toEqual([expect.objectContaining({ routerId: homeRouter!.routerId, producerId: micId })]);
    expect(remote.requests('transport.consume')).toEqual([expect.objectContaining({ routerId: remoteRouter!.routerId, producerId: cameraId })]);
    expect(home.requests('pipeTransport.consume')).toEqual([{ routerId: homeRouter!.routerId, transportId: pipeId, producerId: cameraId }]);
    expect(home.requests('pipeTransport.create')).toHaveLength(1);
    expect(remote.requests('pipeTransport.consume')).toHaveLength(1);

    // A mute pauses the producer and its copy, so consumers on both routers see it paused.
    await media.setSourcePaused(tx, ben.participant, 'microphone', true);
    expect(remote.requests('producer.pause')).toEqual([{ routerId: remoteRouter!.routerId, producerId: micId }]);
    expect(home.requests('producer.pause')).toEqual([{ routerId: homeRouter!.routerId, producerId: micId }]);
  });

  it('closes the copies of a leaver’s tracks, and the router it leaves empty', async () => {
    const { home, remote, media, add, participants } = spanning();
    await media.open();
    await add('Ann');
    const ben = await add('Ben');
    await media.publish(tx, ben.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'microphone' }] });
    const micId = [...ben.participant.tracks.keys()][0]!;
    const remoteRouter = media.dump().routers[1]!.routerId;
    await media.removeParticipant(tx, ben.participant);
    participants.delete(ben.participant.id);
    expect(home.requests('producer.close')).toEqual([{ routerId: media.routerId, producerId: micId }]);
    expect(remote.requests('router.close')).toEqual([{ routerId: remoteRouter }]);
    expect(remote.routerIds.size).toBe(0);
    expect(media.dump().routers).toHaveLength(1);
    // The home router stays, even empty, until the room closes.
    expect(home.requests('router.close')).toHaveLength(0);
  });

  it('uses its emptiest router once it spans every worker there is, never two routers on one worker', async () => {
    const { home, remote, media, add } = spanning();
    await media.open();
    await add('Ann');
    await add('Ben');
    const cy = await add('Cy');
    expect(home.requests('router.create')).toHaveLength(1);
    expect(remote.requests('router.create')).toHaveLength(1);
    expect(media.dump().routers.map((r) => r.participants)).toEqual([2, 1]);
    expect(home.requests('transport.create').map((c) => c.transportId)).toContain(cy.participant.sendTransportId);
  });

  it('hears the active speaker from the home router only, and closes every router when it closes', async () => {
    const { home, remote, media, add } = spanning();
    await media.open();
    await add('Ann');
    const ben = await add('Ben');
    await media.publish(tx, ben.participant, { sdp: 'v=0', tracks: [{ mid: '0', source: 'microphone' }] });
    const micId = [...ben.participant.tracks.keys()][0]!;
    const heard: (string | null)[] = [];
    media.on('activeSpeaker', (id) => heard.push(id));
    remote.emit('notification', 'router.dominantspeaker', { routerId: media.dump().routers[1]!.routerId, producerId: micId });
    expect(heard).toEqual([]);
    home.emit('notification', 'router.dominantspeaker', { routerId: media.routerId, producerId: micId });
    expect(heard).toEqual([ben.participant.id]);
    media.close();
    expect(home.requests('router.close')).toHaveLength(1);
    expect(remote.requests('router.close')).toHaveLength(1);
    expect(home.listenerCount('notification') + remote.listenerCount('notification')).toBe(0);
  });
});
