import type { AnchorHTMLAttributes } from 'preact';
import { navigate } from './router.ts';

/**
 * An in-app link: changes the route without reloading the page (and so
 * without dropping a call by accident). A middle click, or one with a
 * modifier key, still does what the browser does with a link.
 */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { onClick, ...rest } = props;
  return (
    <a
      {...rest}
      onClick={(event) => {
        onClick?.(event);
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(props.href);
      }}
    />
  );
}
