import type { ComponentChildren } from 'preact';
import { BackLink } from '../ui/BackLink.tsx';
import { feedPath } from './paths.ts';

/**
 * A page of the Moments tab other than the feed (one post, a profile, the
 * notices), with a back arrow: back where one came from when that was in
 * this app, else to the feed.
 */
export function MomentsPane({ title, testId, actions, children }: { title: string; testId: string; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class="moments-page" data-testid={testId}>
      <header class="moments-head">
        <BackLink href={feedPath()} testId="moments-back" />
        <h1>{title}</h1>
        {actions}
      </header>
      {children}
    </div>
  );
}
