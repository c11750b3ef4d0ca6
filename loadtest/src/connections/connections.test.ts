/**
 * The connections scenario (issue 18): its flags (a contract: --connections,
 * --ramp, --hold, --users, --transport, --gateways, --bot-processes, --url,
 * --json, --md), how the fleet spreads over people, processes and source
 * addresses, and one tiny real run against a server it starts, whose
 * report has the contract's fields.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, LONGLINK_PATH } from '@muster/kit/longlink';
import type { BotCommand, BotMessage, BotSample } from './connectionsProtocol.ts';
import { FIRST_SOURCE_PORT, MAX_PER_ADDRESS, MAX_PER_PROCESS, MAX_TRIES, planFleet, processLoads, sourceAddress, sourceOf } from './FleetPlan.ts';
import { parseConnectionsArgs } from './options.ts';
import { tokenExpiresAt } from './ConnectionKind.ts';
import { heapFromMetrics } from './MusterTarget.ts';
import { checkLoadtestRun } from '../loadtestRun.ts';

/** A token shaped like the server's access tokens (header.payload.signature), expiring at `at` (ms). */
const jwtExpiringAt = (at: number) => `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify({ sub: 'd', exp: at / 1000 })).toString('base64url')}.sig`;

const args = (...rest: string[]) => ['--scenario', 'connections', ...rest];

