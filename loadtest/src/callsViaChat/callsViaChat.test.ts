/**
 * `--scenario calls --via chat`: 2 video + 2 voice calls rung and answered
 * through the chat against a server it starts, and the report's fields
 * (a contract: calls.requested / .connected, setup.p50Ms / .p99Ms,
 * loss.ratio with its video and voice split, media.rate).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLoadtestRun } from '../loadtestRun.ts';
import { mediaRate } from './CallsViaChatLoadTest.ts';

describe('the calls scenario via chat', () => {
  it('states what a reduced media rate sends', () => {
    expect(mediaRate(1)).toMatchObject({ rate: 1, reduced: false, audio: { packetsPerSec: 50, kbps: 40 }, video: { packetsPerSec: 75, kbps: 600 } });
    expect(mediaRate(0.1)).toMatchObject({ rate: 0.1, reduced: true, audio: { packetsPerSec: 5, kbps: 4 }, video: { packetsPerSec: 7.5, kbps: 60 } });
    expect(mediaRate(0.1).note).toContain('0.1 ×');
  });

  it('rings, answers and connects 2 video + 2 voice calls against a server it starts, and reports every field', async () => {
    const args = ['--scenario', 'calls', '--via', 'chat', '--video-calls', '2', '--voice-calls', '2', '--duration', '4', '--ramp', '8', '--workers', '1', '--media-rate', '0.5'];
    await checkLoadtestRun('calls-chat', args, 170_000, ({ report, markdown, dir }) => {
      expect(report).toMatchObject({ scenario: 'calls', via: 'chat', servers: ['started here'] });
      expect(report.calls).toMatchObject({ requested: 4, connected: 4, failed: 0, rung: 4, setUp: 4, failedAt: {} });
      // A server on this host: every call's media went to loopback.
      expect(report.calls.byMediaAddress).toEqual({ '127.0.0.1': 4 });
      expect(report.calls.video).toMatchObject({ requested: 2, connected: 2 });
      expect(report.calls.voice).toMatchObject({ requested: 2, connected: 2 });
      expect(report.setup.p50Ms).toBeGreaterThan(0);
      expect(report.setup.p99Ms).toBeGreaterThanOrEqual(report.setup.p50Ms);
      expect(report.setup.count).toBe(4);
      for (const phase of ['ring', 'ringToAccepted', 'acceptedToMedia']) expect(report.setup[phase].count).toBe(4);
      for (const kind of ['video', 'voice']) expect(report.setup[kind].count).toBe(2);
      // Loss from the bots' RTP counters, each way: packets flowed, and (nearly) all arrived.
      expect(report.loss.window).toBe('steady');
      expect(report.loss.sent).toBeGreaterThan(0);
      expect(report.loss.expected).toBeGreaterThan(0);
      expect(report.loss.ratio).toBeLessThan(0.01);
      for (const kind of ['video', 'voice']) {
        for (const way of ['callerToCallee', 'calleeToCaller']) {
          expect(report.loss[kind][way].expected, `${kind} ${way}`).toBeGreaterThan(0);
          expect(report.loss[kind][way].ratio, `${kind} ${way}`).toBeLessThan(0.01);
        }
      }
      expect(report.media).toMatchObject({ rate: 0.5, reduced: true });
      expect(report.provisioning).toMatchObject({ people: 8, imported: 8 });
      expect(report.server.cpuPct).toBeGreaterThan(0);
      expect(report.server.rssMB).toBeGreaterThan(0);
      expect(report.loadGenerator.cpuPct).toBeGreaterThan(0);
      expect(markdown).toContain('call set-up p50 / p99');
      expect(markdown).toContain('by the media address that carried them | 127.0.0.1 4 |');
      expect(markdown).toContain('Media rate: 0.5');
      expect(fs.readFileSync(path.join(dir, 'calls-chat.svg'), 'utf8')).toMatch(/^<svg/);
    });
  }, 180_000);
});
