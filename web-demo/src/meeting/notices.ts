import { h } from '../lib/dom.ts';
import { icon } from '../lib/icons.ts';

/** The strip at the top that says the connection is being restored. */
export class ConnectionBanner {
  readonly el: HTMLElement;
  readonly #text: HTMLElement;

  constructor() {
    this.#text = h('span');
    this.el = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite', 'data-testid': 'connection-banner', hidden: true }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), this.#text);
  }

  show(message: string | null): void {
    if (this.el.hidden !== !message) this.el.hidden = !message;
    if (message && this.#text.textContent !== message) this.#text.textContent = message;
  }
}

/** Short, self-dismissing messages ("Ada joined", "Camera is in use by another app"). */
export class Toasts {
  readonly el: HTMLElement;

  constructor() {
    this.el = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite', 'data-testid': 'toasts' });
  }

  show(message: string, opts: { kind?: 'info' | 'error'; ms?: number; action?: { label: string; run(): void; testId?: string } } = {}): () => void {
    const kind = opts.kind ?? 'info';
    const toast = h('div', { class: `toast toast-${kind}` }, kind === 'error' ? icon('alert') : null, h('span', null, message));
    const close = () => {
      toast.classList.add('leaving');
      setTimeout(() => toast.remove(), 200);
    };
    if (opts.action) {
      const button = h('button', { class: 'toast-action', type: 'button', 'data-testid': opts.action.testId }, opts.action.label);
      button.addEventListener('click', () => {
        opts.action!.run();
        close();
      });
      toast.append(button);
    }
    this.el.append(toast);
    // Keep at most three on screen; a burst of joins should not bury the stage.
    while (this.el.children.length > 3) this.el.firstElementChild!.remove();
    if (opts.ms !== 0) setTimeout(close, opts.ms ?? (kind === 'error' ? 6000 : 3500));
    return close;
  }
}
