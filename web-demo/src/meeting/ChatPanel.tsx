import type { ChatMessage } from '@muster/signaling/client';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Panel } from './Panels.tsx';
import type { MeetingStore } from './store.ts';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/**
 * In-meeting chat: everyone, or privately to one person. The Room keeps the
 * history (the server sends it on join); the store counts what arrived while
 * the panel was closed.
 */
export function ChatPanel({ store }: { store: MeetingStore }) {
  const open = store.panel.value === 'chat';
  const m = store.meeting.value;
  const selfId = m.self?.id;
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  /** Following the newest message, unless the person scrolled up to read. */
  const atBottom = useRef(true);

  const people = m.remotes.slice().sort((a, b) => a.name.localeCompare(b.name));
  const recipient = people.find((p) => p.id === to);
  // Someone who left can no longer be written to: back to everyone.
  const target = recipient ? to : '';

  useLayoutEffect(() => {
    if (atBottom.current && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [m.chat.length, open]);
  useEffect(() => {
    if (open) input.current?.focus({ preventScroll: true });
  }, [open]);

  const submit = async () => {
    const message = text.trim();
    if (!message || sending) return;
    setSending(true);
    try {
      await store.room.request('chat.send', { text: message, ...(target ? { to: target } : {}) });
      setText('');
    } catch (error) {
      store.toasts.show((error as Error).message || 'The message was not sent.', { kind: 'error' });
    } finally {
      setSending(false);
    }
  };

  return (
    <Panel id="chat-panel" title="Chat" open={open} onClose={() => store.openPanel(null)} bodyClass="chat-body">
      <div class="chat" data-testid="chat">
        <ol
          class="chat-messages"
          data-testid="chat-messages"
          aria-live="polite"
          ref={list}
          onScroll={(event) => {
            const el = event.currentTarget;
            atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
        >
          {m.chat.map((message) => (
            <Message key={message.id} message={message} selfId={selfId} />
          ))}
        </ol>
        <p class="hint chat-hint" hidden={m.canChat}>
          The host has turned chat off for you.
        </p>
        <form
          class="chat-form"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <select class="select chat-to" data-testid="chat-to" aria-label="Send to" value={target} onChange={(event) => setTo(event.currentTarget.value)}>
            <option value="">Everyone</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <div class="chat-compose">
            <textarea
              ref={input}
              class="chat-input"
              rows={2}
              maxLength={2000}
              placeholder={recipient ? `Message ${recipient.name} privately` : 'Message everyone'}
              data-testid="chat-input"
              aria-label="Message"
              disabled={!m.canChat}
              value={text}
              onInput={(event) => setText(event.currentTarget.value)}
              onKeyDown={(event) => {
                // Enter sends, Shift+Enter starts a new line, as in every chat people know.
                if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
                  event.preventDefault();
                  void submit();
                }
              }}
            />
            <button class="btn btn-primary chat-send" type="submit" data-testid="chat-send" disabled={!m.canChat || sending}>
              Send
            </button>
          </div>
        </form>
      </div>
    </Panel>
  );
}

function Message({ message, selfId }: { message: ChatMessage; selfId: string | undefined }) {
  const mine = message.from.participantId === selfId;
  const who = mine ? 'You' : message.from.name;
  const to = message.to ? (message.to.participantId === selfId ? 'you' : message.to.name) : null;
  return (
    <li class={`chat-message${mine ? ' mine' : ''}${message.to ? ' private' : ''}`} data-testid="chat-message" data-private={message.to ? 'true' : 'false'}>
      <div class="chat-meta">
        <span class="chat-from">{to ? `${who} → ${to}` : who}</span>
        {message.to && <span class="chat-private">privately</span>}
        <time dateTime={new Date(message.at).toISOString()}>{timeFormat.format(message.at)}</time>
      </div>
      <div class="chat-text">{message.text}</div>
    </li>
  );
}
