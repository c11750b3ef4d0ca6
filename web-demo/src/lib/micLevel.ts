import { signal } from '@preact/signals';

/**
 * A live microphone input level (0…1), so people can see their microphone
 * works before they join (the most common "can you hear me?" question,
 * answered up front). Audio analysis only; ui/MicMeter.tsx draws it.
 */
export class MicLevel {
  readonly level = signal(0);
  #ctx?: AudioContext;
  #source?: MediaStreamAudioSourceNode;
  #analyser?: AnalyserNode;
  #frame = 0;

  attach(track: MediaStreamTrack | null): void {
    this.#disconnect();
    if (!track || typeof AudioContext === 'undefined') return this.#show(0);
    try {
      this.#ctx ??= new AudioContext();
      // Created before any click, the context starts suspended; a later tap resumes it.
      void this.#ctx.resume().catch(() => undefined);
      this.#source = this.#ctx.createMediaStreamSource(new MediaStream([track]));
      this.#analyser = this.#ctx.createAnalyser();
      this.#analyser.fftSize = 512;
      this.#source.connect(this.#analyser);
    } catch {
      return this.#show(0);
    }
    const data = new Uint8Array(this.#analyser.fftSize);
    const tick = () => {
      if (!this.#analyser) return;
      this.#analyser.getByteTimeDomainData(data);
      let sum = 0;
      for (const v of data) sum += ((v - 128) / 128) ** 2;
      const rms = Math.sqrt(sum / data.length);
      this.#show(track.enabled ? Math.min(1, rms * 4) : 0);
      this.#frame = requestAnimationFrame(tick);
    };
    tick();
  }

  resume(): void {
    void this.#ctx?.resume().catch(() => undefined);
  }

  #show(level: number): void {
    this.level.value = level;
  }

  #disconnect(): void {
    cancelAnimationFrame(this.#frame);
    this.#source?.disconnect();
    this.#analyser?.disconnect();
    this.#source = undefined;
    this.#analyser = undefined;
  }

  close(): void {
    this.#disconnect();
    void this.#ctx?.close().catch(() => undefined);
    this.#ctx = undefined;
  }
}
