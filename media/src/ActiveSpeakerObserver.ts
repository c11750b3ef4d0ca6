import { EnhancedEventEmitter } from './EnhancedEventEmitter.ts';
import type { AudioLevelSink, Producer } from './Producer.ts';

export interface ActiveSpeakerOptions {
  /** How often the dominant speaker is re-evaluated. */
  intervalMs?: number;
  /** Levels quieter than this (dBov, 0 loudest … 127 silence) count as silence. */
  silenceDbov?: number;
  /** A challenger must lead for this many consecutive intervals to take over. */
  switchAfterIntervals?: number;
}

interface Speaker {
  producer: Producer;
  /** Sum of loudness (127 - dBov) over voiced packets in the current interval. */
  energy: number;
  /** Smoothed energy across intervals. */
  score: number;
}

export type ActiveSpeakerEvents = {
  dominantspeaker: [producerId: string | null];
};

/**
 * Picks the dominant speaker from the ssrc-audio-level header extension.
 * Smoothing plus a hold-off stops the main screen from flapping on a cough.
 */
export class ActiveSpeakerObserver extends EnhancedEventEmitter<ActiveSpeakerEvents> implements AudioLevelSink {
  readonly #speakers = new Map<string, Speaker>();
  readonly #silenceDbov: number;
  readonly #switchAfter: number;
  readonly #timer: NodeJS.Timeout;
  #dominant: string | null = null;
  #challenger: string | null = null;
  #challengerIntervals = 0;
  #closed = false;

  constructor(options: ActiveSpeakerOptions = {}) {
    super();
    this.#silenceDbov = options.silenceDbov ?? 70;
    this.#switchAfter = options.switchAfterIntervals ?? 2;
    this.#timer = setInterval(() => this.evaluate(), options.intervalMs ?? 300);
    this.#timer.unref();
  }

  get dominantSpeaker(): string | null {
    return this.#dominant;
  }

  addProducer(producer: Producer): void {
    if (this.#closed || producer.kind !== 'audio' || this.#speakers.has(producer.id)) return;
    this.#speakers.set(producer.id, { producer, energy: 0, score: 0 });
    producer.setAudioLevelSink(this);
    producer.on('close', () => this.removeProducer(producer.id));
  }

  removeProducer(producerId: string): void {
    const speaker = this.#speakers.get(producerId);
    if (!speaker) return;
    speaker.producer.setAudioLevelSink(undefined);
    this.#speakers.delete(producerId);
    if (this.#dominant === producerId) {
      this.#dominant = null;
      this.safeEmit('dominantspeaker', null);
    }
  }

  onAudioLevel(producer: Producer, dBov: number): void {
    if (dBov >= this.#silenceDbov) return;
    const speaker = this.#speakers.get(producer.id);
    if (speaker) speaker.energy += 127 - dBov;
  }

  /** One evaluation round; public so tests can drive it without timers. */
  evaluate(): void {
    let best: Speaker | undefined;
    for (const speaker of this.#speakers.values()) {
      speaker.score = speaker.score * 0.5 + speaker.energy;
      speaker.energy = 0;
      if (speaker.producer.paused) speaker.score = 0;
      if (speaker.score > 0 && (!best || speaker.score > best.score)) best = speaker;
    }
    const leader = best?.producer.id ?? null;
    if (leader === null || leader === this.#dominant) {
      this.#challenger = null;
      this.#challengerIntervals = 0;
      return;
    }
    if (leader === this.#challenger) this.#challengerIntervals++;
    else {
      this.#challenger = leader;
      this.#challengerIntervals = 1;
    }
    // The first speaker in a silent room takes over at once.
    if (this.#dominant === null || this.#challengerIntervals >= this.#switchAfter) {
      this.#dominant = leader;
      this.#challenger = null;
      this.#challengerIntervals = 0;
      this.safeEmit('dominantspeaker', leader);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const speaker of this.#speakers.values()) speaker.producer.setAudioLevelSink(undefined);
    this.#speakers.clear();
    this.removeAllListeners();
  }
}
