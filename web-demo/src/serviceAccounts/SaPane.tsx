import type { ComponentChildren } from 'preact';
import { BackLink } from '../ui/BackLink.tsx';

/** One service-accounts screen: a back arrow (where one came from, when in this app), a title, actions, the body. */
export function SaPane({ title, back, actions, testId, children }: { title: string; back: string; actions?: ComponentChildren; testId: string; children: ComponentChildren }) {
  return (
    <div class="sa-pane" data-testid={testId}>
      <header class="sa-head">
        <BackLink href={back} testId="sa-back" />
        <h1 class="sa-title">{title}</h1>
        <div class="sa-actions">{actions}</div>
      </header>
      <div class="sa-body">{children}</div>
    </div>
  );
}
