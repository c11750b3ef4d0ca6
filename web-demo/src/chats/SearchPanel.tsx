import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { NameMatcher, loadPinyin, type ConversationState, type ImClient, type SearchHit, type SearchSnapshot } from '@muster/im/client';
import { navigate } from '../app/router.ts';
import { chatPath } from '../app/routes.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { avatarOf, chatList, groupAvatarOf, nameOf } from './state.ts';
import { CHAT_MATCHES, SEARCH_DEBOUNCE_MS, chatQuery, highlightParts, jumpTo, matchConversations } from './search.ts';
import { conversationTitle, listTime } from './viewModel.ts';
import './search.css';

const names = new NameMatcher();

/** A message search following `query` (debounced), across my conversations or in one. */
function useMessageSearch(client: ImClient, query: string, conversationId?: string): [SearchSnapshot, () => void] {
  const session = useMemo(() => client.search.session(conversationId ? { conversationId } : {}), [client, conversationId]);
  const [snapshot, setSnapshot] = useState(session.snapshot);
  useEffect(() => {
    setSnapshot(session.snapshot);
    return session.subscribe(setSnapshot);
  }, [session]);
  useEffect(() => {
    const timer = setTimeout(() => void session.set(query), query.trim() ? SEARCH_DEBOUNCE_MS : 0);
    return () => clearTimeout(timer);
  }, [session, query]);
  return [snapshot, () => void session.more()];
}

function Snippet({ text, query }: { text: string; query: string }) {
  return (
    <span class="search-snippet" data-testid="search-snippet">
      {highlightParts(text, query).map((part, i) => (part.hit ? <mark key={i}>{part.text}</mark> : part.text))}
    </span>
  );
}

function MessageResult({ hit, query, showChat, onPick }: { hit: SearchHit; query: string; showChat: boolean; onPick: (hit: SearchHit) => void }) {
  const conversation = chatList.value.find((c) => c.id === hit.conversationId);
  const sender = nameOf(hit.senderId);
  return (
    <li>
      <button class="search-row" type="button" data-testid="search-message-result" data-conversation={hit.conversationId} data-seq={hit.seq} onClick={() => onPick(hit)}>
        <Avatar name={sender} src={avatarOf(hit.senderId)} />
        <span class="search-row-main">
          <span class="search-row-top">
            <b>{showChat && conversation ? conversationTitle(conversation, nameOf) : sender}</b>
            <span class="search-row-time">{listTime(hit.sentAt, Date.now())}</span>
          </span>
          <span class="search-row-sub">
            {showChat && conversation?.kind === 'group' ? `${sender}: ` : ''}
            <Snippet text={hit.snippet} query={query} />
          </span>
        </span>
      </button>
    </li>
  );
}

function MessageResults({ search, query, showChat, onPick, onMore }: { search: SearchSnapshot; query: string; showChat: boolean; onPick: (hit: SearchHit) => void; onMore: () => void }) {
  const pending = search.q !== query.trim();
  return (
    <section class="search-group" data-testid="search-messages">
      <h2>Messages</h2>
      {search.error ? (
        <p class="search-note chat-error" data-testid="search-error">
          {search.error.code === 'NETWORK' ? 'Search is not reachable right now.' : search.error.message}
        </p>
      ) : search.results.length === 0 ? (
        <p class="search-note" data-testid="search-no-messages">
          {pending || search.loading ? 'Searching…' : 'No messages found.'}
        </p>
      ) : (
        <ul class="search-list">
          {search.results.map((hit) => (
            <MessageResult key={hit.id} hit={hit} query={search.q} showChat={showChat} onPick={onPick} />
          ))}
        </ul>
      )}
      {search.hasMore && !search.error && (
        <button class="btn btn-ghost search-more" type="button" disabled={search.loading} data-testid="search-more" onClick={onMore}>
          {search.loading ? 'Loading…' : 'More messages'}
        </button>
      )}
    </section>
  );
}

