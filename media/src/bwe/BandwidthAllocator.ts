/**
 * Shares one subscriber's bandwidth among the video consumers of its
 * transport, and picks each scalable consumer's layers: the ones its tile
 * and preferences ask for, within what the link takes. Runs on every REMB,
 * on every transport-wide estimate that signals congestion, on preference
 * changes and once a second (layer bitrates and the estimate move); never
 * per packet.
 */
import type { BandwidthListener, Consumer } from '../Consumer.ts';
import { layersWithin } from '../svc/LayerSelector.ts';
import { SubscriberBandwidth, type BandwidthSource } from './SubscriberBandwidth.ts';

const TICK_MS = 1000;

export class BandwidthAllocator implements BandwidthListener {
  readonly bandwidth = new SubscriberBandwidth();
  readonly #consumers: () => Iterable<Consumer>;
  #timer?: NodeJS.Timeout;
  #lastBytes = 0;
  #lastBytesAt = 0;
  #sendBitrate = 0;
  #closed = false;
  /** What each consumer was given last: only a later increase counts as an upgrade. */
  readonly #given = new WeakMap<Consumer, { spatial: number; temporal: number }>();

  constructor(consumers: () => Iterable<Consumer>) {
    this.#consumers = consumers;
  }

  get estimate(): number | null {
    return this.bandwidth.estimate;
  }

  get source(): BandwidthSource | null {
    return this.bandwidth.source;
  }

  /** A video consumer started: allocation runs from now on. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.allocate(), TICK_MS);
    this.#timer.unref();
  }

  /** A REMB (the fallback: ignored while transport-wide estimates arrive). */
  onBandwidthEstimate(bitrate: number): void {
    if (this.#closed || !Number.isFinite(bitrate) || bitrate < 0) return;
    this.#sampleSendBitrate();
    if (this.bandwidth.update(bitrate, this.#sendBitrate)) this.allocate();
  }

  /**
   * The transport-wide estimate, once per feedback packet (10–20 a second):
   * layers are chosen again at once when it signals congestion; otherwise
   * the once-a-second allocation follows it.
   */
  onTransportEstimate(bitrate: number, congested: boolean): void {
    if (this.#closed || !Number.isFinite(bitrate) || bitrate < 0) return;
    this.bandwidth.updateTransportWide(bitrate, congested);
    // (Decreases come at most every 200 ms.)
    if (congested) this.allocate();
  }

  onPreferencesChanged(): void {
    this.allocate();
  }

  #sampleSendBitrate(): void {
    const now = Date.now();
    let bytes = 0;
    for (const c of this.#consumers()) if (c.kind === 'video') bytes += c.getStats().bytesSent;
    const elapsed = now - this.#lastBytesAt;
    if (this.#lastBytesAt > 0 && elapsed >= 500) this.#sendBitrate = (Math.max(0, bytes - this.#lastBytes) * 8000) / elapsed;
    if (this.#lastBytesAt === 0 || elapsed >= 500) {
      this.#lastBytes = bytes;
      this.#lastBytesAt = now;
    }
  }

  /** Chooses every scalable consumer's layers now. */
  allocate(): void {
    if (this.#closed) return;
    this.#sampleSendBitrate();
    const cap = this.bandwidth.cap();
    const wanted: { consumer: Consumer; area: number }[] = [];
    for (const c of this.#consumers()) {
      if (c.kind !== 'video' || c.closed || c.paused || c.producerPaused || !c.scalable) continue;
      const p = c.preferences;
      wanted.push({ consumer: c, area: (p.width ?? 1e4) * (p.height ?? 1e4) });
    }
    // The largest tiles (the main screen) are served first.
    wanted.sort((a, b) => b.area - a.area);
    let budget = cap;
    let upgraded = false;
    for (const { consumer } of wanted) {
      const desired = consumer.desiredLayers();
      const layers = consumer.producerLayers;
      if (!desired || !layers) continue;
      const chosen = cap === Infinity ? { ...desired, bitrate: 0 } : layersWithin(layers, desired, Math.max(0, budget));
      budget -= chosen.bitrate || layers.cumulativeBitrate(chosen.spatial, chosen.temporal);
      const before = this.#given.get(consumer);
      if (before && (chosen.spatial > before.spatial || chosen.temporal > before.temporal)) upgraded = true;
      this.#given.set(consumer, { spatial: chosen.spatial, temporal: chosen.temporal });
      consumer.setTargetLayers(chosen.spatial, chosen.temporal);
    }
    // Before the first estimate there is nothing an upgrade could be judged against.
    if (upgraded && this.bandwidth.estimate !== null) this.bandwidth.noteUpgrade();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
  }
}
