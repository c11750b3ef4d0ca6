import { signal } from '@preact/signals';

export interface ToastAction {
  label: string;
  run(): void;
  testId?: string;
}

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  action?: ToastAction;
  /** Fading out (CSS), removed a moment later. */
  leaving: boolean;
}

/** Short, self-dismissing messages ("Ada joined", "Camera is in use by another app"). */
export class Toasts {
  readonly list = signal<Toast[]>([]);
  #nextId = 0;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  show(message: string, opts: { kind?: 'info' | 'error'; ms?: number; action?: ToastAction } = {}): () => void {
    const kind = opts.kind ?? 'info';
    const id = ++this.#nextId;
    // Keep at most three on screen; a burst of joins should not bury the stage.
    this.list.value = [...this.list.value, { id, message, kind, action: opts.action, leaving: false }].slice(-3);
    const close = () => {
      this.list.value = this.list.value.map((t) => (t.id === id ? { ...t, leaving: true } : t));
      this.#later(() => (this.list.value = this.list.value.filter((t) => t.id !== id)), 200);
    };
    if (opts.ms !== 0) this.#later(close, opts.ms ?? (kind === 'error' ? 6000 : 3500));
    return close;
  }

  /** Runs a toast's action (a click on its button), then closes it. */
  act(toast: Toast): void {
    toast.action?.run();
    this.list.value = this.list.value.map((t) => (t.id === toast.id ? { ...t, leaving: true } : t));
    this.#later(() => (this.list.value = this.list.value.filter((t) => t.id !== toast.id)), 200);
  }

  #later(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
