import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { currentRoute } from '../app/router.ts';
import { Icon } from '../ui/Icon.tsx';

/**
 * A page of the Contacts tab beside the list (a desktop) or on its own
 * screen (a phone: then with a back arrow). Back goes where one came from
 * (a group's member list, "New friends"…) when that was in this app, else to `back`.
 */
export function Pane({ title, back = '/contacts', actions, testId, children }: { title: string; back?: string; actions?: ComponentChildren; testId: string; children: ComponentChildren }) {
  return (
    <div class="contacts-pane" data-testid={testId}>
      <header class="pane-head">
        <Link
          class="icon-btn pane-back"
          href={back}
          title="Back"
          aria-label="Back"
          data-testid="pane-back"
          onClick={(e) => {
            // Arrived by a link or the history (not a fresh load): go back there.
            if (currentRoute.peek().visit > 0 && e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey) {
              e.preventDefault();
              history.back();
            }
          }}
        >
          <Icon name="chevronLeft" />
        </Link>
        <h1 class="pane-title">{title}</h1>
        <div class="pane-actions">{actions}</div>
      </header>
      <div class="pane-body">{children}</div>
    </div>
  );
}

/**
 * A button that asks once more before doing something that cannot be undone
 * (delete a contact, dissolve a group): the first click shows the question
 * and the real button in its place.
 */
export function ConfirmButton({ label, question, confirm, danger = true, testId, run }: { label: string; question: string; confirm: string; danger?: boolean; testId: string; run: () => unknown }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button class={`btn ${danger ? 'btn-outline-danger' : 'btn-ghost'} btn-block`} type="button" data-testid={testId} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <div class="confirm-row" role="alertdialog" aria-label={question} data-testid={`${testId}-confirm`}>
      <p>{question}</p>
      <div class="confirm-actions">
        <button class="btn btn-ghost btn-small" type="button" data-testid={`${testId}-cancel`} onClick={() => setAsking(false)}>
          Cancel
        </button>
        <button
          class={`btn btn-small ${danger ? 'btn-danger' : 'btn-primary'}`}
          type="button"
          data-testid={`${testId}-yes`}
          onClick={() => {
            setAsking(false);
            void run();
          }}
        >
          {confirm}
        </button>
      </div>
    </div>
  );
}
