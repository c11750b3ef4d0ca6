import type { Signal } from '@preact/signals';

const BARS = 5;

/** Five bars lit by the input level; only this re-renders on each animation frame. */
export function MicMeter({ level }: { level: Signal<number> }) {
  const lit = Math.round(level.value * BARS);
  return (
    <div class="mic-meter" aria-hidden="true">
      {Array.from({ length: BARS }, (_, i) => (
        <span key={i} class={i < lit ? 'lit' : undefined} />
      ))}
    </div>
  );
}
