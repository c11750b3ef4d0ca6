import { useRef, useState } from 'preact/hooks';
import { letterAt } from './azRail.ts';

/**
 * The A–Z index rail down the list's right edge, as in WeChat: tap a letter,
 * or press and slide along the rail, and the list follows; the letter shows
 * big in the middle while the finger is down. Pointer events, so it works by
 * touch (the rail takes the gesture: `touch-action: none`), pen and mouse.
 */
export function AzRail({ letters, present, onLetter }: { letters: readonly string[]; present: ReadonlySet<string>; onLetter: (letter: string) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState<string | null>(null);
  const last = useRef<string | null>(null);
  const down = useRef(false);

  const pick = (clientY: number) => {
    const rail = ref.current;
    if (!rail) return;
    const rect = rail.getBoundingClientRect();
    const letter = letterAt(clientY, rect.top, rect.height, letters);
    if (!letter || letter === last.current) return;
    last.current = letter;
    setActive(letter);
    onLetter(letter);
  };
  const end = () => {
    down.current = false;
    last.current = null;
    setActive(null);
  };

  return (
    <div
      ref={ref}
      class="az-rail"
      role="navigation"
      aria-label="Index by letter"
      data-testid="az-rail"
      onPointerDown={(e) => {
        e.preventDefault();
        down.current = true;
        try {
          ref.current?.setPointerCapture(e.pointerId);
        } catch {
          // A synthetic pointer has nothing to capture.
        }
        pick(e.clientY);
      }}
      onPointerMove={(e) => {
        if (down.current) pick(e.clientY);
      }}
      onPointerUp={end}
      onPointerCancel={end}
      onLostPointerCapture={end}
    >
      {letters.map((letter) => (
        <span key={letter} class={`az-letter${present.has(letter) ? ' has' : ''}${active === letter ? ' on' : ''}`} data-letter={letter} aria-hidden="true">
          {letter}
        </span>
      ))}
      {active && (
        <div class="az-bubble" data-testid="az-bubble" aria-live="polite">
          {active}
        </div>
      )}
    </div>
  );
}
