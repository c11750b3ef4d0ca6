import { Link } from '../app/Link.tsx';
import { currentRoute } from '../app/router.ts';
import { Icon } from './Icon.tsx';

/**
 * A page's back arrow: back where one came from when that was in this app
 * (arrived by a link or the history, not a fresh load), else to `href`.
 * A plain click only; a modified one opens `href` as a link does.
 */
export function BackLink({ href, class: className = 'icon-btn', testId }: { href: string; class?: string; testId: string }) {
  return (
    <Link
      class={className}
      href={href}
      title="Back"
      aria-label="Back"
      data-testid={testId}
      onClick={(e) => {
        if (currentRoute.peek().visit > 0 && e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey) {
          e.preventDefault();
          history.back();
        }
      }}
    >
      <Icon name="chevronLeft" />
    </Link>
  );
}
