import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { BackLink } from '../ui/BackLink.tsx';

/**
 * A page of the Contacts tab beside the list (a desktop) or on its own
 * screen (a phone: then with a back arrow). Back goes where one came from
 * (a group's member list, "New friends"…) when that was in this app, else to `back`.
 */
export function Pane({ title, back = '/contacts', actions, testId, children }: { title: string; back?: string; actions?: ComponentChildren; testId: string; children: ComponentChildren }) {
  return (
    <div class="contacts-pane" data-testid={testId}>
      <header class="pane-head">
        <BackLink href={back} class="icon-btn pane-back" testId="pane-back" />
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
