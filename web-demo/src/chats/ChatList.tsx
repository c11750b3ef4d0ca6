import { useEffect, useState } from 'preact/hooks';
import type { ConversationState } from '@muster/im/client';
import { navigate } from '../app/router.ts';
import { chatPath } from '../app/routes.ts';
import { currentUser } from '../account/session.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { showMenu, type MenuItem } from '../ui/PopoverMenu.tsx';
import { VirtualList } from './VirtualList.tsx';
import { imClient } from '../account/im.ts';
import { askNotificationPermission, avatarOf, chatList, groupAvatarOf, chatsLoaded, nameOf, notificationsAskable } from './state.ts';
import { badgeText, conversationTitle, listTime, previewText } from './viewModel.ts';
import { chatQuery } from './search.ts';
import { ChatSearchBar, ChatSearchResults } from './SearchPanel.tsx';
import { ServiceAccountsEntry } from '../serviceAccounts/ServiceAccountsEntry.tsx';

/** Re-renders every minute (list times) and when a "typing…" may have ended. */
function useClock(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** A row's menu (right-click or long-press): pin, mute, mark unread or read, hide; each shown at once, synced to my other devices. */
function openRowMenu(c: ConversationState, anchor: HTMLElement): void {
  const store = imClient.peek()?.conversations;
  if (!store) return;
  const set = (change: Parameters<typeof store.setSettings>[1]) => () => store.setSettings(c.id, change);
  const items: MenuItem[] = [
    { label: c.pinned ? 'Unpin' : 'Pin to top', testId: 'chat-menu-pin', run: set({ pinned: !c.pinned }) },
    { label: c.muted ? 'Unmute' : 'Mute notifications', testId: 'chat-menu-mute', run: set({ muted: !c.muted }) },
    c.unread > 0 || c.markedUnread
      ? { label: 'Mark as read', testId: 'chat-menu-read', run: () => store.markRead(c.id) }
      : { label: 'Mark as unread', testId: 'chat-menu-unread', run: set({ markedUnread: true }) },
    { label: 'Hide from the list', testId: 'chat-menu-hide', danger: true, run: set({ hidden: true }) },
  ];
  showMenu(anchor, items, 'chat-menu');
}

const keyOfConversation = (c: ConversationState) => c.id;

function ChatRow({ c, active, now }: { c: ConversationState; active: boolean; now: number }) {
  let press: ReturnType<typeof setTimeout> | undefined;
  const me = currentUser.value?.id ?? null;
  const title = conversationTitle(c, nameOf);
  const typing = c.typingUntil !== undefined && c.typingUntil > now;
  const preview = previewText(c, { me, nameOf, typing, viewing: active });
  const badge = badgeText(c.unread > 0 ? c.unread : c.markedUnread ? 1 : 0);
  const avatar = c.kind === 'direct' && c.peer ? avatarOf(c.peer.id) : c.kind === 'group' ? groupAvatarOf(c.id) : null;
  const at = c.lastMessage?.sentAt ?? c.updatedAt;
  return (
    <div role="listitem">
      <a
        class={`chat-row${active ? ' active' : ''}${c.pinned ? ' pinned' : ''}${c.muted ? ' muted' : ''}`}
        href={chatPath(c.id)}
        data-testid="chat-item"
        data-id={c.id}
        data-unread={String(c.unread)}
        onContextMenu={(event) => {
          event.preventDefault();
          openRowMenu(c, event.currentTarget as HTMLElement);
        }}
        onPointerDown={(event) => {
          if (event.pointerType === 'mouse') return;
          const target = event.currentTarget as HTMLElement;
          press = setTimeout(() => openRowMenu(c, target), 480);
        }}
        onPointerUp={() => clearTimeout(press)}
        onPointerMove={() => clearTimeout(press)}
        onPointerCancel={() => clearTimeout(press)}
        onClick={(event) => {
          if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
          event.preventDefault();
          askNotificationPermission();
          navigate(chatPath(c.id), { replace: active });
        }}
      >
        <span class="chat-row-avatar">
          {c.kind === 'group' && !avatar ? (
            <span class="avatar-circle avatar-group" aria-hidden="true">
              <Icon name="users" />
            </span>
          ) : (
            <Avatar name={title} src={avatar} />
          )}
          {badge && !c.muted && (
            <span class="chat-badge" data-testid="chat-unread-badge">
              {badge}
            </span>
          )}
          {badge && c.muted && <span class="chat-dot" data-testid="chat-unread-dot" title={`${c.unread} unread`} />}
        </span>
        <span class="chat-row-main">
          <span class="chat-row-top">
            <span class="chat-row-name" data-testid="chat-item-name">
              {title}
            </span>
            <span class="chat-row-time">{listTime(at, now)}</span>
          </span>
          <span class="chat-row-bottom">
            <span class={`chat-row-preview tone-${preview.tone}`} data-testid="chat-item-preview">
              {preview.text}
            </span>
            {c.muted && (
              <span class="chat-row-muted" title="Muted" aria-label="Muted">
                <Icon name="volume" />
              </span>
            )}
          </span>
        </span>
      </a>
    </div>
  );
}

/** The conversation list: pinned first, then the most recent; unread badges (grey dots when muted), "Typing…", drafts. */
export function ChatList({ activeId }: { activeId: string | null }) {
  const list = chatList.value;
  const now = useClock(list.some((c) => c.typingUntil) ? 1_000 : 30_000);
  const [askable, setAskable] = useState(notificationsAskable());
  return (
    <section class="chat-list" data-testid="chat-list" data-state={chatsLoaded.value ? 'ready' : 'loading'}>
      <header class="chat-list-header">
        <h1>Chats</h1>
        {askable && (
          <button
            class="btn btn-ghost chat-notify"
            type="button"
            data-testid="chat-enable-notifications"
            onClick={() => {
              askNotificationPermission();
              setAskable(false);
            }}
          >
            Notify me
          </button>
        )}
      </header>
      <ChatSearchBar />
      {!chatQuery.value.trim() && <ServiceAccountsEntry />}
      {chatQuery.value.trim() && imClient.value ? (
        <ChatSearchResults client={imClient.value} activeId={activeId} />
      ) : list.length === 0 ? (
        <p class="chat-empty" data-testid="chat-list-empty">
          {chatsLoaded.value ? 'No chats yet. Start one from a contact in Contacts.' : 'Loading…'}
        </p>
      ) : (
        <VirtualList items={list} keyOf={keyOfConversation} render={(c) => <ChatRow c={c} active={c.id === activeId} now={now} />} estimate={66} fromBottom={false} class="chat-rows" testId="chat-rows" />
      )}
    </section>
  );
}
