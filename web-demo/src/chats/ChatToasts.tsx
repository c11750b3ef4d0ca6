import { navigate } from '../app/router.ts';
import { chatPath } from '../app/routes.ts';
import { dismissToast, startChats, toasts, totalUnread } from './state.ts';
import './chats.css';

/** The in-page toasts of new messages, on every tab of the shell; a click opens the conversation. */
export function ChatToasts() {
  startChats((id) => navigate(chatPath(id)));
  const list = toasts.value;
  if (list.length === 0) return null;
  return (
    <div class="chat-toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <button
          key={t.id}
          type="button"
          class="chat-toast"
          data-testid="chat-toast"
          onClick={() => {
            dismissToast(t.id);
            navigate(chatPath(t.conversationId));
          }}
        >
          <b>{t.title}</b>
          <span>{t.body}</span>
        </button>
      ))}
    </div>
  );
}

/** The Chats tab's unread badge. */
export function ChatsBadge() {
  startChats((id) => navigate(chatPath(id)));
  const n = totalUnread.value;
  if (n <= 0) return null;
  return (
    <span class="tab-badge" data-testid="chats-badge">
      {n > 99 ? '99+' : n}
    </span>
  );
}
