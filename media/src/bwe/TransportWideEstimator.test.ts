/**
 * The send-side estimator against a simulated bottleneck: packets go through
 * a FIFO queue drained at the link's capacity (dropping on overflow), the
 * receiver reports their arrival times every 50 ms as real transport-wide
 * feedback (written, then parsed), and the sender sends at the estimate, as
 * the SFU's layer choice follows it. Simulated time: no timers, no timing
 * asserts.
 */
import { describe, expect, it } from 'vitest';
import { TransportFeedback, parseTransportFeedback } from '../rtp/transportFeedback.ts';
import { writeTransportFeedback } from '../testing/transportFeedbackWriter.ts';
import { DelayTrend } from './DelayTrend.ts';
import { SendHistory } from './SendHistory.ts';
import { TransportWideEstimator } from './TransportWideEstimator.ts';

const PACKET_BYTES = 1200;
const FEEDBACK_MS = 50;
const PROPAGATION_MS = 20;
/** The receiver's clock is not the sender's. */
const RECEIVER_OFFSET_US = 7_777_000_000;

interface Link {
  /** bit/s at time t (ms). */
  capacity: (t: number) => number;
  /** The queue holds this many ms of data at most (at the current capacity); more is dropped. */
  queueMs: number;
  /** Random loss besides the queue's. */
  loss?: number;
}

