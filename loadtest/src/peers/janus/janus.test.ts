/**
 * The Janus peer adapter end to end, at a tiny load: the CLI starts Janus
 * (Debian's package) with its generated configuration, the same bots call
 * through VideoRoom, and the report has Muster's shape. Without janus the
 * test skips with a loud notice on a developer machine and fails under CI.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { JANUS_BINARY } from './JanusServer.ts';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const installed = fs.existsSync(JANUS_BINARY);
const enabled = installed || process.env.CI === 'true';
if (!enabled) {
  console.warn(
    ['', '!'.repeat(78), `!!  SKIPPING the Janus adapter test (loadtest/src/peers/janus): no ${JANUS_BINARY}`, '!!  Install it: apt-get install janus. Under CI=true this test fails instead.', '!'.repeat(78), ''].join('\n'),
  );
}

const loadtest = (args: string[]) =>
  promisify(execFile)('npm', ['run', 'loadtest', '--', '--scenario', 'calls', ...args], { cwd: REPO, timeout: 240_000, maxBuffer: 16 * 2 ** 20 });

describe.runIf(enabled)('the Janus peer adapter (--target janus|both)', () => {
  let dir = '';
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a video and a voice call through Janus with the same bots, reports them like Muster, and stops Janus', async () => {
    if (!installed) throw new Error(`${JANUS_BINARY} is missing: CI must install Debian's janus (apt-get install janus) for the Janus adapter test`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-janus-test-'));
    const json = path.join(dir, 'janus.json');
    const md = path.join(dir, 'janus.md');
    await loadtest(['--target', 'janus', '--video-calls', '1', '--voice-calls', '1', '--duration', '5', '--ramp', '10', '--json', json, '--md', md]);

    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.target).toBe('janus');
    expect(report.calls.video).toMatchObject({ requested: 1, connected: 1 });
    expect(report.calls.voice).toMatchObject({ requested: 1, connected: 1 });
    expect(report.bots).toMatchObject({ requested: 4, joined: 4, failed: 0 });
    expect(report.steady.packetsReceived).toBeGreaterThan(0);
    expect(report.packets.received).toBeGreaterThan(0);
    expect(report.lossPct).toBeLessThan(5);
    for (const field of ['p50', 'p95', 'p99']) expect(report.latencyMs[field]).toBeGreaterThan(0);
    expect(report.joinMs.p50).toBeGreaterThan(0);
    // Janus's CPU from /proc, per packet its subscribers received.
    expect(report.server.processes).toEqual([expect.objectContaining({ role: 'janus' })]);
    expect(report.server.cpuPct).toBeGreaterThan(0);
    expect(report.sfuCpuUsPerPacket).toBeGreaterThan(0);
    expect(report.serverCpuUsPerReceivedPacket).toBe(report.sfuCpuUsPerPacket);
    // Only the VideoRoom plugin and the WebSocket transport, no Admin API; the files are beside the JSON.
    expect(report.janus.transport).toBe('websockets');
    const configDir = path.join(dir, 'janus.janus-config');
    expect(fs.readdirSync(configDir).sort()).toEqual(['janus.jcfg', 'janus.plugin.videoroom.jcfg', 'janus.transport.websockets.jcfg', 'videoroom-room.json']);
    expect(fs.readFileSync(path.join(configDir, 'janus.transport.websockets.jcfg'), 'utf8')).toMatch(/admin_ws = false/);
    // No errors from Janus (a warning, e.g. of a slow moment on a busy machine, is not the adapter's fault).
    expect(report.janus.logProblems.filter((line: string) => !line.startsWith('[WARN]'))).toEqual([]);
    // Janus was stopped with the run.
    expect(fs.existsSync(`/proc/${report.server.processes[0].pid}`)).toBe(false);
    const markdown = fs.readFileSync(md, 'utf8');
    expect(markdown).toContain('SFU CPU per forwarded packet');
    expect(markdown).toContain('janus.plugin.videoroom.jcfg');
  }, 300_000);

  it('--target both runs Muster then Janus at the same load and writes them side by side', async () => {
    if (!installed) throw new Error(`${JANUS_BINARY} is missing: CI must install Debian's janus (apt-get install janus) for the Janus adapter test`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-janus-test-'));
    const json = path.join(dir, 'both.json');
    const md = path.join(dir, 'both.md');
    await loadtest(['--target', 'both', '--video-calls', '1', '--voice-calls', '1', '--duration', '4', '--ramp', '10', '--workers', '1', '--json', json, '--md', md]);

    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.target).toBe('both');
    for (const run of [report.muster, report.janus]) {
      expect(run.calls.total).toMatchObject({ requested: 2, connected: 2 });
      expect(run.options).toMatchObject({ videoCalls: 1, voiceCalls: 1, duration: 4 });
      expect(run.steady.packetsReceived).toBeGreaterThan(0);
    }
    // Present, not sized: at this load Muster's CPU in the window is a few /proc ticks (10 ms), possibly none.
    expect(report.musterOverJanus.cpuUsPerForwardedPacket).toBeGreaterThanOrEqual(0);
    expect(report.musterOverJanus.latencyP99Ms).toBeGreaterThan(0);
    expect(report.rows.find((r: { figure: string }) => r.figure.startsWith('server CPU per forwarded packet')).janus).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'both.janus-config', 'janus.jcfg'))).toBe(true);
    const markdown = fs.readFileSync(md, 'utf8');
    expect(markdown).toContain('| figure | Muster | Janus | Muster ÷ Janus |');
    for (const chart of ['both-muster.svg', 'both-janus.svg']) expect(markdown).toContain(chart);
  }, 300_000);
});
