import type { ComponentChildren, Ref } from 'preact';
import { useImperativeHandle, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { offsetsOf, rowAt, visibleRange } from './windowing.ts';

export interface VirtualListHandle {
  /** Brings a row into view (its top a little below the list's top). */
  scrollToIndex(index: number): void;
  scrollToBottom(): void;
  atBottom(): boolean;
}

interface Props<T> {
  items: readonly T[];
  keyOf: (item: T) => string;
  render: (item: T) => ComponentChildren;
  /** A row's height before it is measured. */
  estimate?: number;
  /** Scrolled near the top: time to load older rows (they are added above without the view jumping). */
  onNearTop?: () => void;
  /** Whether the view rests at the bottom (new rows keep it there). */
  onBottomChange?: (atBottom: boolean) => void;
  handle?: Ref<VirtualListHandle>;
  /** Rows that may hold the view in place (not a day separator, which moves as older rows of its day arrive). */
  anchorable?: (key: string) => boolean;
  /** A chat's history starts at the bottom and stays there (default); a list starts at the top and shows what comes first. */
  fromBottom?: boolean;
  class?: string;
  testId?: string;
}

const OVERSCAN = 800;
const BOTTOM_SLACK = 48;

/**
 * A scrolling list that draws only the rows near the viewport, for
 * histories of any length: rows are measured as they are drawn, older rows
 * added above keep what is on screen in place, and a view resting at the
 * bottom stays there as rows arrive (a chat's behaviour).
 */
export function VirtualList<T>({ items, keyOf, render, estimate = 64, onNearTop, onBottomChange, handle, anchorable, fromBottom = true, class: className, testId }: Props<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [version, setVersion] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(800);
  const stick = useRef(fromBottom);
  /** The first row on screen, and how far its top is from the view's top. */
  const anchor = useRef<{ key: string; delta: number } | null>(null);

  const keys = useMemo(() => items.map(keyOf), [items, keyOf]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const offsets = useMemo(() => offsetsOf(keys, heights.current, estimate), [keys, version, estimate]);
  const { start, end } = visibleRange(offsets, scrollTop, viewport, OVERSCAN);

  const remember = (el: HTMLDivElement) => {
    // A list resting at its top shows what comes first, new rows included.
    if (!fromBottom && el.scrollTop <= 0) {
      anchor.current = null;
      return;
    }
    let i = rowAt(offsets, el.scrollTop);
    if (anchorable) while (i < keys.length - 1 && !anchorable(keys[i]!)) i++;
    anchor.current = keys.length ? { key: keys[i]!, delta: offsets[i]! - el.scrollTop } : null;
  };

  useImperativeHandle(handle ?? null, () => ({
    scrollToIndex(index: number) {
      const el = ref.current;
      if (!el || index < 0) return;
      if (stick.current) onBottomChange?.(false);
      stick.current = false;
      el.scrollTop = Math.max(0, (offsets[index] ?? 0) - 48);
      remember(el);
      setScrollTop(el.scrollTop);
    },
    scrollToBottom() {
      const el = ref.current;
      if (!el) return;
      stick.current = true;
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
      onBottomChange?.(true);
    },
    atBottom: () => stick.current,
  }));

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      setViewport(el.clientHeight);
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    setViewport(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  // After each render: keep the view where it was (or at the bottom), then measure what was drawn.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (stick.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current && (fromBottom || el.scrollTop > 0)) {
      const i = keys.indexOf(anchor.current.key);
      if (i >= 0) {
        const want = offsets[i]! - anchor.current.delta;
        if (Math.abs(el.scrollTop - want) > 1) el.scrollTop = want;
      }
    }
    if (!stick.current) remember(el);
    let changed = false;
    for (const row of el.querySelectorAll<HTMLElement>(':scope > .vlist-inner > [data-vkey]')) {
      const key = row.dataset.vkey!;
      const h = row.offsetHeight;
      if (h > 0 && heights.current.get(key) !== h) {
        heights.current.set(key, h);
        changed = true;
      }
    }
    if (changed) setVersion((v) => v + 1);
    else if (el.scrollTop !== scrollTop) setScrollTop(el.scrollTop);
  });

  const onScroll = () => {
    const el = ref.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK;
    if (fromBottom && atBottom !== stick.current) {
      stick.current = atBottom;
      onBottomChange?.(atBottom);
    }
    remember(el);
    setScrollTop(el.scrollTop);
    if (el.scrollTop < 400) onNearTop?.();
  };

  return (
    <div class={`vlist ${className ?? ''}`} ref={ref} onScroll={onScroll} data-testid={testId}>
      <div class="vlist-inner">
        <div class="vlist-spacer" style={{ height: `${offsets[start] ?? 0}px` }} />
        {items.slice(start, end).map((item, j) => (
          <div key={keys[start + j]} data-vkey={keys[start + j]}>
            {render(item)}
          </div>
        ))}
        <div class="vlist-spacer" style={{ height: `${(offsets[keys.length] ?? 0) - (offsets[end] ?? 0)}px` }} />
      </div>
    </div>
  );
}
