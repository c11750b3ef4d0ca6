/**
 * Remote workers against a media host's server on loopback, without Redis:
 * real worker processes on the "host" side (a WorkerPool served by
 * MediaHostServer), MediaHostLink and RemoteWorker on the "signaling" side,
 * in one test process.
 */
import net from 'node:net';
import { serialize } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { mulberry32, waitUntil } from '@muster/kit/testing';
import type { WorkerNotificationName } from '../channel.ts';
import type { MediaWorker } from '../MediaWorker.ts';
import { loopbackMediaConfig, publishAudioVideo, withRetries } from '../testing/weriftClient.ts';
import { WorkerPool } from '../WorkerPool.ts';
import { MediaHostLink } from './MediaHostLink.ts';
import { MediaHostServer } from './MediaHostServer.ts';
import { decodeChannel, encodeChannel, hostChannelFrame, MEDIA_LINK_PATH, MEDIA_LINK_SUBPROTOCOL } from './protocol.ts';
import type { RemoteWorker } from './RemoteWorker.ts';

const SECRET = 'remote-test-secret-0123456789abcdef';
const HOST = 'media-test';

describe('remote media workers over the media link', { timeout: 180_000 }, () => {
  let hostPool: WorkerPool;
  let server: MediaHostServer;
  let url = '';
  let port = 0;
  const cleanups: (() => unknown)[] = [];

  /** A link as signaling makes one, with the workers it announced. */
  const link = (options: { secret?: string; target?: string; host?: string; heartbeatMs?: number } = {}) => {
    const made = new MediaHostLink({ host: options.host ?? HOST, url: options.target ?? url, address: '127.0.0.1', secret: options.secret ?? SECRET, heartbeatMs: options.heartbeatMs });
    const workers: RemoteWorker[] = [];
    made.on('worker', (w) => workers.push(w));
    made.start();
    cleanups.push(() => made.close());
    return { link: made, workers };
  };
  const liveReady = (workers: RemoteWorker[]) => workers.find((w) => w.isReady);

  beforeAll(async () => {
    // Two workers: a lost host must take every one of its workers down at once.
    hostPool = new WorkerPool(loopbackMediaConfig({ numWorkers: 2 }));
    await hostPool.start();
    server = new MediaHostServer({ pool: hostPool, hostId: HOST, secret: SECRET });
    port = await server.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${port}${MEDIA_LINK_PATH}`;
  });
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server?.close();
    hostPool?.close();
  });

  it('relays requests, responses and notifications; each link hears its own routers; a link’s routers close with it', async () => {
    const { link: a, workers } = link();
    const remote = await waitUntil(() => liveReady(workers), 20_000, 'the host’s worker announced');
    const local = hostPool.workers.find((w) => w.id === remote.remoteId)!;
    expect(local).toBeDefined();
    expect(remote.host).toBe(HOST);
    expect(remote.pipeAddress).toBe('127.0.0.1');
    expect(remote.remoteId).toBe(local.id);
    // Unique in this process: the host's own numbering (0…) is not reused.
    expect(remote.id).not.toBe(local.id);
    expect(remote.pid).toBe(local.pid);
    expect(a.connected).toBe(true);

    const notifications: { event: WorkerNotificationName; data: unknown }[] = [];
    remote.on('notification', (event, data) => notifications.push({ event, data }));
    await remote.request('router.create', { routerId: 'r-1' });
    await remote.request('transport.create', { routerId: 'r-1', transportId: 'send-1', direction: 'send' });
    await remote.request('transport.create', { routerId: 'r-1', transportId: 'recv-1', direction: 'recv' });
    expect(await remote.getStats()).toMatchObject({ pid: local.pid, routers: 1, transports: 2 });
    expect(remote.lastStats?.routers).toBe(1);

    // A real publisher on the host's worker: its ICE/DTLS state comes back as notifications.
    const published = await withRetries(3, async (dispose) => {
      const transportId = `send-${Math.random().toString(36).slice(2)}`;
      await remote.request('transport.create', { routerId: 'r-1', transportId, direction: 'send' });
      dispose(() => remote.request('transport.close', { routerId: 'r-1', transportId }).catch(() => undefined));
      let producers: { id: string; kind: string }[] = [];
      const publisher = await publishAudioVideo(async (sdp, tracks) => {
        const result = await remote.request('transport.publish', { routerId: 'r-1', transportId, sdp, tracks });
        producers = result.producers;
        return result;
      });
      dispose(() => publisher.pc.close());
      await waitUntil(
        () => notifications.some((n) => n.event === 'transport.connectionstatechange' && (n.data as { transportId: string; state: string }).transportId === transportId && (n.data as { state: string }).state === 'connected'),
        20_000,
        'transport.connectionstatechange connected, relayed',
      );
      return { transportId, producers, publisher };
    });
    cleanups.push(published.dispose);
    expect(published.value.producers.map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    const audio = published.value.producers.find((p) => p.kind === 'audio')!;
    await remote.request('producer.close', { routerId: 'r-1', producerId: audio.id });
    await waitUntil(() => notifications.some((n) => n.event === 'producer.close' && (n.data as { producerId: string }).producerId === audio.id), 10_000, 'producer.close relayed');

    // The worker's errors come back as rejections, any method name travels.
    await expect(remote.request('router.dump', { routerId: 'nope' })).rejects.toThrow('router nope not found');
    await expect(remote.request('nothing.here' as never, {} as never)).rejects.toThrow('unknown method nothing.here');

    // A second signaling process on the same host: it does not hear the first's routers…
    const { link: b, workers: bWorkers } = link();
    const other = await waitUntil(() => bWorkers.find((w) => w.isReady && w.remoteId === remote.remoteId), 20_000, 'the second link’s handle on the same worker');
    const heardByB: WorkerNotificationName[] = [];
    other.on('notification', (event, _data) => {
      heardByB.push(event);
    });
    await remote.request('producer.close', { routerId: 'r-1', producerId: published.value.producers.find((p) => p.kind === 'video')!.id });
    await waitUntil(() => notifications.filter((n) => n.event === 'producer.close').length === 2, 10_000, 'the second producer.close on the first link');
    // Sent by the host after that notification: had the notification gone to b too, it would be here first.
    await other.request('worker.stats', {});
    expect(heardByB).toEqual([]);
    // …and what it created is closed when it goes.
    await other.request('router.create', { routerId: 'r-of-b' });
    const routersOnHost = async () => (await local.dump()).routers.map((r) => r.id).sort();
    expect(await routersOnHost()).toEqual(['r-1', 'r-of-b']);
    b.close();
    expect(other.closed).toBe(true);
    await waitUntil(async () => (await routersOnHost()).join() === 'r-1', 10_000, 'the gone link’s router closed by the host');

    await remote.request('router.close', { routerId: 'r-1' });
    expect(await routersOnHost()).toEqual([]);
  });

  it('reports a worker killed on the host as died, and attaches its replacement to the pool', async () => {
    // Signaling's pool: no local workers, only the host's.
    const pool = new WorkerPool(loopbackMediaConfig({ numWorkers: 0 }));
    cleanups.push(() => pool.close());
    // Asked before any worker is there, placement waits for one.
    const placed = pool.leastLoaded();
    const { link: l } = link();
    l.on('worker', (w) => pool.attach(w));
    const victim = (await placed) as RemoteWorker;
    expect(victim.host).toBe(HOST);
    expect(pool.workers).toContain(victim);
    await waitUntil(() => pool.workers.length === 2, 20_000, 'both of the host’s workers attached');
    const before = new Set(pool.workers);
    victim.routerIds.add('room-a');
    const victimPid = victim.pid;

    const died = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => victim.once('died', resolve));
    const workerdied = new Promise<{ worker: MediaWorker; routerIds: string[]; replacement: MediaWorker | null }>((resolve) => pool.once('workerdied', resolve));
    victim.kill('SIGKILL');
    expect(await died).toEqual({ code: null, signal: 'SIGKILL' });
    const event = await workerdied;
    expect(event.worker).toBe(victim);
    expect(event.routerIds).toEqual(['room-a']);
    // The host replaces its own workers; the replacement arrives through attach().
    expect(event.replacement).toBeNull();
    expect(victim.closed).toBe(true);
    await expect(victim.request('worker.stats', {})).rejects.toThrow(/not running/);

    const replacement = (await waitUntil(() => pool.workers.find((w) => !before.has(w) && w.isReady), 30_000, 'the replacement attached and ready')) as RemoteWorker;
    expect(replacement.pid).not.toBe(victimPid);
    expect(hostPool.workers.map((w) => w.id)).toContain(replacement.remoteId);
    expect(hostPool.workers.map((w) => w.id)).not.toContain(victim.remoteId);
    expect(pool.workers).toHaveLength(2);
    // The sibling has a room (as the victim had), the replacement none: it takes the next.
    pool.workers.find((w) => w !== replacement)!.routerIds.add('room-b');
    expect(await pool.leastLoaded()).toBe(replacement);
    expect((await replacement.getStats()).routers).toBe(0);
    l.close();
    expect(pool.workers).toEqual([]);
  });

  it('has every worker of a host die when the host’s server goes away, and keeps trying to reach it', async () => {
    // A second server on the same pool, so that closing it leaves the others' test host up.
    const doomed = new MediaHostServer({ pool: hostPool, hostId: 'media-doomed', secret: SECRET });
    const doomedPort = await doomed.listen(0, '127.0.0.1');
    const pool = new WorkerPool(loopbackMediaConfig({ numWorkers: 0 }));
    cleanups.push(() => pool.close());
    const { link: l, workers } = link({ host: 'media-doomed', target: `ws://127.0.0.1:${doomedPort}${MEDIA_LINK_PATH}` });
    l.on('worker', (w) => pool.attach(w));
    await waitUntil(() => workers.filter((w) => w.isReady).length === 2, 20_000, 'the doomed host’s two workers');
    const deaths: MediaWorker[] = [];
    // What a room leaving the first dead worker would be offered: nothing of the same dead host.
    let offeredAtFirstDeath: number | undefined;
    pool.on('workerdied', ({ worker: w }) => {
      deaths.push(w);
      offeredAtFirstDeath ??= pool.workers.filter((x) => !x.closed).length;
    });
    const down = new Promise<void>((resolve) => l.once('down', resolve));
    await doomed.close();
    await down;
    expect(workers.every((w) => w.closed)).toBe(true);
    expect(new Set(deaths)).toEqual(new Set(workers));
    expect(offeredAtFirstDeath).toBe(0);
    expect(pool.workers).toEqual([]);
    // Nothing to place a room on now: after the bounded wait, it fails.
    await expect(pool.leastLoaded({ waitMs: 100 })).rejects.toThrow('no media worker is running');
    expect(l.connected).toBe(false);
  });

  it('notices a silent peer by its heartbeat, on both sides', async () => {
    // A "host" that greets and then never answers a ping.
    const mute = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false, handleProtocols: () => MEDIA_LINK_SUBPROTOCOL });
    cleanups.push(() => new Promise((resolve) => mute.close(resolve)));
    await new Promise((resolve) => mute.once('listening', resolve));
    mute.on('connection', (ws) => ws.send(JSON.stringify({ t: 'hello', v: 1, host: 'mute', workers: [{ id: 0, pid: 4242, ready: true }] })));
    const { link: toMute, workers } = link({ host: 'mute', target: `ws://127.0.0.1:${(mute.address() as net.AddressInfo).port}${MEDIA_LINK_PATH}`, heartbeatMs: 100 });
    const worker = await waitUntil(() => liveReady(workers), 10_000, 'the mute host’s worker');
    await new Promise((resolve) => worker.once('died', resolve));
    toMute.close();

    // A signaling process that links, creates a router and then never answers a ping: the host drops it and closes the router.
    const quick = new MediaHostServer({ pool: hostPool, hostId: HOST, secret: SECRET, heartbeatMs: 300 });
    const quickPort = await quick.listen(0, '127.0.0.1');
    cleanups.push(() => quick.close());
    const client = new WebSocket(`ws://127.0.0.1:${quickPort}${MEDIA_LINK_PATH}`, MEDIA_LINK_SUBPROTOCOL, { headers: { authorization: `Bearer ${SECRET}` }, autoPong: false });
    const frames: unknown[] = [];
    client.on('message', (data, isBinary) => frames.push(isBinary ? decodeChannel(hostChannelFrame, data as Buffer) : JSON.parse(data.toString())));
    await waitUntil(() => frames.length > 0, 10_000, 'hello');
    const workerId = hostPool.workers[0]!.id;
    client.send(encodeChannel({ t: 'channel', worker: workerId, message: { kind: 'request', id: 1, method: 'router.create', params: { routerId: 'r-silent' } } }));
    await waitUntil(() => frames.length > 1, 10_000, 'router.create answered');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await closed;
    const target = hostPool.workers.find((w) => w.id === workerId)!;
    await waitUntil(async () => !(await target.dump()).routers.some((r) => r.id === 'r-silent'), 10_000, 'the silent link’s router closed');
  });

  it('refuses a link without the right secret, version or path, and says nothing more', async () => {
    const attempt = (headers: Record<string, string>, protocol: string | undefined = MEDIA_LINK_SUBPROTOCOL, path = MEDIA_LINK_PATH) =>
      new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocol, { headers });
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
          res.on('error', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
        });
        ws.on('open', () => reject(new Error('the link was accepted')));
        ws.on('error', () => undefined);
      });
    const noSecret = await attempt({});
    expect(noSecret.status).toBe(401);
    expect(noSecret.body).toBe('');
    const wrong = await attempt({ authorization: `Bearer ${SECRET.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toBe('');
    expect(wrong.headers).not.toHaveProperty('x-muster-media-link');
    expect((await attempt({ authorization: `Basic ${SECRET}` })).status).toBe(401);
    expect((await attempt({ authorization: `Bearer ${SECRET}` }, 'muster-media.0')).status).toBe(400);
    expect((await attempt({ authorization: `Bearer ${SECRET}` }, MEDIA_LINK_SUBPROTOCOL, '/elsewhere')).status).toBe(404);
    // MediaHostLink with the wrong secret never comes up, and the host serves the right one meanwhile.
    const { link: refused } = link({ secret: 'not-the-secret-at-all-0000000000' });
    const { workers } = link();
    await waitUntil(() => liveReady(workers), 20_000, 'the right link');
    expect(refused.connected).toBe(false);
    expect(refused.workers).toEqual([]);
  });

  it('survives garbage, oversized and malformed frames from links and from unauthenticated callers, and keeps serving', async () => {
    const { workers } = link();
    const good = await waitUntil(() => liveReady(workers), 20_000, 'a good link');
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = mulberry32(seed);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const workerId = hostPool.workers[0]!.id;
    const malformed: (() => Buffer | string)[] = [
      () => bytes(1 + Math.floor(random() * 200)),
      () => bytes(1 + Math.floor(random() * 200)).toString('latin1'),
      () => JSON.stringify({ t: 'kill', worker: -1, signal: 'SIGKILL' }),
      () => JSON.stringify({ t: 'kill', worker: workerId, signal: 'SIGUSR1' }),
      () => JSON.stringify({ t: 'hello', v: 1, host: 'x', workers: [] }),
      () => JSON.stringify([1, 2, 3]),
      () => 'null',
      () => serialize({ t: 'channel', worker: workerId, message: { kind: 'request', id: -1, method: 'worker.stats', params: {} } }),
      () => serialize({ t: 'channel', worker: workerId, message: { kind: 'request', id: 1, method: '__proto__', params: {} } }),
      () => serialize({ t: 'channel', worker: workerId, message: { kind: 'response', id: 1, ok: true, result: 1 } }),
      () => serialize({ t: 'channel', worker: 'zero', message: null }),
      () => serialize([bytes(8)]),
      () => serialize('x'.repeat(1 + Math.floor(random() * 10_000))),
      () => Buffer.concat([serialize({ t: 'channel' }), bytes(16)]).subarray(0, 10),
    ];
    // Shaped right, wrong inside: answered as failed requests, never as a crash.
    const badRequests: Buffer[] = [
      encodeChannel({ t: 'channel', worker: 999_999, message: { kind: 'request', id: 7, method: 'worker.stats', params: {} } }),
      encodeChannel({ t: 'channel', worker: workerId, message: { kind: 'request', id: 8, method: 'router.create', params: null } }),
      encodeChannel({ t: 'channel', worker: workerId, message: { kind: 'request', id: 9, method: 'transport.create', params: { routerId: 7, transportId: {}, direction: 'sideways' } } }),
      encodeChannel({ t: 'channel', worker: workerId, message: { kind: 'request', id: 10, method: 'constructor.name' as never, params: {} } }),
    ];

    /** An authenticated raw link; `next()` is its next frame, or how it closed. */
    const open = async () => {
      const ws = new WebSocket(url, MEDIA_LINK_SUBPROTOCOL, { headers: { authorization: `Bearer ${SECRET}` } });
      const inbox: unknown[] = [];
      const waiters: (() => void)[] = [];
      let closedWith: number | undefined;
      const wake = () => waiters.splice(0).forEach((w) => w());
      ws.on('message', (data, isBinary) => {
        inbox.push(isBinary ? decodeChannel(hostChannelFrame, data as Buffer) : JSON.parse(data.toString()));
        wake();
      });
      ws.on('close', (code) => {
        closedWith = code;
        wake();
      });
      ws.on('error', () => undefined);
      const next = async (what: string): Promise<unknown> => {
        const deadline = Date.now() + 10_000;
        while (inbox.length === 0 && closedWith === undefined) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (seed ${seed})`);
          await new Promise<void>((resolve) => {
            waiters.push(resolve);
            setTimeout(resolve, 1_000);
          });
        }
        return inbox.length > 0 ? inbox.shift() : { closed: closedWith };
      };
      expect(await next('hello')).toMatchObject({ t: 'hello' });
      return { ws, next, closed: () => closedWith };
    };

    let client = await open();
    for (let i = 0; i < 300; i++) {
      const frame = malformed[Math.floor(random() * malformed.length)]!();
      client.ws.send(frame);
      const reply = await client.next(`a reply to bad frame ${i}`);
      if ('closed' in (reply as object)) client = await open();
      else expect(reply, `seed ${seed}`).toMatchObject({ t: 'error' });
    }
    for (const request of badRequests) {
      client.ws.send(request);
      const reply = (await client.next('a failed response')) as { ok: true; frame: { message: { ok: boolean; error: string } } };
      expect(reply.frame.message).toMatchObject({ kind: 'response', ok: false });
    }
    // Oversized: the socket is closed (1009), the host goes on.
    client.ws.send(Buffer.alloc(5 * 1024 * 1024));
    await waitUntil(() => client.closed(), 10_000, 'the oversized frame’s link closed');
    expect(client.closed()).toBe(1009);

    // Unauthenticated: raw bytes and broken upgrades on the port are answered (or dropped) by HTTP, not the link.
    for (let i = 0; i < 20; i++) {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      // Read what the server answers (a 400 or 401), or the socket never gets to 'close'.
      socket.resume();
      const ended = new Promise((resolve) => socket.once('close', resolve));
      const garbage =
        i % 2 === 0
          ? bytes(1 + Math.floor(random() * 2000))
          : Buffer.from(`GET ${MEDIA_LINK_PATH} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${bytes(8).toString('hex')}\r\n\r\n`);
      socket.end(garbage);
      await ended;
    }

    // The good link, and the worker behind it, never noticed.
    expect(await good.request('worker.stats', {})).toMatchObject({ pid: good.pid });
    expect(good.closed).toBe(false);
  });
});
