import { h } from '../lib/dom.ts';

/** The wordmark: a CSS-drawn mark, so no image request is needed. */
export function brand(compact = false): HTMLAnchorElement {
  return h(
    'a',
    { class: `brand${compact ? ' brand-compact' : ''}`, href: '/', 'aria-label': 'Muster home', 'data-link': true },
    h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
    compact ? null : h('span', { class: 'brand-name' }, 'Muster'),
  );
}