/** The search box above the chat list: what is typed goes to `chatQuery`; Escape or ✕ clears it. */
export function ChatSearchBar() {
  const query = chatQuery.value;
  return (
    <div class="chat-search-bar">
      <Icon name="search" />
      <input
        class="input chat-search-input"
        type="search"
        placeholder="Search chats and messages"
        aria-label="Search chats and messages"
        enterKeyHint="search"
        data-testid="chat-search-input"
        value={query}
        onInput={(e) => (chatQuery.value = e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') chatQuery.value = '';
        }}
      />
      {query && (
        <button class="icon-btn" type="button" aria-label="Clear the search" data-testid="chat-search-clear" onClick={() => (chatQuery.value = '')}>
          <Icon name="close" />
        </button>
      )}
    </div>
  );
}

/**
 * What the search box finds, in place of the chat list: "Chats" (by name,
 * here on the device: the name, its pinyin or initials) and "Messages" (on
 * the server, newest first, the words marked). A message opens its
 * conversation at that message.
 */
export function ChatSearchResults({ client, activeId }: { client: ImClient; activeId: string | null }) {
  const query = chatQuery.value;
  const [search, more] = useMessageSearch(client, query);
  const [, setPinyin] = useState(0);
  const [allChats, setAllChats] = useState(false);
  useEffect(() => void loadPinyin().then(() => setPinyin(1), () => undefined), []);
  useEffect(() => setAllChats(false), [query]);
  const test = names.matcher(query);
  const chats = matchConversations(chatList.value, query, nameOf, (n) => test(n));
  const shown = allChats ? chats : chats.slice(0, CHAT_MATCHES);
  return (
    <div class="search-results" data-testid="chat-search-results">
      {chats.length > 0 && (
        <section class="search-group" data-testid="search-chats">
          <h2>Chats</h2>
          <ul class="search-list">
            {shown.map((c) => (
              <ChatResult key={c.id} c={c} query={query} active={c.id === activeId} />
            ))}
          </ul>
          {chats.length > shown.length && (
            <button class="btn btn-ghost search-more" type="button" data-testid="search-more-chats" onClick={() => setAllChats(true)}>
              {chats.length - shown.length} more chats
            </button>
          )}
        </section>
      )}
      <MessageResults
        search={search}
        query={query}
        showChat
        onMore={more}
        onPick={(hit) => {
          jumpTo(hit.conversationId, hit.seq);
          navigate(chatPath(hit.conversationId), { replace: activeId !== null });
        }}
      />
    </div>
  );
}

function ChatResult({ c, query, active }: { c: ConversationState; query: string; active: boolean }) {
  const title = conversationTitle(c, nameOf);
  return (
    <li>
      <a
        class={`search-row${active ? ' active' : ''}`}
        href={chatPath(c.id)}
        data-testid="search-chat-result"
        data-id={c.id}
        onClick={(e) => {
          if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
          e.preventDefault();
          navigate(chatPath(c.id), { replace: active });
        }}
      >
        {c.kind === 'group' && !groupAvatarOf(c.id) ? (
          <span class="avatar-circle avatar-group" aria-hidden="true">
            <Icon name="users" />
          </span>
        ) : (
          <Avatar name={title} src={c.kind === 'group' ? groupAvatarOf(c.id) : c.peer ? avatarOf(c.peer.id) : null} />
        )}
        <span class="search-row-main">
          <b>
            <Snippet text={title} query={query} />
          </b>
        </span>
      </a>
    </li>
  );
}

/**
 * "Search in this chat", over the conversation: a box and the messages it
 * finds here; a result shows that message in the conversation.
 */
export function InChatSearch({ client, conversation, onPick, onClose }: { client: ImClient; conversation: ConversationState; onPick: (seq: number) => void; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [search, more] = useMessageSearch(client, query, conversation.id);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <div class="chat-sheet in-chat-search" role="dialog" aria-label={`Search in ${conversationTitle(conversation, nameOf)}`} data-testid="in-chat-search">
      <header>
        <div class="chat-search-bar">
          <Icon name="search" />
          <input
            ref={input}
            class="input chat-search-input"
            type="search"
            placeholder={`Search in ${conversationTitle(conversation, nameOf)}`}
            data-testid="in-chat-search-input"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') onClose();
            }}
          />
        </div>
        <button class="icon-btn" type="button" aria-label="Close the search" data-testid="in-chat-search-close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      {query.trim() && <MessageResults search={search} query={query} showChat={false} onMore={more} onPick={(hit) => onPick(hit.seq)} />}
    </div>
  );
}
