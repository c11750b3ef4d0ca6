/** Worker and WorkerPool against real forked worker processes. */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './testing/weriftClient.ts';
import { Worker } from './Worker.ts';
import type { MediaWorker } from './MediaWorker.ts';
import { WorkerPool } from './WorkerPool.ts';
import type { MediaConfig } from './config.ts';

const config: MediaConfig = { numWorkers: 2, iceServers: [], additionalHostAddresses: ['127.0.0.1'] };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('Worker', { timeout: 120_000 }, () => {
  it('starts a process that answers stats and hosts routers', async () => {
    const worker = new Worker(7, config);
    cleanups.push(() => worker.close());
    await worker.ready();
    expect(worker.pid).toBeGreaterThan(0);
    expect(worker.pid).not.toBe(process.pid);
    expect(alive(worker.pid!)).toBe(true);

    const stats = await worker.getStats();
    expect(stats).toMatchObject({ pid: worker.pid, routers: 0, transports: 0, producers: 0, consumers: 0, packetsIn: 0 });
    expect(stats.cpuMicros).toBeGreaterThan(0);
    expect(stats.rssBytes).toBeGreaterThan(0);
    expect(worker.lastStats).toEqual(stats);

    await worker.request('router.create', { routerId: 'room-1' });
    await worker.request('router.create', { routerId: 'room-1' }); // idempotent
    await worker.request('transport.create', { routerId: 'room-1', transportId: 't-1', direction: 'recv' });
    const dump = await worker.request('router.dump', { routerId: 'room-1' });
    expect(dump).toEqual({
      id: 'room-1',
      dominantSpeaker: null,
      transports: [
        {
          id: 't-1',
          direction: 'recv',
          connectionState: 'new',
          producers: [],
          consumers: [],
          bwe: { source: null, estimatedBandwidth: null, congested: false },
        },
      ],
    });
    expect(await worker.getStats()).toMatchObject({ routers: 1, transports: 1 });
    expect(await worker.dump()).toEqual({ pid: worker.pid, routers: [dump] });

    // Errors in the worker come back as rejections, and the worker carries on.
    await expect(worker.request('router.dump', { routerId: 'nope' })).rejects.toThrow('router nope not found');
    await expect(worker.request('transport.consume', { routerId: 'room-1', transportId: 't-1', producerId: 'x', consumerId: 'c' })).rejects.toThrow(
      'producer x not found',
    );
    await worker.request('router.close', { routerId: 'room-1' });
    expect((await worker.request('worker.dump', {})).routers).toEqual([]);
  });

  it("emits 'died' when the process is killed, and rejects requests from then on", async () => {
    const worker = new Worker(1, config);
    cleanups.push(() => worker.close());
    await worker.ready();
    const died = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => worker.once('died', resolve));
    const pending = worker.request('worker.stats', {}).catch((error: Error) => error);
    worker.kill();
    expect(await died).toEqual({ code: null, signal: 'SIGKILL' });
    expect(worker.closed).toBe(true);
    // The in-flight request either completed before the kill or was rejected by it.
    const outcome = await pending;
    if (outcome instanceof Error) expect(outcome.message).toMatch(/exited/);
    await expect(worker.request('worker.stats', {})).rejects.toThrow(/not running/);
  });

  it('close() is idempotent, kills the process without dying noisily, and rejects later requests', async () => {
    const worker = new Worker(2, config);
    await worker.ready();
    const pid = worker.pid!;
    let closes = 0;
    let deaths = 0;
    worker.on('close', () => closes++);
    worker.on('died', () => deaths++);
    worker.close();
    worker.close();
    expect(closes).toBe(1);
    expect(worker.closed).toBe(true);
    await expect(worker.request('worker.stats', {})).rejects.toThrow(/not running/);
    await waitFor(() => !alive(pid), 20_000, 'the worker process to exit');
    expect(deaths).toBe(0);
  });
});

