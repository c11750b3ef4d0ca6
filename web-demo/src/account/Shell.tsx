import type { ComponentChildren } from 'preact';
import type { User } from '@muster/accounts/client';
import { Link } from '../app/Link.tsx';
import { Avatar } from '../ui/Avatar.tsx';
import { Brand } from '../ui/Brand.tsx';
import { Icon } from '../ui/Icon.tsx';
import { ChatToasts, ChatsBadge } from '../chats/ChatToasts.tsx';
import { ContactsBadge } from '../contacts/ContactsBadge.tsx';
import { MomentsBadge } from '../moments/MomentsBadge.tsx';
import { logOut } from './session.ts';
import { shellTabs, type ShellTab } from './shell.ts';
import './account.css';

/**
 * The signed-in shell: the tabs in a sidebar on a desktop and in a bottom
 * tab bar on a phone. One DOM for both; account.css places it by width, as
 * the meeting's panels do.
 */
export function Shell({ tab, user, children }: { tab: ShellTab; user: User; children: ComponentChildren }) {
  const tabs = shellTabs(user);
  return (
    <div class="shell" data-testid="shell" data-tab={tab}>
      <nav class="shell-nav" aria-label="Main" data-testid="shell-nav">
        <div class="shell-brand">
          <Brand />
        </div>
        <ul class="shell-tabs">
          {tabs.map((t) => (
            <li key={t.id}>
              <Link class={`shell-tab${t.id === tab ? ' active' : ''}`} href={t.href} aria-current={t.id === tab ? 'page' : undefined} data-testid={`tab-${t.id}`}>
                <Icon name={t.icon} />
                <span>{t.label}</span>
                {t.id === 'chats' && <ChatsBadge />}
                {t.id === 'contacts' && <ContactsBadge />}
                {t.id === 'moments' && <MomentsBadge />}
              </Link>
            </li>
          ))}
        </ul>
        <div class="shell-me" data-testid="shell-me">
          <Avatar name={user.nickname} src={user.avatar?.small} />
          <span class="shell-me-name" data-testid="shell-nickname">
            {user.nickname}
          </span>
          <button class="icon-btn" type="button" title="Log out" aria-label="Log out" data-testid="shell-logout" onClick={() => void logOut()}>
            <Icon name="logout" />
          </button>
        </div>
      </nav>
      <main class="shell-main">{children}</main>
      <ChatToasts />
    </div>
  );
}
