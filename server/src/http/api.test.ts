import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { loadOrCreateApiToken } from './apiToken.ts';

describe('HTTP endpoints', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let peer: NodePeer;
  const auth = () => ({ authorization: `Bearer ${server.apiToken}` });

  beforeAll(async () => {
    server = await startTestServer();
    peer = new NodePeer(server.url);
    await peer.join('standup', 'Dana');
  });
  afterAll(async () => {
    await peer?.close().catch(() => undefined);
    await server?.close();
  });

  it('GET /healthz reports workers and rooms', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', workers: 1, rooms: 1 });
  });

  it('GET /metrics is Prometheus text with rooms, participants and per-worker figures', async () => {
    await server.pool.workers[0]!.getStats();
    const res = await fetch(`${server.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^muster_rooms 1$/m);
    expect(text).toMatch(/^muster_participants 1$/m);
    expect(text).toMatch(/^muster_producers 2$/m);
    expect(text).toMatch(/^muster_im_sends_in_flight 0$/m);
    expect(text).toMatch(/^muster_im_sends_in_flight_max 2000$/m);
    expect(text).toMatch(/^# TYPE muster_im_sends_refused_total counter\nmuster_im_sends_refused_total 0$/m);
    expect(text).toMatch(/^# TYPE muster_worker_cpu_seconds_total counter$/m);
    expect(text).toMatch(/^muster_worker_cpu_seconds_total\{worker="0",pid="\d+"\} [\d.e+-]+$/m);
    expect(text).toMatch(/^muster_worker_packets_in_total\{worker="0",pid="\d+"\} \d+$/m);
    // npm install builds the native packet path; CI must run on it (elsewhere JS is a valid fallback).
    expect(text).toMatch(process.env.CI === 'true' ? /^muster_worker_native_packet_path\{worker="0",pid="\d+"\} 1$/m : /^muster_worker_native_packet_path\{worker="0",pid="\d+"\} [01]$/m);
    // The worker's shared media port, which carries the joined peer's transports.
    expect(server.pool.workers[0]!.lastStats!.webRtcServer!.transports).toBeGreaterThan(0);
    const port = Number(/^muster_worker_udp_port\{worker="0",pid="\d+"\} (\d+)$/m.exec(text)?.[1]);
    expect(port).toBe(server.pool.workers[0]!.lastStats!.webRtcServer!.port);
    expect(port).toBeGreaterThan(0);
    expect(text).toMatch(/^muster_worker_udp_receive_buffer_bytes\{worker="0",pid="\d+"\} \d+$/m);
    expect(text).toMatch(/^muster_worker_udp_unroutable_total\{worker="0",pid="\d+"\} \d+$/m);
  });

  it('refuses the REST API without the right Bearer token', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${server.apiToken}` }];
    for (const headers of attempts) {
      const res = await fetch(`${server.url}/api/v1/rooms`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('lists rooms and dumps one with participants, producers and consumers', async () => {
    const list = await (await fetch(`${server.url}/api/v1/rooms`, { headers: auth() })).json();
    expect(list).toEqual([expect.objectContaining({ id: 'standup', topic: 'standup', participants: 1 })]);

    const second = new NodePeer(server.url);
    await second.join('standup', 'Eli');
    try {
      const dump = await waitUntil(async () => {
        const d = await (await fetch(`${server.url}/api/v1/rooms/standup`, { headers: auth() })).json();
        return d.participants.every((p: { consumers: unknown[] }) => p.consumers.length === 2) ? d : null;
      }, 10_000, 'consumers in the dump');
      expect(dump).toMatchObject({ id: 'standup', topic: 'standup' });
      const dana = dump.participants.find((p: { name: string }) => p.name === 'Dana');
      expect(dana).toMatchObject({ role: 'host' });
      expect(dana.producers).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: expect.any(String), kind: 'audio', codec: 'audio/opus', paused: false }),
          expect.objectContaining({ id: expect.any(String), kind: 'video', codec: 'video/VP8', paused: false }),
        ]),
      );
      const eli = dump.participants.find((p: { name: string }) => p.name === 'Eli');
      expect(eli.role).toBe('participant');
      const consumedIds = eli.consumers.map((c: { producerId: string }) => c.producerId).sort();
      expect(consumedIds).toEqual(dana.producers.map((p: { id: string }) => p.id).sort());
      expect(eli.consumers[0]).toEqual(expect.objectContaining({ id: expect.any(String), kind: expect.any(String), paused: false }));
    } finally {
      await second.close();
    }
  });

  it('answers unknown rooms, bad ids and unknown routes with coded errors', async () => {
    const missing = await fetch(`${server.url}/api/v1/rooms/nope`, { headers: auth() });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const bad = await fetch(`${server.url}/api/v1/rooms/${encodeURIComponent('../../x')}`, { headers: auth() });
    expect(bad.status).toBe(400);
    const route = await fetch(`${server.url}/api/v1/nothing`, { headers: auth() });
    expect(route.status).toBe(404);
  });
});

describe('API token', () => {
  it('is generated once, kept under the data directory and reused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-token-'));
    try {
      const first = loadOrCreateApiToken(dir);
      expect(first.generated).toBe(true);
      expect(first.token.length).toBeGreaterThanOrEqual(32);
      expect(fs.statSync(path.join(dir, 'api-token')).mode & 0o777).toBe(0o600);
      const second = loadOrCreateApiToken(dir);
      expect(second).toMatchObject({ token: first.token, generated: false });
      expect(loadOrCreateApiToken(dir, 'configured-token')).toEqual({ token: 'configured-token', generated: false });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
