import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MusterRequestError } from '@muster/signaling/client';
import { NodePeer } from '@muster/signaling/testing';
import { ProtocolClient } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { mulberry32 } from '@muster/kit/testing';

function randomJson(rand: () => number, depth = 0): unknown {
  switch (Math.floor(rand() * (depth > 2 ? 6 : 8))) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return Math.floor((rand() - 0.5) * 1e12);
    case 3: return ['audio', 'video', '', 'true', '__proto__', 'x'.repeat(300), '2030-01-01T00:00:00Z', 'everyone'][Math.floor(rand() * 8)];
    case 4: return -0.5;
    case 5: return 'é\u0000\u202e';
    case 6: return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(rand, depth + 1));
    default: {
      const keys = ['kind', 'allowUnmute', 'topic', 'locked', 'lobby', 'settings', 'id', 'passcode', 'startsAt', 'data', 'to', 'unmute', 'chat', 'constructor', '__proto__'];
      const obj: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(rand() * 5); i++) obj[keys[Math.floor(rand() * keys.length)]!] = randomJson(rand, depth + 1);
      return obj;
    }
  }
}

describe('REST room service', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const api = (path: string, init: { method?: string; body?: unknown; raw?: string; type?: string } = {}) =>
    fetch(`${server.url}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${server.apiToken}`, ...(init.body !== undefined || init.raw !== undefined ? { 'content-type': init.type ?? 'application/json' } : {}) },
      body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
    });

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates, lists, changes and ends a room; controls act on live participants and are audited', async () => {
    const created = await api('/rooms', { method: 'POST', body: { id: 'ops', topic: 'Ops sync', lobby: false, settings: { chat: 'participants' } } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ id: 'ops', topic: 'Ops sync', live: false, settings: { chat: 'participants', unmute: 'everyone' }, hostKey: expect.any(String) });
    expect((await api('/rooms', { method: 'POST', body: { id: 'ops' } })).status).toBe(409);
    const generated = await (await api('/rooms', { method: 'POST' })).json();
    expect(generated.id).toMatch(/^m[0-9a-f]{12}$/);

    expect(await (await api('/rooms')).json()).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'ops', live: false, participants: 0 })]));
    expect(await (await api('/rooms/ops')).json()).toMatchObject({ id: 'ops', participants: [] });
    expect((await api('/rooms/ops/participants')).status).toBe(404);

    const patched = await api('/rooms/ops', { method: 'PATCH', body: { topic: 'Ops weekly' } });
    expect(await patched.json()).toMatchObject({ topic: 'Ops weekly' });

    const host = await ProtocolClient.join(server.url, 'ops', 'Hana');
    const pat = await ProtocolClient.join(server.url, 'ops', 'Pat');
    try {
      expect(host.joined!.room.topic).toBe('Ops weekly');
      const people = await (await api('/rooms/ops/participants')).json();
      expect(people.map((p: { name: string }) => p.name)).toEqual(['Hana', 'Pat']);

      const live = await api('/rooms/ops', { method: 'PATCH', body: { topic: 'Ops, live', locked: true, lobby: true, settings: { share: 'moderators' } } });
      expect(await live.json()).toMatchObject({ topic: 'Ops, live', locked: true, lobby: true, settings: { share: 'moderators' } });
      expect(await pat.waitFor('room.updated', (r) => r.topic === 'Ops, live')).toMatchObject({ locked: true });

      expect((await api(`/rooms/ops/participants/${pat.id}/mute`, { method: 'POST', body: { kind: 'audio' } })).status).toBe(200);
      expect(await pat.waitFor('control.notice')).toEqual({ type: 'muted', kind: 'audio', by: 'The organiser', mayUnmute: true });
      expect(await (await api('/rooms/ops/mute-all', { method: 'POST', body: { kind: 'video', allowUnmute: false } })).json()).toEqual({ muted: 2 });

      const data = await api('/rooms/ops/data', { method: 'POST', body: { topic: 'poll', data: { question: 'Lunch?' }, to: [pat.id] } });
      expect(await data.json()).toEqual({ delivered: 1 });
      expect(await pat.waitFor('data.message')).toEqual({ from: 'server', topic: 'poll', data: { question: 'Lunch?' } });
      expect(host.received('data.message')).toEqual([]);

      expect((await api(`/rooms/ops/participants/${pat.id}?ban=true`, { method: 'DELETE' })).status).toBe(200);
      expect(await pat.waitFor('room.closed')).toEqual({ reason: 'banned' });
      expect((await api(`/rooms/ops/participants/${pat.id}`, { method: 'DELETE' })).status).toBe(404);

      const audit = await (await api('/rooms/ops/audit')).json();
      expect(audit.entries.map((e: { action: string }) => e.action)).toEqual(['room.update', 'participant.mute', 'room.muteAll', 'data.send', 'participant.remove']);
      expect(audit.entries[1]).toMatchObject({ actor: { type: 'api' }, target: { participantId: pat.id, name: 'Pat' }, details: { kind: 'audio' }, at: expect.any(Number) });

      expect((await api('/rooms/ops', { method: 'DELETE' })).status).toBe(200);
      expect(await host.waitFor('room.closed')).toEqual({ reason: 'ended' });
      expect((await api('/rooms/ops')).status).toBe(404);
      expect((await api('/rooms/ops', { method: 'DELETE' })).status).toBe(404);
      // The log outlives the meeting, and names who ended it.
      const after = await (await api('/rooms/ops/audit')).json();
      expect(after.endedAt).toEqual(expect.any(Number));
      expect(after.entries.at(-1)).toMatchObject({ action: 'room.end', actor: { type: 'api' } });
    } finally {
      host.close();
      pat.close();
    }
  });

  it('a muted participant’s audio stops reaching the others: paused producer in the dump, no packets in the listener’s stats', async () => {
    const host = new NodePeer(server.url);
    const speaker = new NodePeer(server.url);
    const listener = new NodePeer(server.url);
    try {
      await host.join('muted-room', 'Host', { audio: false, video: false });
      await speaker.join('muted-room', 'Speaker');
      await listener.join('muted-room', 'Listener', { audio: false, video: false });
      await waitUntil(async () => (await listener.inboundPackets()).audio > 50, 15_000, 'audio flowing');
      const speakerId = speaker.room.participantId!;

      const notice = speaker.room.waitFor('controlNotice');
      await host.room.request('room.muteAll', { kind: 'audio', allowUnmute: false });
      expect((await notice)[0]).toEqual({ type: 'muted', kind: 'audio', by: 'Host', mayUnmute: false });
      const dump = await (await api('/rooms/muted-room')).json();
      const mic = dump.participants.find((p: { id: string }) => p.id === speakerId).producers.find((p: { kind: string }) => p.kind === 'audio');
      expect(mic.paused).toBe(true);
      // The speaker's own view follows, and its track is silenced locally too.
      await waitUntil(() => speaker.room.localParticipant!.isMuted('microphone'), 2_000, 'speaker sees itself muted');
      expect(speaker.room.publishedTrack('microphone')!.enabled).toBe(false);

      await new Promise((r) => setTimeout(r, 500)); // packets in flight drain
      const before = (await listener.inboundPackets()).audio;
      const videoBefore = (await listener.inboundPackets()).video;
      await new Promise((r) => setTimeout(r, 1_000));
      const after = await listener.inboundPackets();
      expect(after.audio).toBe(before);
      expect(after.video).toBeGreaterThan(videoBefore); // only the audio stopped

      // Barred from unmuting: the server refuses and nothing flows.
      await expect(speaker.room.setMuted('microphone', false)).rejects.toMatchObject({ code: 'FORBIDDEN' } satisfies Partial<MusterRequestError>);
      expect(speaker.room.publishedTrack('microphone')!.enabled).toBe(false);
      // Media rebuilt (ICE restart): the republished microphone is still muted on the server.
      await speaker.room.restartMedia('ice-failed');
      await waitUntil(async () => {
        const d = await (await api('/rooms/muted-room')).json();
        const p = d.participants.find((x: { id: string }) => x.id === speakerId);
        return p.producers.length === 2 && p.producers.find((x: { kind: string }) => x.kind === 'audio').paused;
      }, 10_000, 'republished muted');

      await host.room.request('participant.askUnmute', { participantId: speakerId, kind: 'audio' });
      await speaker.room.waitFor('controlNotice', 5_000, (n) => n.type === 'askUnmute');
      await speaker.room.setMuted('microphone', true); // the client's local state first follows the server…
      await speaker.room.setMuted('microphone', false); // …and the person chooses to unmute
      const resumed = (await listener.inboundPackets()).audio;
      await waitUntil(async () => (await listener.inboundPackets()).audio > resumed + 20, 10_000, 'audio after unmute');
    } finally {
      for (const p of [host, speaker, listener]) await p.close().catch(() => undefined);
    }
  });

  it('answers malformed bodies, ids and queries with coded 4xx errors, never a 500', async () => {
    await api('/rooms', { method: 'POST', body: { id: 'fuzz-room' } });
    const live = await ProtocolClient.join(server.url, 'fuzz-room', 'Hana');
    const pid = live.id;
    const rand = mulberry32(5);
    const routes: [string, string][] = [
      ['POST', '/rooms'],
      ['PATCH', '/rooms/fuzz-room'],
      ['POST', `/rooms/fuzz-room/participants/${pid}/mute`],
      ['POST', '/rooms/fuzz-room/mute-all'],
      ['POST', '/rooms/fuzz-room/data'],
      ['POST', '/rooms/no-such-room/mute-all'],
      ['POST', '/rooms/fuzz-room/participants/nobody/mute'],
    ];
    const raws = ['{', '[]', 'null', '"text"', '{"kind":', '\u0000', '{"__proto__":{"kind":"audio"}}', `{"data":"${'x'.repeat(20_000)}"}`, 'x'.repeat(300_000)];
    let requests = 0;
    try {
      for (const [method, path] of routes) {
        const bodies: { body?: unknown; raw?: string; type?: string }[] = [
          {},
          ...raws.map((raw) => ({ raw })),
          { raw: 'kind=audio', type: 'application/x-www-form-urlencoded' },
          { raw: '{"kind":"audio"}', type: 'text/plain' },
          ...Array.from({ length: 30 }, () => ({ body: randomJson(rand) })),
        ];
        for (const init of bodies) {
          const res = await api(path, { method, ...init });
          requests++;
          const text = await res.text();
          expect(res.status, `${method} ${path} ${JSON.stringify(init).slice(0, 120)} → ${text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(JSON.parse(text)).toMatchObject({ error: { code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) } });
          }
        }
      }
      for (const path of ['/rooms/%2e%2e', '/rooms/a%00b', `/rooms/${'x'.repeat(70)}`, `/rooms/fuzz-room/participants/${'p'.repeat(80)}`, '/rooms/fuzz-room/participants/x?ban=maybe', '/rooms/fuzz-room/audit?x=1']) {
        for (const method of ['GET', 'DELETE', 'PATCH']) {
          const res = await api(path, { method, ...(method === 'GET' ? {} : { body: {} }) });
          expect(res.status, `${method} ${path}`).toBeLessThan(500);
          expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(200);
        }
      }
      expect(requests).toBeGreaterThan(250);
      // The meeting beside the fuzzing is intact.
      expect(server.rooms.get('fuzz-room')!.participants.size).toBe(1);
    } finally {
      live.close();
    }
  });
});
