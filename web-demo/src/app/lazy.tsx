import type { ComponentType, FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A component whose code is its own chunk, loaded on first use (the board:
 * fabric.js, milsymbol and Yjs stay out of the meeting's bundle). Renders
 * nothing until the chunk is in.
 */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let loaded: ComponentType<P> | null = null;
  return function Lazy(props: P) {
    const [Component, setComponent] = useState<ComponentType<P> | null>(() => loaded);
    useEffect(() => {
      if (Component) return;
      let current = true;
      void load().then((component) => {
        loaded = component;
        if (current) setComponent(() => component);
      });
      return () => {
        current = false;
      };
    }, []);
    return Component ? <Component {...props} /> : null;
  };
}
