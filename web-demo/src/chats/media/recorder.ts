import type { RecordedVoice } from './media.ts';
import { levelsToWaveform, pickRecorderMime, voiceFileName, VOICE_LIMIT_MS } from './viewModel.ts';

/**
 * One voice recording: the microphone through MediaRecorder (Opus in WebM,
 * else Opus in Ogg, else AAC in MP4 for Safari), its loudness sampled ten
 * times a second for the waveform. `finish` gives the recording; `cancel`
 * drops it. The microphone is released either way.
 */
export class VoiceRecording {
  readonly mime: string;
  readonly startedAt: number;
  readonly #stream: MediaStream;
  readonly #recorder: MediaRecorder;
  readonly #chunks: Blob[] = [];
  readonly #levels: number[] = [];
  #ctx: AudioContext | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped: Promise<void>;
  #endedAt: number | null = null;

  private constructor(stream: MediaStream, mime: string) {
    this.#stream = stream;
    this.mime = mime;
    this.#recorder = new MediaRecorder(stream, { mimeType: mime, audioBitsPerSecond: 32_000 });
    this.#recorder.addEventListener('dataavailable', (e) => {
      if (e.data.size > 0) this.#chunks.push(e.data);
    });
    this.#stopped = new Promise((resolve) => this.#recorder.addEventListener('stop', () => resolve(), { once: true }));
    this.#recorder.start(250);
    this.startedAt = performance.now();
    this.#sampleLevels();
  }

  /** Whether this browser can record voice messages. */
  static supported(): boolean {
    return typeof MediaRecorder !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && pickRecorderMime((m) => MediaRecorder.isTypeSupported(m)) !== null;
  }

  /** Asks for the microphone and starts recording. */
  static async start(): Promise<VoiceRecording> {
    const mime = pickRecorderMime((m) => MediaRecorder.isTypeSupported(m));
    if (!mime) throw new Error('This browser cannot record voice messages');
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    return new VoiceRecording(stream, mime);
  }

  /** Milliseconds recorded so far (at most the limit). */
  elapsed(): number {
    return Math.min(VOICE_LIMIT_MS, (this.#endedAt ?? performance.now()) - this.startedAt);
  }

  /** Stops and gives the recording. */
  async finish(): Promise<RecordedVoice> {
    const durationMs = this.elapsed();
    await this.#stop();
    const blob = new Blob(this.#chunks, { type: this.mime.split(';')[0] });
    return { blob, mime: this.mime, name: voiceFileName(this.mime, Date.now()), durationMs, waveform: levelsToWaveform(this.#levels, 48) };
  }

  /** Stops and drops it. */
  cancel(): void {
    void this.#stop();
  }

  async #stop(): Promise<void> {
    if (this.#endedAt === null) {
      this.#endedAt = performance.now();
      clearInterval(this.#timer);
      if (this.#recorder.state !== 'inactive') this.#recorder.stop();
      for (const t of this.#stream.getTracks()) t.stop();
      void this.#ctx?.close().catch(() => undefined);
    }
    // The last piece comes with the `stop` event (state is 'inactive' already): wait for it, a moment at most.
    await Promise.race([this.#stopped, new Promise((r) => setTimeout(r, 2_000))]);
  }

  #sampleLevels(): void {
    try {
      const ctx = (this.#ctx = new AudioContext());
      const source = ctx.createMediaStreamSource(this.#stream);
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      const data = new Uint8Array(analyser.fftSize);
      this.#timer = setInterval(() => {
        analyser.getByteTimeDomainData(data);
        let sum = 0;
        for (const v of data) sum += ((v - 128) / 128) ** 2;
        this.#levels.push(Math.min(1, Math.sqrt(sum / data.length) * 4));
      }, 100);
    } catch {
      // No Web Audio: a flat waveform (the server computes the real one).
    }
  }
}
