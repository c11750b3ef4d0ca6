import { contactsState } from './state.ts';
import { badgeText } from './viewModels.ts';

/** The Contacts tab's badge: friend requests waiting for my answer (WeChat's red dot with a number). */
export function ContactsBadge() {
  const n = contactsState.value.pending;
  if (n <= 0) return null;
  return (
    <span class="tab-badge" data-testid="contacts-badge" aria-label={`${n} new friend ${n === 1 ? 'request' : 'requests'}`}>
      {badgeText(n)}
    </span>
  );
}
