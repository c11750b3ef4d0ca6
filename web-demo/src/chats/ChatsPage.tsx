import { useEffect } from 'preact/hooks';
import { imClient } from '../account/im.ts';
import { currentUser } from '../account/session.ts';
import { navigate } from '../app/router.ts';
import { chatPath } from '../app/routes.ts';
import { PopoverMenuLayer } from '../ui/PopoverMenu.tsx';
import { ChatList } from './ChatList.tsx';
import { ConversationView } from './ConversationView.tsx';
import { activeConversation, chatList, chatsLoaded, startChats, toasts } from './state.ts';
import './chats.css';

/**
 * The Chats tab: the conversation list and, beside it on a desktop, the open
 * conversation. On a phone they are two screens: the list, and the
 * conversation over it (with a back button), as in WeChat.
 */
export function ChatsPage({ conversationId }: { conversationId: string | null }) {
  startChats((id) => navigate(chatPath(id)));
  const client = imClient.value;
  const me = currentUser.value?.id ?? null;
  const conversation = conversationId ? chatList.value.find((c) => c.id === conversationId) ?? client?.conversations.conversation(conversationId) ?? null : null;

  useEffect(() => {
    activeConversation.value = conversationId;
    if (conversationId) toasts.value = toasts.value.filter((t) => t.conversationId !== conversationId);
    return () => {
      activeConversation.value = null;
    };
  }, [conversationId]);

  return (
    <div class="chats-page" data-testid="chats-page" data-open={conversationId ? 'true' : 'false'}>
      <ChatList activeId={conversationId} />
      {conversationId && client && conversation ? (
        <ConversationView key={conversationId} client={client} conversation={conversation} me={me} />
      ) : conversationId ? (
        <section class="chat-view chat-view-empty" data-testid="chat-missing">
          <p>{chatsLoaded.value ? 'This conversation is not among yours.' : 'Loading…'}</p>
        </section>
      ) : (
        <section class="chat-view chat-view-empty">
          <p>Pick a chat on the left.</p>
        </section>
      )}
      <PopoverMenuLayer />
    </div>
  );
}
