import { Icon } from '../ui/Icon.tsx';
import type { Toasts } from './toasts.ts';

/** The strip at the top that says the connection is being restored. */
export function ConnectionBanner({ message }: { message: string | null }) {
  return (
    <div class="banner" role="status" aria-live="polite" data-testid="connection-banner" hidden={!message}>
      <span class="spinner" aria-hidden="true" />
      <span>{message ?? ''}</span>
    </div>
  );
}

export function ToastList({ toasts }: { toasts: Toasts }) {
  return (
    <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
      {toasts.list.value.map((toast) => (
        <div key={toast.id} class={`toast toast-${toast.kind}${toast.leaving ? ' leaving' : ''}`}>
          {toast.kind === 'error' && <Icon name="alert" />}
          <span>{toast.message}</span>
          {toast.action && (
            <button class="toast-action" type="button" data-testid={toast.action.testId} onClick={() => toasts.act(toast)}>
              {toast.action.label}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
