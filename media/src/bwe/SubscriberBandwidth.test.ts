import { describe, expect, it } from 'vitest';
import { HOLD_MIN_MS, SubscriberBandwidth } from './SubscriberBandwidth.ts';

describe('SubscriberBandwidth', () => {
  it('takes transport-wide estimates first: REMBs count only while none came lately', () => {
    const b = new SubscriberBandwidth();
    expect(b.source).toBeNull();
    expect(b.update(2_000_000, 0, 1000)).toBe(true);
    expect(b.source).toBe('remb');
    b.updateTransportWide(1_500_000, false, 2000);
    expect(b.source).toBe('twcc');
    expect(b.update(300_000, 0, 3000)).toBe(false);
    expect(b.estimate).toBe(1_500_000);
    // Feedback stopped (the subscriber renegotiated without it, say): REMB again.
    expect(b.update(300_000, 0, 10_000)).toBe(true);
    expect(b.source).toBe('remb');
  });

  it('caps at the estimate for the hold time after a transport-wide decrease, and not otherwise', () => {
    const b = new SubscriberBandwidth();
    b.updateTransportWide(1_500_000, false, 0);
    expect(b.cap(0)).toBe(Infinity);
    b.updateTransportWide(400_000, true, 1000);
    expect(b.congestedNow(1000)).toBe(true);
    expect(b.cap(1000)).toBe(400_000);
    // The estimate moves during the hold; the cap follows it.
    b.updateTransportWide(450_000, false, 3000);
    expect(b.cap(3000)).toBe(450_000);
    expect(b.cap(1000 + HOLD_MIN_MS)).toBe(Infinity);
  });

  it('doubles the hold once per failed upgrade, not per decrease within one congestion', () => {
    const b = new SubscriberBandwidth();
    b.updateTransportWide(1_000_000, true, 0);
    // More decreases in the same episode (every 200 ms while overusing).
    for (let t = 200; t < 2000; t += 200) b.updateTransportWide(800_000, true, t);
    expect(b.cap(1800 + HOLD_MIN_MS - 1)).toBe(800_000);
    expect(b.cap(1800 + HOLD_MIN_MS)).toBe(Infinity);
    // The hold ran out; an upgrade; congested again soon: twice as long now.
    b.noteUpgrade(7000);
    b.updateTransportWide(700_000, true, 8000);
    expect(b.cap(8000 + 2 * HOLD_MIN_MS - 1)).toBe(700_000);
    expect(b.cap(8000 + 2 * HOLD_MIN_MS)).toBe(Infinity);
  });
});
