import { h } from '../lib/dom.ts';
import { brand } from './brand.ts';

export function renderNotFound(root: HTMLElement, message = 'This page does not exist.'): () => void {
  document.title = 'Not found · Muster';
  root.append(
    h(
      'div',
      { class: 'center-page' },
      h('header', { class: 'home-header' }, brand()),
      h(
        'main',
        { class: 'notice-card' },
        h('h1', null, 'Nothing here'),
        h('p', null, message),
        h('a', { class: 'btn btn-primary', href: '/', 'data-link': true }, 'Go to the start page'),
      ),
    ),
  );
  return () => undefined;
}