describe('WorkerPool', { timeout: 120_000 }, () => {
  it('replaces a dead worker and reports the routers it lost', async () => {
    const pool = new WorkerPool(config);
    cleanups.push(() => pool.close());
    const ready: MediaWorker[] = [];
    pool.on('workerready', (w) => ready.push(w));
    await pool.start();
    expect(pool.workers).toHaveLength(2);
    await waitFor(() => ready.length === 2, 10_000, 'workerready events');

    const victim = pool.workers[0]!;
    const survivor = pool.workers[1]!;
    const victimPid = victim.pid!;
    await victim.request('router.create', { routerId: 'room-a' });
    await victim.request('router.create', { routerId: 'room-b' });
    victim.routerIds.add('room-a').add('room-b');
    survivor.routerIds.add('room-c');

    const event = new Promise<{ worker: MediaWorker; routerIds: string[]; replacement: MediaWorker | null }>((resolve) => pool.once('workerdied', resolve));
    victim.kill();
    const { worker, routerIds, replacement } = await event;
    expect(worker).toBe(victim);
    expect(routerIds.sort()).toEqual(['room-a', 'room-b']);
    expect(replacement!).not.toBe(victim);
    await replacement!.ready();
    expect(alive(victimPid)).toBe(false);
    expect(pool.workers).toHaveLength(2);
    expect(pool.workers).toContain(replacement!);
    expect(pool.workers).not.toContain(victim);
    await waitFor(() => ready.includes(replacement!), 10_000, 'workerready for the replacement');

    // The replacement serves requests, starting empty, and takes the next room
    // (the survivor already has one).
    expect((await replacement!.getStats()).routers).toBe(0);
    expect(await pool.leastLoaded()).toBe(replacement!);
    expect(pool.dump().map((w) => ({ pid: w.pid, ready: w.ready, routerIds: w.routerIds }))).toEqual([
      { pid: survivor.pid, ready: true, routerIds: ['room-c'] },
      { pid: replacement!.pid, ready: true, routerIds: [] },
    ]);
    expect((await pool.getStats()).map((s) => s.pid).sort()).toEqual([survivor.pid, replacement!.pid].sort());
  });

  it('close() kills every worker, is idempotent, and spawns no replacements', async () => {
    const pool = new WorkerPool({ ...config, numWorkers: 1 });
    await pool.start();
    const [worker] = pool.workers;
    const pid = worker!.pid!;
    let replaced = false;
    pool.on('workerdied', () => (replaced = true));
    pool.close();
    pool.close();
    expect(pool.workers).toHaveLength(0);
    await waitFor(() => !alive(pid), 20_000, 'the worker process to exit');
    await expect(pool.leastLoaded()).rejects.toThrow(/no media worker/);
    await expect(worker!.request('worker.stats', {})).rejects.toThrow(/not running/);
    expect(replaced).toBe(false);
  });
});

describe('Worker watchdog', { timeout: 120_000 }, () => {
  it('kills a worker that stops answering (SIGSTOP) and reports it died, stalled', async () => {
    const worker = new Worker(3, { ...config, watchdogIntervalMs: 200, watchdogTimeoutMs: 2_000 });
    await worker.ready();
    const pid = worker.pid!;
    cleanups.push(() => {
      // Never leave a stopped process behind, whatever happened.
      for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
      worker.close();
    });
    await waitFor(() => worker.pingsAnswered >= 2, 10_000, 'the first pings answered');
    const died = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stalled?: true }>((resolve) => worker.once('died', resolve));
    process.kill(pid, 'SIGSTOP');
    expect(await died).toEqual({ code: null, signal: 'SIGKILL', stalled: true });
    expect(worker.closed).toBe(true);
    expect(alive(pid)).toBe(false);
    await expect(worker.request('worker.stats', {})).rejects.toThrow(/not running/);
  });

  it('does not blame the worker when the main process itself was blocked past the timeout', async () => {
    const worker = new Worker(4, { ...config, watchdogIntervalMs: 100, watchdogTimeoutMs: 1_000 });
    cleanups.push(() => worker.close());
    await worker.ready();
    let died = false;
    worker.on('died', () => (died = true));
    await waitFor(() => worker.pingsAnswered >= 2, 10_000, 'the first pings answered');
    // Block this process's event loop for three timeouts just after a ping went out,
    // before its answer is read: when the loop wakes, the watchdog's timer runs
    // before the answer (timers come before I/O), with the ping three timeouts old.
    let blocked = false;
    const request = worker.request.bind(worker);
    worker.request = ((method, params) => {
      if (method === 'worker.ping' && !blocked) {
        blocked = true;
        setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_000));
      }
      return request(method, params);
    }) as typeof worker.request;
    await waitFor(() => blocked, 10_000, 'a ping sent');
    const answered = worker.pingsAnswered;
    await waitFor(() => died || worker.pingsAnswered >= answered + 5, 10_000, 'pings answered after the block');
    expect(died).toBe(false);
    expect(worker.closed).toBe(false);
    expect((await worker.getStats()).pid).toBe(worker.pid);
  });
});
