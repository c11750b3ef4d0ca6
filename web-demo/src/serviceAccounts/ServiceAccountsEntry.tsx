import { Link } from '../app/Link.tsx';
import { Icon } from '../ui/Icon.tsx';
import { SERVICE_ACCOUNTS_PATH } from './paths.ts';
import { channelsClient, summary } from './state.ts';
import { entryView } from './viewModels.ts';
import './serviceAccounts.css';

/**
 * The "Service accounts" row at the top of the chat list: the newest
 * article's account and title, and a dot when something is new — never a
 * count (state.ts asks for the summary when the app opens or is focused).
 */
export function ServiceAccountsEntry() {
  if (!channelsClient.value) return null;
  const view = entryView(summary.value);
  return (
    <Link class="chat-row sa-entry" href={SERVICE_ACCOUNTS_PATH} data-testid="service-accounts-entry" data-dot={String(view.dot)}>
      <span class="chat-row-avatar">
        <span class="avatar-circle sa-entry-icon" aria-hidden="true">
          <Icon name="megaphone" />
        </span>
        {view.dot && <span class="chat-dot" data-testid="service-accounts-dot" title="New articles" />}
      </span>
      <span class="chat-row-main">
        <span class="chat-row-top">
          <span class="chat-row-name">Service accounts</span>
        </span>
        <span class="chat-row-bottom">
          <span class="chat-row-preview" data-testid="service-accounts-latest">
            {view.line}
          </span>
        </span>
      </span>
    </Link>
  );
}
