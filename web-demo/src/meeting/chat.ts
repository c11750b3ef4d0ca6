import type { ChatMessage, Room } from '@muster/signaling/client';
import { h, setText } from '../lib/dom.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/**
 * In-meeting chat: everyone, or privately to one person. The Room keeps the
 * history (the server sends it on join); this renders it and counts what
 * arrived while the panel was closed.
 */
export class ChatView {
  readonly el: HTMLElement;
  readonly list: HTMLElement;
  readonly input: HTMLTextAreaElement;
  readonly recipient: HTMLSelectElement;
  readonly #hint: HTMLElement;
  readonly #send: HTMLButtonElement;
  readonly #room: Room;
  readonly #onError: (message: string) => void;
  #rendered = 0;
  unread = 0;

  constructor(room: Room, onError: (message: string) => void) {
    this.#room = room;
    this.#onError = onError;
    this.list = h('ol', { class: 'chat-messages', 'data-testid': 'chat-messages', 'aria-live': 'polite' });
    this.recipient = h('select', { class: 'select chat-to', 'data-testid': 'chat-to', 'aria-label': 'Send to' });
    this.input = h('textarea', { class: 'chat-input', rows: 2, maxlength: 2000, placeholder: 'Message everyone', 'data-testid': 'chat-input', 'aria-label': 'Message' });
    this.#send = h('button', { class: 'btn btn-primary chat-send', type: 'submit', 'data-testid': 'chat-send' }, 'Send');
    this.#hint = h('p', { class: 'hint chat-hint', hidden: true }, 'The host has turned chat off for you.');
    const form = h('form', { class: 'chat-form' }, this.recipient, h('div', { class: 'chat-compose' }, this.input, this.#send));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#submit();
    });
    // Enter sends, Shift+Enter starts a new line, as in every chat people know.
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.#submit();
      }
    });
    this.recipient.addEventListener('change', () => {
      this.input.placeholder = this.recipient.value ? `Message ${this.recipient.selectedOptions[0]?.textContent ?? ''} privately` : 'Message everyone';
    });
    this.el = h('div', { class: 'chat', 'data-testid': 'chat' }, this.list, this.#hint, form);
  }

  async #submit(): Promise<void> {
    const text = this.input.value.trim();
    if (!text) return;
    const to = this.recipient.value || undefined;
    this.#send.disabled = true;
    try {
      await this.#room.request('chat.send', { text, ...(to ? { to } : {}) });
      this.input.value = '';
    } catch (error) {
      this.#onError((error as Error).message || 'The message was not sent.');
    } finally {
      this.#send.disabled = false;
    }
  }

  /** A new message arrived: counts as unread unless the panel is open or it is our own. */
  received(message: ChatMessage, open: boolean): void {
    if (!open && message.from.participantId !== this.#room.participantId) this.unread++;
  }

  markRead(): void {
    this.unread = 0;
  }

  /** Appends messages not shown yet, and keeps the recipient list and the permission in step. */
  sync(): void {
    const room = this.#room;
    const selfId = room.participantId;
    const messages = room.chat;
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    for (; this.#rendered < messages.length; this.#rendered++) this.list.append(renderMessage(messages[this.#rendered]!, selfId));
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;

    const people = [...room.remoteParticipants.values()].sort((a, b) => a.name.localeCompare(b.name));
    const wanted = ['', ...people.map((p) => p.id)];
    const current = [...this.recipient.options].map((o) => o.value);
    if (wanted.join('\n') !== current.join('\n') || people.some((p, i) => this.recipient.options[i + 1]?.textContent !== p.name)) {
      const selected = this.recipient.value;
      this.recipient.replaceChildren(h('option', { value: '' }, 'Everyone'), ...people.map((p) => h('option', { value: p.id }, p.name)));
      this.recipient.value = wanted.includes(selected) ? selected : '';
    }
    const allowed = room.can('chat');
    this.#hint.hidden = allowed;
    this.input.disabled = !allowed;
    this.#send.disabled = !allowed;
  }
}

function renderMessage(message: ChatMessage, selfId: string | undefined): HTMLElement {
  const mine = message.from.participantId === selfId;
  const who = mine ? 'You' : message.from.name;
  const to = message.to ? (message.to.participantId === selfId ? 'you' : message.to.name) : null;
  const header = h(
    'div',
    { class: 'chat-meta' },
    h('span', { class: 'chat-from' }, to ? `${who} → ${to}` : who),
    message.to ? h('span', { class: 'chat-private' }, 'privately') : null,
    h('time', { datetime: new Date(message.at).toISOString() }, timeFormat.format(message.at)),
  );
  const text = h('div', { class: 'chat-text' });
  setText(text, message.text);
  return h(
    'li',
    { class: `chat-message${mine ? ' mine' : ''}${message.to ? ' private' : ''}`, 'data-testid': 'chat-message', 'data-private': message.to ? 'true' : 'false' },
    header,
    text,
  );
}