/** Runs `durationMs` of sending at the estimate through `link`; returns the estimates seen, by time. */
function simulate(estimator: TransportWideEstimator, link: Link, from: number, durationMs: number, startRate: number, state: { queueFreeAt: number }) {
  const samples: { t: number; estimate: number; acked: number | null }[] = [];
  const pending: { sequence: number; arrival: number | null }[] = [];
  const fb = new TransportFeedback();
  let nextSend = from;
  let nextFeedback = from + FEEDBACK_MS;
  let feedbackCount = 0;
  const end = from + durationMs;
  let random = 12345;
  const rand = () => ((random = (random * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  while (nextSend < end || nextFeedback < end) {
    if (nextSend <= nextFeedback) {
      const t = nextSend;
      const sequence = estimator.history.nextSequence;
      estimator.history.sent(PACKET_BYTES, t);
      const capacity = link.capacity(t);
      const serviceMs = (PACKET_BYTES * 8 * 1000) / capacity;
      const backlogMs = Math.max(0, state.queueFreeAt - t);
      let arrival: number | null = null;
      if (backlogMs + serviceMs <= link.queueMs && !(link.loss && rand() < link.loss)) {
        state.queueFreeAt = Math.max(t, state.queueFreeAt) + serviceMs;
        arrival = state.queueFreeAt + PROPAGATION_MS;
      }
      pending.push({ sequence, arrival });
      const rate = Math.min(estimator.estimate ?? startRate, 5_000_000);
      nextSend = t + (PACKET_BYTES * 8 * 1000) / rate;
    } else {
      const t = nextFeedback;
      nextFeedback += FEEDBACK_MS;
      // Report what has arrived by now, and the losses before it.
      let n = 0;
      let lastArrived = -1;
      for (let i = 0; i < pending.length; i++) {
        const a = pending[i]!.arrival;
        if (a !== null && a <= t) lastArrived = i;
        if (a !== null && a > t) break;
      }
      n = lastArrived + 1;
      if (n === 0) continue;
      const reported = pending.splice(0, n);
      const buf = writeTransportFeedback({
        baseSequence: reported[0]!.sequence,
        feedbackCount: feedbackCount++,
        arrivalsUs: reported.map((p) => (p.arrival === null ? null : RECEIVER_OFFSET_US + Math.round(p.arrival * 1000))),
      });
      expect(parseTransportFeedback(buf, 0, buf.length, fb)).toBe(true);
      estimator.onFeedback(fb, t + PROPAGATION_MS);
      if (estimator.estimate !== null) samples.push({ t, estimate: estimator.estimate, acked: estimator.ackedBitrate });
    }
  }
  return samples;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('TransportWideEstimator', () => {
  it('settles below a 500 kbps bottleneck when sending starts at 1.5 Mbps, and climbs when the link opens to 3 Mbps', () => {
    const estimator = new TransportWideEstimator();
    const state = { queueFreeAt: 0 };
    let capacity = 500_000;
    const link: Link = { capacity: () => capacity, queueMs: 400 };
    const congested = simulate(estimator, link, 0, 30_000, 1_500_000, state);
    const late = congested.filter((s) => s.t > 15_000).map((s) => s.estimate);
    console.log(`[twcc sim] 500 kbps link: estimate mean ${(mean(late) / 1000).toFixed(0)} kbps, range ${(Math.min(...late) / 1000).toFixed(0)}–${(Math.max(...late) / 1000).toFixed(0)} kbps`);
    expect(mean(late)).toBeLessThan(500_000);
    expect(mean(late)).toBeGreaterThan(250_000);
    expect(Math.max(...late)).toBeLessThan(650_000);

    capacity = 3_000_000;
    const open = simulate(estimator, link, 30_000, 40_000, 1_500_000, state);
    const final = open.filter((s) => s.t > 60_000).map((s) => s.estimate);
    console.log(`[twcc sim] after opening to 3 Mbps: estimate mean ${(mean(final) / 1000).toFixed(0)} kbps over the last 10 s`);
    expect(mean(final)).toBeGreaterThan(1_500_000);
    expect(mean(final)).toBeLessThan(3_300_000);
  });

  it('holds near a 2 Mbps link for a sender starting low (no false overuse on an idle path)', () => {
    const estimator = new TransportWideEstimator();
    const samples = simulate(estimator, { capacity: () => 2_000_000, queueMs: 300 }, 0, 40_000, 300_000, { queueFreeAt: 0 });
    const late = samples.filter((s) => s.t > 30_000).map((s) => s.estimate);
    console.log(`[twcc sim] 2 Mbps link from 300 kbps: estimate mean ${(mean(late) / 1000).toFixed(0)} kbps over the last 10 s`);
    expect(mean(late)).toBeGreaterThan(1_200_000);
    expect(mean(late)).toBeLessThan(2_200_000);
  });

  it('cuts the estimate on heavy random loss without queueing, and says it is congested', () => {
    const estimator = new TransportWideEstimator();
    const state = { queueFreeAt: 0 };
    const clean = simulate(estimator, { capacity: () => 50_000_000, queueMs: 1000 }, 0, 5_000, 800_000, state);
    const before = clean[clean.length - 1]!.estimate;
    let sawCongestion = false;
    const lossy = new TransportWideEstimator();
    // Same start, then 25% loss: the loss cap takes over.
    simulate(lossy, { capacity: () => 50_000_000, queueMs: 1000 }, 0, 5_000, 800_000, { queueFreeAt: 0 });
    const samples = simulate(lossy, { capacity: () => 50_000_000, queueMs: 1000, loss: 0.25 }, 5_000, 5_000, 800_000, { queueFreeAt: 0 });
    for (const s of samples) if (s.estimate < before * 0.8) sawCongestion = true;
    expect(sawCongestion).toBe(true);
    expect(lossy.lossFraction).toBeGreaterThan(0.1);
    expect(samples[samples.length - 1]!.estimate).toBeLessThan(before / 2);
  });
});

describe('DelayTrend', () => {
  it('reads a steadily growing queue as overuse, a draining one as underuse, a flat one as normal', () => {
    const flat = new DelayTrend();
    for (let i = 0; i < 100; i++) flat.update(20 + (i % 2 ? 1 : -1), 20, i * 20);
    expect(flat.usage).toBe('normal');
    const growing = new DelayTrend();
    for (let i = 0; i < 100; i++) growing.update(24, 20, i * 24);
    expect(growing.usage).toBe('overusing');
    const draining = new DelayTrend();
    for (let i = 0; i < 100; i++) draining.update(16, 20, i * 16);
    expect(draining.usage).toBe('underusing');
  });
});

describe('SendHistory', () => {
  it('finds packets by 16-bit sequence across the wrap, once, and grows rather than forget unreported recent ones', () => {
    const history = new SendHistory(65_530);
    for (let i = 0; i < 10; i++) history.sent(100 + i, i);
    expect(history.report(65_535, true)).toBe(true);
    expect(history.bytes).toBe(105);
    expect(history.report(65_535, true)).toBe(false); // reported before
    expect(history.report(2, false)).toBe(true); // lost …
    expect(history.report(2, true)).toBe(true); // … arrived late after all
    expect(history.report(3, true)).toBe(true);
    expect(history.sentAt).toBe(9);
    expect(history.report(4, true)).toBe(false); // not sent yet
    // 5000 packets within a second, none reported: the ring grows to keep them.
    const busy = new SendHistory(0);
    for (let i = 0; i < 5000; i++) busy.sent(1000, i / 5);
    expect(busy.size).toBeGreaterThanOrEqual(8192);
    expect(busy.report(10, true)).toBe(true);
    expect(busy.sentAt).toBe(2);
  });
});
