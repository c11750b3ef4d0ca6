/**
 * Ring tones made with WebAudio (no audio files): the incoming ring (two
 * tones, twice, then a pause) and the caller's ringback (one long tone, then
 * a pause). A browser that blocks audio before any click stays silent; the
 * incoming screen shows anyway.
 */
export type Tone = 'ring' | 'ringback';

let ctx: AudioContext | null = null;

export function playTone(tone: Tone): () => void {
  const AudioCtx = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
  if (!AudioCtx) return () => undefined;
  ctx ??= new AudioCtx();
  const audio = ctx;
  void audio.resume().catch(() => undefined);
  const gain = audio.createGain();
  gain.gain.value = 0;
  gain.connect(audio.destination);
  const oscillators = (tone === 'ring' ? [440, 480] : [425]).map((frequency) => {
    const o = audio.createOscillator();
    o.frequency.value = frequency;
    o.connect(gain);
    o.start();
    return o;
  });
  // One cadence, scheduled ahead and renewed: ring 0.4 on, 0.2 off, 0.4 on, 2 off; ringback 1 on, 4 off.
  const pattern = tone === 'ring' ? [[0, 0.4], [0.6, 1.0]] : [[0, 1.0]];
  const period = tone === 'ring' ? 3 : 5;
  const level = tone === 'ring' ? 0.12 : 0.08;
  let next = audio.currentTime + 0.05;
  const schedule = () => {
    while (next < audio.currentTime + period * 2) {
      for (const [on, off] of pattern) {
        gain.gain.setValueAtTime(level, next + on!);
        gain.gain.setValueAtTime(0, next + off!);
      }
      next += period;
    }
  };
  schedule();
  const timer = setInterval(schedule, 1_000);
  return () => {
    clearInterval(timer);
    gain.gain.cancelScheduledValues(0);
    gain.gain.value = 0;
    for (const o of oscillators) {
      try {
        o.stop();
      } catch {
        // already stopped
      }
      o.disconnect();
    }
    gain.disconnect();
  };
}
