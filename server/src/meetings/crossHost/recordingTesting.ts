/**
 * For the recordings-across-hosts tests: a meeting held by `owner`, recorded
 * through `via` (the same app, or another that carries the requests to the
 * owner) until both of the person's tracks are on the owner's disk, then
 * stopped and waited for until it is finished.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { RecordingInfo } from '@muster/recorder';
import { NodePeer } from '@muster/signaling/testing';
import { waitUntil } from '../../testing/index.ts';
import type { appsOnOneRedis, HostApp } from '../../crossHost/testing.ts';

export async function recordAMeeting(o: {
  hosts: ReturnType<typeof appsOnOneRedis>;
  owner: HostApp;
  via: HostApp;
  room: string;
  name: string;
  /** Where the test keeps its peers, to close them after. */
  peers: NodePeer[];
  finishMs: number;
}): Promise<{ id: string; workDir: string; info: RecordingInfo; peer: NodePeer }> {
  const peer = new NodePeer(o.owner.url);
  o.peers.push(peer);
  await peer.join(o.room, o.name);
  await waitUntil(() => o.owner.rooms.get(o.room)?.participants.get(peer.room.participantId!)?.tracks.size === 2, 15_000, `${o.name} publishing`);
  const started = await o.hosts.rest(o.via, 'POST', `/rooms/${o.room}/recordings`);
  expect(started.status).toBe(201);
  const id = started.body.id as string;
  // Both tracks' segments are growing on the owner's disk.
  const workDir = await o.owner.recorder.storage.workDir(id);
  await waitUntil(
    async () => {
      const segments = (await fs.promises.readdir(workDir)).filter((name) => /^t\d+-p\d+-\d+\.webm$/.test(name));
      const sizes = await Promise.all(segments.map(async (name) => (await fs.promises.stat(path.join(workDir, name))).size));
      return segments.length >= 2 && sizes.every((size) => size > 4_000);
    },
    30_000,
    `both tracks written on the owner`,
  );
  expect((await o.hosts.rest(o.via, 'DELETE', `/rooms/${o.room}/recordings/current`)).status).toBe(200);
  const info = await waitUntil(
    async () => {
      const current = (await o.hosts.rest(o.via, 'GET', `/recordings/${id}`)).body as RecordingInfo;
      return current.state === 'ready' || current.state === 'failed' ? current : null;
    },
    o.finishMs,
    'the recording finished',
  );
  return { id, workDir, info, peer };
}