describe('the connections scenario', () => {
  it('parses its flags, with defaults and refusals', () => {
    expect(parseConnectionsArgs(args('--connections', '600000', '--ramp', '600', '--hold', '60', '--json', 'r.json', '--md', 'r.md'))).toEqual({
      ok: true,
      options: { connections: 600_000, ramp: 600, hold: 60, users: 60_000, transport: 'longlink', target: 'muster', botProcesses: 40, json: 'r.json', md: 'r.md' },
    });
    // At least 60,000 people, a tenth of the connections beyond, never more than the connections.
    expect(parseConnectionsArgs(args('--connections', '1000000'))).toMatchObject({ ok: true, options: { users: 100_000, botProcesses: 67, ramp: 30, hold: 30 } });
    expect(parseConnectionsArgs(args('--connections', '300'))).toMatchObject({ ok: true, options: { users: 300, botProcesses: 1 } });
    expect(parseConnectionsArgs(args('--connections', '15000', '--transport', 'socketio', '--gateways', '1', '--users', '1500', '--bot-processes', '2'))).toMatchObject({
      ok: true,
      options: { connections: 15_000, transport: 'socketio', gateways: 1, users: 1500, botProcesses: 2 },
    });
    expect(parseConnectionsArgs(args('--connections', '100', '--url', 'http://127.0.0.1:8080/', '--api-token', 't', '--data-dir', '/srv/muster'))).toMatchObject({
      ok: true,
      options: { url: 'http://127.0.0.1:8080', apiToken: 't', dataDir: '/srv/muster' },
    });
    expect(parseConnectionsArgs(args('--connections', '100', '--transport', 'socketio', '--gateways', '0'))).toMatchObject({ ok: true, options: { gateways: 0 } });
    expect(parseConnectionsArgs(args('--connections', '100', '--target', 'ejabberd'))).toMatchObject({ ok: true, options: { target: 'ejabberd', transport: 'longlink' } });
    const refusals: string[][] = [
      args(),
      args('--connections', '0'),
      args('--connections', 'many'),
      args('--connections', '2000000'),
      args('--connections', '100', '--users', '101'),
      args('--connections', '100', '--transport', 'mqtt'),
      args('--connections', '100', '--ramp', '0'),
      args('--connections', '100', '--url', 'http://127.0.0.1:8080'),
      args('--connections', '100', '--api-token', 't'),
      args('--connections', '100', '--url', 'http://127.0.0.1:8080', '--api-token', 't', '--data-dir', 'd', '--gateways', '2'),
      args('--connections', '100', '--target', 'ejabberd', '--transport', 'socketio'),
      args('--connections', '100', '--gateways', '0'),
      // 40,000 connections in 2 processes: more than one process may hold.
      args('--connections', '40000', '--bot-processes', '2'),
      args('--connections', '100', '--unknown', '1'),
    ];
    for (const argv of refusals) expect(parseConnectionsArgs(argv).ok, argv.join(' ')).toBe(false);
  });

  it('spreads connections over people, processes and source addresses', () => {
    // 600k over 60k people in 40 processes: 10 each, 1500 people and 15,000 connections a process.
    expect(new Set(processLoads(600_000, 60_000, 40))).toEqual(new Set([15_000]));
    expect(processLoads(10, 4, 3)).toEqual([5, 3, 2]);
    const plans = planFleet({ connections: 40_000, users: 3_000, processes: 3, addressBlock: 7 });
    expect(plans.map((p) => p.slots.length).reduce((a, b) => a + b)).toBe(40_000);
    for (const plan of plans) {
      expect(plan.slots.length).toBeLessThanOrEqual(MAX_PER_PROCESS);
      expect(plan.slots.length / plan.addresses.length).toBeLessThanOrEqual(MAX_PER_ADDRESS);
      // A person's connections all live in one process: person u in process u mod P.
      for (const u of plan.users) expect(u % 3).toBe(plan.index);
      expect(Math.max(...plan.slots)).toBe(plan.users.length - 1);
    }
    // Each process has its own addresses, in the run's own block.
    const addresses = plans.flatMap((p) => p.addresses);
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses.every((a) => a.startsWith('127.7.'))).toBe(true);
    // Each connection names its source port: unique with its address.
    const sources = new Set(Array.from({ length: plans[0]!.slots.length }, (_, j) => sourceOf(j, plans[0]!.addresses)).map((s) => `${s.address}:${s.port}`));
    expect(sources.size).toBe(plans[0]!.slots.length);
    expect(sourceOf(5, ['a', 'b'])).toEqual({ address: 'b', port: FIRST_SOURCE_PORT + 2 });
    // Every try names a port of its own, none of another connection's tries, all within the port range.
    const everyTry = Array.from({ length: plans[0]!.slots.length }, (_, j) => Array.from({ length: MAX_TRIES }, (_, t) => sourceOf(j, plans[0]!.addresses, t))).flat();
    expect(new Set(everyTry.map((s) => `${s.address}:${s.port}`)).size).toBe(plans[0]!.slots.length * MAX_TRIES);
    expect(Math.max(...everyTry.map((s) => s.port))).toBeLessThan(65_536);
    expect(sourceOf(5, ['a', 'b'], 2)).toEqual({ address: 'b', port: FIRST_SOURCE_PORT + 2 * MAX_PER_ADDRESS + 2 });
    expect(sourceAddress(9, 0)).toBe('127.9.0.2');
    expect(sourceAddress(9, 251)).toBe('127.9.1.3');
    // The first connections (the ramp's start) belong to different people.
    expect(plans[0]!.users.slice(0, 3).map((u) => u)).toEqual([0, 3, 6]);
    expect(() => planFleet({ connections: 40_000, users: 2, processes: 2, addressBlock: 1 })).toThrow(/more than 18000/);
  });

  it('sums the app\'s and every gateway\'s heap from /metrics, and reads nothing without the app\'s', () => {
    const metrics = [
      '# HELP muster_app_heap_bytes V8 heap in use in this app process.',
      'muster_app_heap_bytes 1000',
      'muster_app_rss_bytes 99999',
      'muster_gateway_heap_bytes{gateway="g1"} 200',
      'muster_gateway_heap_bytes{gateway="g2"} 300',
      'muster_gateway_rss_bytes{gateway="g1"} 77777',
    ].join('\n');
    expect(heapFromMetrics(metrics)).toBe(1500);
    expect(heapFromMetrics('muster_gateway_heap_bytes{gateway="g1"} 200')).toBeNull();
    expect(heapFromMetrics('<html>not metrics</html>')).toBeNull();
  });

  it('reads when an access token expires from its payload, and nothing from anything else', () => {
    expect(tokenExpiresAt(jwtExpiringAt(1_800_000_000_000))).toBe(1_800_000_000_000);
    for (const other of ['stale', 'a.b.c', '', 'x.' + Buffer.from('{"exp":"soon"}').toString('base64url') + '.y']) expect(tokenExpiresAt(other)).toBeNull();
  });

  it('a bot process refreshes an expired token once per person, beats at the welcome\'s pace, and counts the announcement', async () => {
    // A stand-in gateway: tokens other than the refreshed ones are refused, as expired ones are.
    let refreshes = 0;
    const refreshed: string[] = [];
    let pings = 0;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const { refreshToken } = JSON.parse(body) as { refreshToken: string };
        refreshes++;
        refreshed.push(refreshToken);
        res.setHeader('content-type', 'application/json');
        // Person c's refresh is refused: the bot counts it by its reason.
        if (refreshToken === 'rc') {
          res.statusCode = 429;
          return void res.end(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'later' } }));
        }
        res.end(JSON.stringify({ accessToken: `fresh-${refreshToken}`, refreshToken: `${refreshToken}+1` }));
      });
    });
    const wss = new WebSocketServer({ server, path: LONGLINK_PATH });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { t: string; token?: string };
        if (frame.t === 'ping') {
          pings++;
          ws.send(JSON.stringify({ t: 'pong' }));
        } else if (frame.t === 'hello' && frame.token?.startsWith('fresh-')) ws.send(JSON.stringify({ t: 'welcome', v: 1, accountId: 'a', connectionId: 'c', heartbeatMs: 200 }));
        else if (frame.t === 'hello') {
          ws.send(JSON.stringify({ t: 'bye', code: 'UNAUTHORIZED', message: 'expired' }));
          ws.close(CLOSE_CODES.UNAUTHORIZED, 'UNAUTHORIZED');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bot = fork(fileURLToPath(new URL('./connectionsEntry.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    // The first sample that satisfies `done` (samples come twice a second).
    const waitFor = (done: (s: BotSample) => boolean) =>
      new Promise<BotSample>((resolve) => {
        const check = (message: BotMessage) => {
          if (message.type !== 'sample' || !done(message)) return;
          bot.off('message', check);
          resolve(message);
        };
        bot.on('message', check);
      });
    try {
      await new Promise<void>((resolve) => bot.once('message', (m: BotMessage) => m.type === 'ready' && resolve()));
      const setup: BotCommand = {
        type: 'setup',
        transport: 'longlink',
        url,
        users: [
          { id: 'a', secret: 'stale', refreshToken: 'ra' },
          { id: 'b', secret: 'stale', refreshToken: 'rb' },
          { id: 'c', secret: 'stale', refreshToken: 'rc' },
          // No connection of its own here: its token, due to expire, is refreshed ahead (within its last 1.5 s before the minute ahead).
          { id: 'd', secret: jwtExpiringAt(Date.now() + 61_500), refreshToken: 'rd' },
        ],
        // Three connections each for a and b, interleaved, and one for c.
        slots: Uint32Array.from([0, 1, 0, 1, 0, 1, 2]),
        addresses: ['127.0.0.2', '127.0.0.3'],
      };
      bot.send(setup);
      bot.send({ type: 'ramp', startAt: Date.now(), seconds: 0.05 } satisfies BotCommand);
      const up = await waitFor((s) => s.up === 6 && s.refreshes.failed === 1 && s.refreshes.ok === 3 && s.pending === 0);
      expect(up).toMatchObject({ opened: 7, open: 6, pending: 0, refused: { UNAUTHORIZED: 1 }, refreshes: { ok: 3, failed: 1, failedByReason: { 'HTTP 429': 1 } }, heartbeatMs: 200 });
      // Once per person, whichever of their connections were refused (those opened after it connect with the new token at
      // once), and d's ahead of its expiry, unrefused.
      expect(refreshes).toBe(4);
      expect(refreshed).toContain('rd');
      expect(up.retries.UNAUTHORIZED).toBeGreaterThanOrEqual(2);
      // Every connection beats once per 200 ms from the process's one timer.
      await waitFor(() => pings >= 12);
      for (const ws of wss.clients) ws.send(JSON.stringify({ t: 'ev', e: 'announcement', d: { id: 'n', text: 'hi', sentAt: Date.now() } }));
      const reached = await waitFor((s) => s.reached === 6);
      expect(reached.latency.counts.reduce((a, b) => a + b, 0)).toBe(6);
      // A connection the server ends is dropped, by its bye code.
      for (const ws of wss.clients) ws.close(CLOSE_CODES.SIGNED_OUT, 'SIGNED_OUT');
      expect((await waitFor((s) => s.open === 0)).dropped).toEqual({ SIGNED_OUT: 6 });
    } finally {
      bot.send({ type: 'stop' } satisfies BotCommand);
      await new Promise((resolve) => bot.once('exit', resolve));
      wss.close();
      server.close();
    }
  });

  it('holds a tiny load on a server it starts, broadcasts, and reports the contract fields', async () => {
    await checkLoadtestRun('connections', args('--connections', '300', '--bot-processes', '2', '--gateways', '2', '--users', '100', '--ramp', '2', '--hold', '2'), 240_000, ({ report, markdown }) => {
      expect(report).toMatchObject({ scenario: 'connections', target: 'muster', transport: 'longlink', users: 100 });
      expect(report.connections).toMatchObject({ requested: 300, connected: 300, heldToEnd: 300, refused: { total: 0 }, dropped: { total: 0 } });
      expect(report.broadcast.reached).toBe(300);
      for (const p of ['p50Ms', 'p95Ms', 'p99Ms', 'maxMs']) expect(report.broadcast[p]).toBeGreaterThanOrEqual(0);
      expect(report.ramp.seconds).toBeGreaterThan(0);
      expect(report.server.rssMB).toBeGreaterThan(0);
      // At 300 connections (about 2 MB) the per-connection figure is within what the server's heaps give back on their own: present, not signed.
      expect(Number.isFinite(report.server.memoryPerConnectionKB)).toBe(true);
      expect(report.server.rssByRole.gateway.heldMB).toBeGreaterThan(0);
      // The V8 heap of the app and both gateways, from /metrics, before and held.
      expect(report.server.heapMB).toBeGreaterThan(0);
      expect(report.server.baselineHeapMB).toBeGreaterThan(0);
      expect(Number.isFinite(report.server.heapPerConnectionKB)).toBe(true);
      expect(markdown).toContain('server V8 heap held');
      expect(Number.isFinite(report.server.cpuPer1000IdlePct)).toBe(true);
      expect(report.server.processes.byRole).toMatchObject({ supervisor: 1, app: 1, gateway: 2 });
      expect(report.kernel.perConnection.sockets).toBeGreaterThan(0);
      expect(report.loadgen).toMatchObject({ processes: 2, crashed: 0 });
      expect(report.loadgen.rssMB).toBeGreaterThan(0);
      expect(report.machine.cores).toBeGreaterThan(0);
      expect(markdown).toContain('server memory per connection');
      expect(markdown).toContain('broadcast reached');
    });
  }, 300_000);
});
