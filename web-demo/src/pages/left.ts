import { h } from '../lib/dom.ts';
import type { MeetingEnd } from '../meeting/meeting.ts';
import { brand } from './brand.ts';

/** After the meeting: say why it ended and offer the way back in. */
export function renderLeft(root: HTMLElement, opts: { roomId: string; end: MeetingEnd; onRejoin(): void }): () => void {
  const { title, detail } = describe(opts.end);
  const rejoin = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'rejoin' }, opts.end.reason === 'error' ? 'Try again' : 'Rejoin');
  rejoin.addEventListener('click', () => opts.onRejoin());
  document.title = `${title} · Muster`;
  root.append(
    h(
      'div',
      { class: 'center-page', 'data-testid': 'left-screen', 'data-reason': opts.end.reason },
      h('header', { class: 'home-header' }, brand()),
      h(
        'main',
        { class: 'notice-card' },
        h('h1', null, title),
        h('p', null, detail),
        h('div', { class: 'notice-actions' }, rejoin, h('a', { class: 'btn btn-ghost', href: '/', 'data-link': true, 'data-testid': 'home-link' }, 'Back to start')),
      ),
    ),
  );
  if (matchMedia('(pointer: fine)').matches) rejoin.focus();
  return () => undefined;
}

function describe(end: MeetingEnd): { title: string; detail: string } {
  switch (end.reason) {
    case 'left':
      return { title: 'You left the meeting', detail: 'Your camera and microphone are off. Rejoin whenever you are ready.' };
    case 'error':
      return { title: 'Could not join', detail: end.error ?? 'Something went wrong while joining.' };
    case 'server-shutdown':
      return { title: 'The meeting server restarted', detail: 'The meeting was interrupted. Rejoin to continue once it is back.' };
    case 'removed':
      return { title: 'You were removed from the meeting', detail: 'A host removed you from this meeting.' };
    default:
      return { title: 'The meeting has ended', detail: 'Rejoin to start it again with the same link.' };
  }
}
