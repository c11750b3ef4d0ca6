import type { BoardClient, BoardObject } from '@muster/whiteboard/client';
import type { Ref } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { BoardView } from './BoardView.ts';

/**
 * The fabric wrapper: a host element Preact renders (and leaves empty), with
 * the imperative BoardView (fabric.js canvas ↔ Yjs document) mounted inside
 * it for as long as the component lives. The view is handed out through
 * `onView` (and null again before it is destroyed) for toolbars to drive.
 */
export function BoardCanvas(props: {
  class: string;
  testId?: string;
  client: BoardClient;
  page: string;
  /** Annotation layer: transparent, no zoom or pan; the viewport is set from outside. */
  overlay?: boolean;
  onSelect?(objects: BoardObject[]): void;
  onView(view: BoardView | null): void;
  /** The host element, for a parent that positions it (the annotation layer over a video). */
  hostRef?: Ref<HTMLDivElement>;
}) {
  const host = useRef<HTMLDivElement | null>(null);
  // The latest callbacks, without re-creating the canvas when a parent re-renders.
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const view = new BoardView(host.current!, {
      client: props.client,
      page: props.page,
      overlay: props.overlay,
      onSelect: (objects) => latest.current.onSelect?.(objects),
    });
    latest.current.onView(view);
    return () => {
      latest.current.onView(null);
      view.destroy();
    };
  }, [props.client]);

  return (
    <div
      class={props.class}
      data-testid={props.testId}
      ref={(el) => {
        host.current = el;
        const ref = props.hostRef;
        if (typeof ref === 'function') ref(el);
        else if (ref) ref.current = el;
      }}
    />
  );
}
