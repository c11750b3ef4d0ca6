/**
 * The CPU cost of composite encoding per meeting (recorder/README.md):
 * records N Node peers (libwebrtc VP8 camera + Opus tone) for S seconds,
 * then encodes the composite of those files at several sizes and presets,
 * and prints ffmpeg's own CPU time per minute of meeting.
 *
 *   node --import tsx recorder/src/bench/composite.bench.ts [participants=2] [seconds=30]
 */
import fs from 'node:fs';
import path from 'node:path';
import { NodePeer } from '@muster/signaling/testing';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { compositeArgs } from '@muster/recorder';
import { runFfmpeg } from '@muster/recorder';

const participants = Number(process.argv[2] ?? 2);
const seconds = Number(process.argv[3] ?? 30);
const server = await startTestServer();
const peers: NodePeer[] = [];
try {
  for (let i = 0; i < participants; i++) {
    const peer = new NodePeer(server.url);
    await peer.join('bench', `P${i}`);
    peers.push(peer);
  }
  await waitUntil(() => [...(server.rooms.get('bench')?.participants.values() ?? [])].every((p) => p.tracks.size === 2), 20_000, 'publishing');
  const recording = await server.recorder.start(
    {
      roomId: 'bench',
      media: () => ({ worker: server.rooms.get('bench')!.worker, routerId: server.rooms.get('bench')!.routerId }),
      tracks: () =>
        [...server.rooms.get('bench')!.participants.values()].flatMap((p) =>
          [...p.tracks.values()].map((t) => ({ producerId: t.id, participantId: p.id, participantName: p.name, kind: t.kind, source: t.source, codec: t.codec })),
        ),
    },
    'bench',
  );
  await new Promise((r) => setTimeout(r, seconds * 1000));
  // The per-track ffmpegs (stream copy): their CPU from /proc, before they exit.
  const ticks = recording.trackProcesses().map((t) => {
    const stat = fs.readFileSync(`/proc/${t.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(stat[11]) + Number(stat[12]);
  });
  const trackCpu = ticks.reduce((a, b) => a + b, 0) / 100;
  const info = await recording.processed();
  console.log(`per-track recording: ${ticks.length} ffmpeg processes, ${trackCpu.toFixed(2)} CPU s in total = ${((trackCpu / (info.durationMs! / 1000)) * 60).toFixed(1)} CPU s per meeting minute`);
  const dir = path.join(server.recorder.config.dir, info.id);
  console.log(`recorded ${participants} participants for ${(info.durationMs! / 1000).toFixed(1)} s`);
  for (const [width, height, preset] of [
    [1280, 720, 'veryfast'],
    [1280, 720, 'ultrafast'],
    [640, 360, 'ultrafast'],
  ] as const) {
    const args = compositeArgs(info.manifest, (n) => path.join(dir, n), { fromMs: 0, toMs: info.durationMs! }, { width, height, fps: 15, preset }, path.join(dir, `bench-${width}-${preset}.mp4`));
    const { cpuSeconds, wallSeconds } = await runFfmpeg(server.recorder.config.ffmpegPath, args);
    const perMinute = (cpuSeconds / (info.durationMs! / 1000)) * 60;
    console.log(`${width}x${height} ${preset}: ${cpuSeconds.toFixed(2)} CPU s (${wallSeconds.toFixed(1)} s wall) = ${perMinute.toFixed(1)} CPU s per meeting minute (${((perMinute / 60) * 100).toFixed(0)} % of one core live)`);
  }
} finally {
  for (const p of peers) await p.close().catch(() => undefined);
  await server.close();
}
