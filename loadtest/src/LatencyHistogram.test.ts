import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './LatencyHistogram.ts';
import { readProbe, writeProbe } from './payload.ts';
import { planScenario } from './scenarios.ts';

describe('LatencyHistogram', () => {
  it('gives percentiles within its 2 % bucket width', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 … 100 ms
    expect(h.percentile(0.5)!).toBeGreaterThan(49);
    expect(h.percentile(0.5)!).toBeLessThan(51.1);
    expect(h.percentile(0.99)!).toBeGreaterThan(98);
    expect(h.percentile(0.99)!).toBeLessThanOrEqual(100);
    expect(h.percentile(1)).toBe(100);
  });

  it('merges across processes through JSON', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 100; i++) a.record(1);
    for (let i = 0; i < 100; i++) b.record(10);
    const merged = LatencyHistogram.from(JSON.parse(JSON.stringify(a)));
    merged.merge(LatencyHistogram.from(JSON.parse(JSON.stringify(b))));
    expect(merged.count).toBe(200);
    expect(merged.percentile(0.25)!).toBeCloseTo(1, 1);
    expect(merged.percentile(0.75)!).toBeCloseTo(10, 0);
    expect(new LatencyHistogram().percentile(0.5)).toBeNull();
  });
});

describe('probe', () => {
  it('round-trips sequence and send time at the end of a payload', () => {
    const payload = Buffer.alloc(100, 7);
    writeProbe(payload, 'video', 123456, 1764000000123.456);
    expect(readProbe(payload)).toEqual({ kind: 'video', seq: 123456, sentAtMs: 1764000000123.456 });
    writeProbe(payload, 'audio', 7, 1);
    expect(readProbe(payload)?.kind).toBe('audio');
    // A probe at the end of a region of a larger buffer (the packet path hands out views).
    const packet = Buffer.concat([Buffer.alloc(12), payload, Buffer.alloc(10)]);
    expect(readProbe(packet, 12, 12 + payload.length)).toEqual({ kind: 'audio', seq: 7, sentAtMs: 1 });
    expect(payload[0]).toBe(7);
    expect(readProbe(Buffer.alloc(100))).toBeNull();
    expect(readProbe(Buffer.alloc(4))).toBeNull();
  });
});

describe('scenarios', () => {
  it('plans 1:1 video and voice calls interleaved', () => {
    const plan = planScenario({ scenario: 'calls', videoCalls: 2, voiceCalls: 4, rooms: 1, roomSize: 1, runId: 'x' });
    expect(plan.bots).toHaveLength(12);
    expect(plan.calls.size).toBe(6);
    expect([...plan.calls.values()].filter((c) => c.kind === 'video')).toHaveLength(2);
    expect(plan.bots.filter((b) => b.video)).toHaveLength(4);
    // Interleaved: the first three calls are not all of one kind.
    expect(new Set([...plan.calls.values()].slice(0, 3).map((c) => c.kind)).size).toBe(2);
  });

  it('plans meetings and webinars', () => {
    const meeting = planScenario({ scenario: 'meeting', videoCalls: 0, voiceCalls: 0, rooms: 2, roomSize: 3, runId: 'm' });
    expect(meeting.bots).toHaveLength(6);
    expect(meeting.bots.every((b) => b.audio && b.video)).toBe(true);
    const webinar = planScenario({ scenario: 'webinar', videoCalls: 0, voiceCalls: 0, rooms: 1, roomSize: 5, runId: 'w' });
    expect(webinar.bots.filter((b) => b.video)).toHaveLength(1);
    expect(webinar.bots).toHaveLength(6);
  });
});
