import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage } from '@muster/im/client';
import { Icon } from '../../ui/Icon.tsx';
import { downloadFile, useCachedImage } from './media.ts';
import { clampZoom, doubleTapZoom, IDENTITY, isDoubleTap, pinchZoom, swipeTarget, type Point, type Zoom } from './viewModel.ts';

function ViewerImage({ m, zoom, shift, onSize }: { m: ChatMessage; zoom: Zoom; shift: number; onSize: (el: HTMLImageElement) => void }) {
  const f = m.file!;
  const local = m.local?.previewUrl;
  const { src, error } = useCachedImage(local || !f.id ? null : f.id, 'original');
  const shown = local ?? src;
  if (f.expired) return <p class="viewer-note">This photo has expired</p>;
  if (!shown) return <p class="viewer-note">{error ? 'The photo could not be loaded' : 'Loading…'}</p>;
  return (
    <img
      class="viewer-image"
      src={shown}
      alt={f.name || 'Photo'}
      data-testid="viewer-image"
      data-loaded-from={local ? 'local' : 'original'}
      draggable={false}
      onLoad={(e) => onSize(e.currentTarget)}
      style={{ transform: `translate(${zoom.x + shift}px, ${zoom.y}px) scale(${zoom.scale})` }}
    />
  );
}

/**
 * The full-screen photo viewer: the original picture; two fingers pinch to
 * zoom, a double tap zooms in on that point (and out again), one finger pans
 * a zoomed picture or swipes to the conversation's next or previous one;
 * arrow keys and the side buttons too; Escape or × closes.
 */
export function ImageViewer({ items, startKey, onClose }: { items: readonly ChatMessage[]; startKey: string; onClose: () => void }) {
  const [index, setIndex] = useState(() => Math.max(0, items.findIndex((m) => m.key === startKey)));
  const [zoom, setZoom] = useState<Zoom>(IDENTITY);
  const [shift, setShift] = useState(0);
  const root = useRef<HTMLDivElement>(null);
  const fit = useRef({ width: 0, height: 0 });
  const pointers = useRef(new Map<number, Point>());
  const gesture = useRef<{ kind: 'pinch'; start: Zoom; from: [Point, Point] } | { kind: 'pan'; start: Zoom; from: Point; at: number } | null>(null);
  const lastTap = useRef<{ at: number; x: number; y: number } | null>(null);
  const m = items[index];

  const go = (delta: number) => {
    setIndex((i) => Math.max(0, Math.min(items.length - 1, i + delta)));
    setZoom(IDENTITY);
    setShift(0);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
      else if (e.key === 'ArrowRight') go(1);
      else if (e.key === 'ArrowLeft') go(-1);
    };
    addEventListener('keydown', onKey);
    root.current?.focus();
    return () => removeEventListener('keydown', onKey);
  }, [items.length]);

  if (!m) return null;

  const view = () => {
    const r = root.current?.getBoundingClientRect();
    return { width: r?.width ?? innerWidth, height: r?.height ?? innerHeight, left: r?.left ?? 0, top: r?.top ?? 0 };
  };
  /** A pointer's position relative to the view's centre. */
  const rel = (e: PointerEvent): Point => {
    const v = view();
    return { x: e.clientX - v.left - v.width / 2, y: e.clientY - v.top - v.height / 2 };
  };
  const clamp = (z: Zoom) => clampZoom(z, view(), fit.current);

  const onDown = (e: PointerEvent) => {
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    pointers.current.set(e.pointerId, rel(e));
    const ps = [...pointers.current.values()];
    if (ps.length === 2) gesture.current = { kind: 'pinch', start: zoom, from: [ps[0]!, ps[1]!] };
    else if (ps.length === 1) gesture.current = { kind: 'pan', start: zoom, from: ps[0]!, at: e.timeStamp };
  };
  const onMove = (e: PointerEvent) => {
    if (!pointers.current.has(e.pointerId)) return;
    pointers.current.set(e.pointerId, rel(e));
    const g = gesture.current;
    const ps = [...pointers.current.values()];
    if (g?.kind === 'pinch' && ps.length >= 2) {
      setZoom(pinchZoom(g.start, g.from, [ps[0]!, ps[1]!]));
    } else if (g?.kind === 'pan' && ps.length === 1) {
      const p = ps[0]!;
      if (g.start.scale > 1.01) setZoom(clamp({ ...g.start, x: g.start.x + p.x - g.from.x, y: g.start.y + p.y - g.from.y }));
      else setShift(p.x - g.from.x);
    }
  };
  const onUp = (e: PointerEvent) => {
    const p = pointers.current.get(e.pointerId);
    pointers.current.delete(e.pointerId);
    const g = gesture.current;
    if (g?.kind === 'pinch') {
      // One finger left: the pinch ends where it is, kept on screen.
      setZoom((z) => clamp(z));
      gesture.current = null;
      return;
    }
    gesture.current = null;
    if (!p || g?.kind !== 'pan') return;
    const dx = p.x - g.from.x;
    const moved = Math.hypot(dx, p.y - g.from.y);
    if (g.start.scale <= 1.01 && moved > 10) {
      const dt = Math.max(1, e.timeStamp - g.at);
      const target = swipeTarget(dx, view().width, index, items.length, dx / dt);
      if (target !== 0) go(target);
      else setShift(0);
      return;
    }
    if (moved <= 10) {
      const tap = { at: e.timeStamp, x: p.x, y: p.y };
      if (isDoubleTap(lastTap.current, tap)) {
        setZoom((z) => clamp(doubleTapZoom(z, p)));
        lastTap.current = null;
      } else {
        lastTap.current = tap;
      }
    }
    setShift(0);
  };

  return (
    <div class="image-viewer" role="dialog" aria-label="Photo" data-testid="image-viewer" data-index={index} data-count={items.length} data-scale={zoom.scale.toFixed(2)} tabIndex={-1} ref={root}>
      <div class="viewer-stage" onPointerDown={onDown} onPointerMove={onMove} onPointerUp={onUp} onPointerCancel={onUp}>
        <ViewerImage
          key={m.key}
          m={m}
          zoom={zoom}
          shift={shift}
          onSize={(el) => {
            fit.current = { width: el.clientWidth, height: el.clientHeight };
          }}
        />
      </div>
      <header class="viewer-bar">
        <span>
          {index + 1} / {items.length}
        </span>
        {m.file?.id && !m.file.expired && (
          <button class="icon-btn" type="button" aria-label="Download" data-testid="viewer-download" onClick={() => void downloadFile(m.file!.id, m.file!.name || 'photo')}>
            <Icon name="download" />
          </button>
        )}
        <button class="icon-btn" type="button" aria-label="Close" data-testid="viewer-close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      {index > 0 && (
        <button class="viewer-side prev" type="button" aria-label="Previous photo" data-testid="viewer-prev" onClick={() => go(-1)}>
          ‹
        </button>
      )}
      {index < items.length - 1 && (
        <button class="viewer-side next" type="button" aria-label="Next photo" data-testid="viewer-next" onClick={() => go(1)}>
          ›
        </button>
      )}
    </div>
  );
}
