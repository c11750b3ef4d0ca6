import { momentsBadge } from './state.ts';
import { badgeCount, badgeText } from './viewModels.ts';

/** The Moments tab's badge: friends' new posts since the tab was last opened, and unread likes and comments. */
export function MomentsBadge() {
  const n = badgeCount(momentsBadge.value);
  if (n <= 0) return null;
  return (
    <span class="tab-badge" data-testid="moments-badge" aria-label={`${n} new in Moments`}>
      {badgeText(n)}
    </span>
  );
}
