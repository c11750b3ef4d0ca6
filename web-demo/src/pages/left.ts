import { h } from '../lib/dom.ts';
import type { MeetingEnd } from '../meeting/meeting.ts';
import { brand } from './brand.ts';

/** After the meeting: say why it ended and offer the way back in. */
export function renderLeft(root: HTMLElement, opts: { roomId: string; end: MeetingEnd; onRejoin(passcode?: string): void }): () => void {
  const { title, detail } = describe(opts.end);
  const needsCode = opts.end.reason === 'passcode';
  const retry = opts.end.reason === 'error' || needsCode || opts.end.reason === 'locked' || opts.end.reason === 'denied';
  const rejoin = h('button', { class: 'btn btn-primary', type: needsCode ? 'submit' : 'button', 'data-testid': 'rejoin' }, needsCode ? 'Join' : retry ? 'Try again' : 'Rejoin');
  const code = h('input', { class: 'input', type: 'password', autocomplete: 'off', 'aria-label': 'Passcode', placeholder: 'Passcode', maxlength: 64, 'data-testid': 'passcode-input' });
  const form = h('form', { class: 'passcode-form' }, code);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (code.value.trim()) opts.onRejoin(code.value.trim());
  });
  rejoin.addEventListener('click', (event) => {
    if (needsCode) {
      event.preventDefault();
      if (code.value.trim()) opts.onRejoin(code.value.trim());
      else code.focus();
      return;
    }
    opts.onRejoin();
  });
  // Barred people get no "Rejoin": the server would refuse it.
  rejoin.hidden = opts.end.reason === 'banned';
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
        needsCode ? form : null,
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
    case 'banned':
      return { title: 'You were removed from the meeting', detail: 'A host removed you and you cannot rejoin this meeting.' };
    case 'passcode':
      return { title: 'This meeting needs a passcode', detail: end.error && end.error !== 'this meeting needs a passcode' ? 'That passcode is not right. Try again.' : 'Enter the passcode you were given with the invitation.' };
    case 'locked':
      return { title: 'The meeting is locked', detail: 'A host has locked this meeting. Ask them to unlock it, then try again.' };
    case 'denied':
      return { title: 'You were not let in', detail: end.error ?? 'The host did not let you in.' };
    default:
      return { title: 'The meeting has ended', detail: 'Rejoin to start it again with the same link.' };
  }
}
