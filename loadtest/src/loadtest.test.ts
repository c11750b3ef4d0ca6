import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MATRIX_HEADER, matrixRow } from './matrixTable.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run loadtest', () => {
  it('runs a short calls scenario against a server it starts, and reports every field', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-lt-'));
    const json = path.join(dir, 'report.json');
    const md = path.join(dir, 'report.md');
    try {
      const { stdout } = await promisify(execFile)(
        'npm',
        ['run', 'loadtest', '--', '--scenario', 'calls', '--video-calls', '4', '--voice-calls', '4', '--duration', '5', '--ramp', '10', '--workers', '1', '--json', json, '--md', md],
        { cwd: REPO, timeout: 150_000, maxBuffer: 16 * 2 ** 20 },
      );
      expect(stdout).toMatch(/bots \d+\/16/);
      const report = JSON.parse(fs.readFileSync(json, 'utf8'));
      expect(report.scenario).toBe('calls');
      expect(report.calls.video).toMatchObject({ requested: 4, connected: 4 });
      expect(report.calls.voice).toMatchObject({ requested: 4, connected: 4 });
      expect(report.lossPct).toBeLessThan(1);
      for (const field of ['p50', 'p95', 'p99']) expect(report.latencyMs[field]).toBeGreaterThan(0);
      expect(report.sfuCpuUsPerPacket).toBeGreaterThan(0);
      expect(report.server.cpuPct).toBeGreaterThan(0);
      expect(report.server.rssMB).toBeGreaterThan(0);
      expect(report.joinMs.p50).toBeGreaterThan(0);
      expect(report.packets.sent).toBeGreaterThan(0);
      expect(report.packets.received).toBeGreaterThan(0);
      expect(report.timeline.length).toBeGreaterThan(3);
      expect(report.machine.busyPct).toBeGreaterThan(0);
      expect(report.machine.otherProcessesPct).toBeGreaterThanOrEqual(0);
      // The RESULTS.md table has one cell per column for this report.
      const row = matrixRow('w1', report);
      expect(row.split(' | ').length).toBe(MATRIX_HEADER.split('\n')[0]!.split(' | ').length);
      expect(row).toContain('4/4 + 4/4');
      const markdown = fs.readFileSync(md, 'utf8');
      expect(markdown).toContain('SFU CPU per forwarded packet');
      expect(markdown).toContain('report.svg');
      expect(fs.readFileSync(path.join(dir, 'report.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
