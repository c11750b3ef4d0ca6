import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLoadtestRun } from './loadtestRun.ts';
import { MATRIX_HEADER, matrixRow } from './matrixTable.ts';

describe('npm run loadtest', () => {
  it('runs a short calls scenario against a server it starts, and reports every field', async () => {
    const args = ['--scenario', 'calls', '--video-calls', '4', '--voice-calls', '4', '--duration', '5', '--ramp', '10', '--workers', '1'];
    await checkLoadtestRun('report', args, 150_000, ({ report, markdown, stdout, dir }) => {
      expect(stdout).toMatch(/bots \d+\/16/);
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
      expect(markdown).toContain('SFU CPU per forwarded packet');
      expect(markdown).toContain('report.svg');
      expect(fs.readFileSync(path.join(dir, 'report.svg'), 'utf8')).toMatch(/^<svg[\s\S]*polyline[\s\S]*<\/svg>$/);
    });
  }, 180_000);
});
