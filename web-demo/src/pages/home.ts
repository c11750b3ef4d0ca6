import { h } from '../lib/dom.ts';
import { icon } from '../lib/icons.ts';
import { generateRoomCode, parseRoomInput } from '../lib/roomCode.ts';
import { meetingPath, navigate } from '../router.ts';
import { brand } from './brand.ts';

export function renderHome(root: HTMLElement): () => void {
  const codeInput = h('input', {
    class: 'input',
    type: 'text',
    name: 'code',
    placeholder: 'Enter a code or link',
    autocomplete: 'off',
    autocapitalize: 'off',
    spellcheck: 'false',
    'aria-label': 'Meeting code or link',
    'data-testid': 'home-code-input',
  });
  const joinButton = h('button', { class: 'btn btn-ghost', type: 'submit', disabled: true, 'data-testid': 'home-join' }, 'Join');
  const error = h('p', { class: 'form-error', role: 'alert' });

  codeInput.addEventListener('input', () => {
    joinButton.disabled = !codeInput.value.trim();
    error.textContent = '';
  });

  const joinForm = h('form', { class: 'join-form' }, h('div', { class: 'join-row' }, codeInput, joinButton), error);
  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = parseRoomInput(codeInput.value);
    if (!code) {
      error.textContent = 'That is not a meeting code. Codes use letters, digits and dashes, like “bamo-kite-ruso”.';
      return;
    }
    navigate(meetingPath(code));
  });

  const create = h(
    'button',
    { class: 'btn btn-primary btn-lg', type: 'button', 'data-testid': 'home-create' },
    icon('plus'),
    h('span', null, 'New meeting'),
  );
  create.addEventListener('click', () => navigate(meetingPath(generateRoomCode())));

  root.append(
    h(
      'div',
      { class: 'home' },
      h('header', { class: 'home-header' }, brand()),
      h(
        'main',
        { class: 'home-main' },
        h(
          'section',
          { class: 'home-hero' },
          h('h1', null, 'Meetings that stay on your network.'),
          h('p', { class: 'lead' }, 'Start a video meeting and share the link. No accounts, no installs, nothing leaves your servers.'),
          h('div', { class: 'home-actions' }, create, h('span', { class: 'or' }, 'or'), joinForm),
        ),
        h(
          'section',
          { class: 'home-art', 'aria-hidden': 'true' },
          h('div', { class: 'art-tile art-a' }, h('span', null, 'AL')),
          h('div', { class: 'art-tile art-b' }, h('span', null, 'GH')),
          h('div', { class: 'art-tile art-c' }, h('span', null, 'KJ')),
          h('div', { class: 'art-tile art-d' }, h('span', null, 'MT')),
        ),
      ),
    ),
  );
  // Focus the code field on desktop only: on phones it would pop the keyboard over the page.
  if (matchMedia('(pointer: fine)').matches) codeInput.focus();
  return () => undefined;
}
