import { Link } from '../app/Link.tsx';

/** The wordmark: a CSS-drawn mark, so no image request is needed. */
export function Brand({ compact = false }: { compact?: boolean }) {
  return (
    <Link class={`brand${compact ? ' brand-compact' : ''}`} href="/" aria-label="Muster home">
      <span class="brand-mark" aria-hidden="true">
        <span />
        <span />
        <span />
      </span>
      {!compact && <span class="brand-name">Muster</span>}
    </Link>
  );
}
