import { runTool } from './ffmpeg.ts';
import { inputArgs } from './probe.ts';

/**
 * Audio: the exact duration and a waveform, from the decoded samples.
 *
 * Why decode rather than ask the container: a browser's MediaRecorder writes
 * WebM/Ogg without a duration (it streams, and never goes back to fill it
 * in), and the IM layer's 60 s voice-message limit needs the real length. So
 * ffmpeg decodes the first audio track to 8 kHz mono 16-bit PCM on a pipe,
 * and the duration is the sample count. The samples are never kept: each
 * 10 ms block is folded into a sum of squares as it arrives.
 */

/** Decoded sample rate: plenty for a waveform, 16 kB per second of audio through the pipe. */
export const PCM_RATE = 8000;
/** Bars in a waveform. */
export const WAVEFORM_BARS = 48;
/** The decode is killed after this long (then the container's duration, when it has one, is used). */
export const AUDIO_DECODE_TIMEOUT_MS = 120_000;

const BLOCK_SAMPLES = PCM_RATE / 100;
/** Blocks kept at most (24 hours of audio, 34 MB): the bound on a decode's memory. */
const MAX_BLOCKS = 24 * 3600 * 100;
/** Below this RMS (-60 dBFS of full scale) the waveform is flat zero rather than amplified noise. */
const SILENCE_RMS = 32768 / 1000;

export interface AudioFindings {
  durationMs: number;
  waveform: number[];
}

export async function analyzeAudio(url: string, demuxer: string): Promise<AudioFindings> {
  const pcm = new PcmMeter();
  await runTool('ffmpeg', [...inputArgs(url, demuxer), '-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(PCM_RATE), '-c:a', 'pcm_s16le', '-f', 's16le', 'pipe:1'], {
    timeoutMs: AUDIO_DECODE_TIMEOUT_MS,
    onStdout: (chunk) => pcm.add(chunk),
    secrets: [url],
  });
  return { durationMs: Math.round((pcm.samples * 1000) / PCM_RATE), waveform: pcm.waveform() };
}

/** Counts 16-bit little-endian mono samples and keeps the energy of each 10 ms block. */
export class PcmMeter {
  samples = 0;
  private blocks = new Float64Array(1024);
  private blockCount = 0;
  private current = 0;
  private inCurrent = 0;
  /** A sample's first byte when a chunk ended between its two bytes. */
  private carry: number | undefined;

  add(chunk: Buffer): void {
    let offset = 0;
    if (this.carry !== undefined && chunk.length > 0) {
      this.push(((chunk[0]! << 8) | this.carry) << 16 >> 16);
      this.carry = undefined;
      offset = 1;
    }
    for (; offset + 1 < chunk.length; offset += 2) this.push(chunk.readInt16LE(offset));
    if (offset < chunk.length) this.carry = chunk[offset];
  }

  private push(sample: number): void {
    this.samples++;
    this.current += sample * sample;
    if (++this.inCurrent === BLOCK_SAMPLES) this.closeBlock();
  }

  private closeBlock(): void {
    if (this.blockCount >= MAX_BLOCKS) throw new Error('audio is longer than 24 hours');
    if (this.blockCount === this.blocks.length) {
      const grown = new Float64Array(this.blocks.length * 2);
      grown.set(this.blocks);
      this.blocks = grown;
    }
    this.blocks[this.blockCount++] = this.current;
    this.current = 0;
    this.inCurrent = 0;
  }

  /**
   * WAVEFORM_BARS integers 0–100: each bar the RMS of its share of the
   * audio, scaled so the loudest bar is 100 (a quiet recording still shows
   * its shape); silence is all zeros.
   */
  waveform(): number[] {
    if (this.inCurrent > 0) this.closeBlock();
    const bars = new Array<number>(WAVEFORM_BARS).fill(0);
    if (this.samples === 0) return bars;
    const rms: number[] = [];
    for (let bar = 0; bar < WAVEFORM_BARS; bar++) {
      // Blocks [from, to) of this bar; a clip shorter than one block per bar reuses the block it falls in.
      const from = Math.floor((bar * this.blockCount) / WAVEFORM_BARS);
      const to = Math.max(from + 1, Math.floor(((bar + 1) * this.blockCount) / WAVEFORM_BARS));
      let energy = 0;
      let count = 0;
      for (let b = from; b < to && b < this.blockCount; b++) {
        energy += this.blocks[b]!;
        // Every block holds BLOCK_SAMPLES samples but the last, which holds the remainder.
        count += b === this.blockCount - 1 ? this.samples - b * BLOCK_SAMPLES : BLOCK_SAMPLES;
      }
      rms.push(count > 0 ? Math.sqrt(energy / count) : 0);
    }
    const loudest = Math.max(...rms);
    if (loudest < SILENCE_RMS) return bars;
    return rms.map((value) => Math.min(100, Math.max(0, Math.round((100 * value) / loudest))));
  }
}
