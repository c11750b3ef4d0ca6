import { signal, type ReadonlySignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isMedia, type ChatMessage, type ConversationState, type GroupDetailsView, type ImClient } from '@muster/im/client';
import { navigate } from '../app/router.ts';
import { chatPath } from '../app/routes.ts';
import { copyText } from '../lib/clipboard.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { showMenu, type MenuItem } from '../ui/PopoverMenu.tsx';
import { CallButtons } from '../call/CallButtons.tsx';
import { Composer } from './Composer.tsx';
import { avatarOf, chatList, groupAvatarOf, nameOf, timelineOf } from './state.ts';
import { VirtualList, type VirtualListHandle } from './VirtualList.tsx';
import { PresenceLine } from './presence.tsx';
import { jumpTarget, takeJump } from './search.ts';
import { InChatSearch } from './SearchPanel.tsx';
import { ExportDialog, type ExportPicked } from './ExportDialog.tsx';
import { pickedProblem, pickedRange } from './exportViewModel.ts';
import { ImageViewer } from './media/ImageViewer.tsx';
import { MediaContent } from './media/MediaBubble.tsx';
import { sendFiles, sendVoice } from './media/media.ts';
import { UnfinishedUploads } from './media/UnfinishedUploads.tsx';
import { setVoiceTimeline, stopVoice } from './media/voicePlayer.ts';
import { viewerItems } from './media/viewModel.ts';
import { buildRows, canEdit, canRecall, conversationTitle, firstUnreadRow, mentionRow, messageSummary, messageTime, splitMentions, type Row } from './viewModel.ts';

/**
 * What other capabilities put in a conversation's header, right of its
 * title and the call buttons (web-demo/src/call/): `addChatHeaderAction((c) => …)`.
 */
const headerActions = signal<readonly ((conversation: ConversationState) => ComponentChildren)[]>([]);
export function addChatHeaderAction(render: (conversation: ConversationState) => ComponentChildren): () => void {
  headerActions.value = [...headerActions.value, render];
  return () => {
    headerActions.value = headerActions.value.filter((r) => r !== render);
  };
}
export const chatHeaderActions: ReadonlySignal<readonly ((conversation: ConversationState) => ComponentChildren)[]> = headerActions;

const isMessageRow = (key: string) => !key.startsWith('day:') && key !== 'unread';

function StatusMark({ m, readCount, group, onRetry, onReaders }: { m: ChatMessage; readCount: number; group: boolean; onRetry: () => void; onReaders: () => void }) {
  if (!m.mine || m.type === 'system' || m.recalled) return null;
  if (m.state === 'failed') {
    return (
      <button class="msg-failed" type="button" title={m.error?.message ?? 'Not sent'} aria-label="Not sent: send again" data-testid="message-retry" onClick={onRetry}>
        !
      </button>
    );
  }
  if (m.state === 'sending') return <span class="msg-status sending" data-testid="message-status" data-status="sending" aria-label="Sending" />;
  if (group) {
    return (
      <button class="msg-status readers" type="button" data-testid="message-status" data-status={readCount > 0 ? 'read' : 'sent'} onClick={onReaders}>
        {readCount > 0 ? `Read by ${readCount}` : 'Sent'}
      </button>
    );
  }
  return (
    <span class={`msg-status ${m.state}`} data-testid="message-status" data-status={m.state}>
      {m.state === 'read' ? 'Read' : 'Sent'}
    </span>
  );
}

interface RowProps {
  row: Row;
  me: string | null;
  group: boolean;
  selecting: boolean;
  selected: boolean;
  readCount: number;
  highlight: boolean;
  onMenu: (m: ChatMessage, anchor: HTMLElement) => void;
  onToggle: (m: ChatMessage) => void;
  onRetry: (m: ChatMessage) => void;
  onReaders: (m: ChatMessage) => void;
  onQuote: (id: string) => void;
  onOpenImage: (m: ChatMessage) => void;
}

function MessageRow({ row, me, group, selecting, selected, readCount, highlight, onMenu, onToggle, onRetry, onReaders, onQuote, onOpenImage }: RowProps) {
  const press = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  if (row.kind === 'day') {
    return (
      <div class="msg-day" data-testid="day-separator">
        <span>{row.label}</span>
      </div>
    );
  }
  if (row.kind === 'unread') {
    return (
      <div class="msg-unread-line" data-testid="unread-line">
        <span>New messages</span>
      </div>
    );
  }
  const m = row.message;
  if (m.type === 'system' || m.recalled) {
    return (
      <div class="msg-system" data-testid={m.recalled ? 'message-recalled' : 'message-system'} data-seq={m.seq}>
        {messageSummary(m, nameOf, me)}
      </div>
    );
  }
  const startPress = (e: PointerEvent) => {
    if (e.pointerType === 'mouse') return;
    const target = e.currentTarget as HTMLElement;
    press.current = setTimeout(() => onMenu(m, target), 480);
  };
  const endPress = () => clearTimeout(press.current);
  return (
    <div
      class={`msg${m.mine ? ' mine' : ''}${selected ? ' selected' : ''}${highlight ? ' highlight' : ''}`}
      data-testid="message"
      data-seq={m.seq}
      data-mine={String(m.mine)}
      data-state={m.state ?? ''}
      onClick={selecting ? () => onToggle(m) : undefined}
    >
      {selecting && <input class="msg-check" type="checkbox" checked={selected} aria-label="Select" data-testid="message-select" onClick={(e) => e.stopPropagation()} onChange={() => onToggle(m)} />}
      {!m.mine && (group ? <Avatar name={nameOf(m.senderId)} src={avatarOf(m.senderId)} /> : <span class="msg-avatar-gap" />)}
      <div class="msg-body">
        {row.showSender && <div class="msg-sender">{nameOf(m.senderId)}</div>}
        <div
          class={`msg-bubble${m.type === 'emoji' ? ' emoji' : ''}${isMedia(m.type) ? ` media ${m.type}` : ''}`}
          tabIndex={0}
          data-testid="message-bubble"
          title={messageTime(m.sentAt)}
          onContextMenu={(e) => {
            if (selecting) return;
            e.preventDefault();
            onMenu(m, e.currentTarget as HTMLElement);
          }}
          onPointerDown={selecting ? undefined : startPress}
          onPointerUp={endPress}
          onPointerCancel={endPress}
          onPointerMove={endPress}
          onKeyDown={(e) => {
            if (e.key === 'ContextMenu' || (e.shiftKey && e.key === 'F10')) {
              e.preventDefault();
              onMenu(m, e.currentTarget as HTMLElement);
            }
          }}
        >
          {m.quote && (
            <button class="msg-quote" type="button" data-testid="message-quote" onClick={() => onQuote(m.quote!.id)}>
              <b>{nameOf(m.quote.senderId)}</b>: {m.quote.recalled ? 'a recalled message' : (m.quote.excerpt ?? `[${m.quote.type}]`)}
            </button>
          )}
          {isMedia(m.type) ? (
            <MediaContent m={m} onOpenImage={onOpenImage} />
          ) : m.type === 'forward' && m.forward ? (
            <div class="msg-forward" data-testid="message-forward">
              <b>{m.forward.title}</b>
              {m.forward.items.slice(0, 4).map((item, i) => (
                <div key={i} class="msg-forward-item">
                  {item.senderName}: {item.text ?? `[${item.type}]`}
                </div>
              ))}
            </div>
          ) : (
            <span class="msg-text" data-testid="message-text">
              {m.mentions?.length || m.mentionAll
                ? splitMentions(m.text ?? '', [...(m.mentions ?? []).map(nameOf), ...(m.mentionAll ? ['everyone'] : [])]).map((piece, i) =>
                    piece.mention ? (
                      <span key={i} class={`msg-mention${piece.text === `@${nameOf(me ?? '')}` ? ' me' : ''}`} data-testid="message-mention">
                        {piece.text}
                      </span>
                    ) : (
                      piece.text
                    ),
                  )
                : m.text}
            </span>
          )}
          {m.editedAt && <span class="msg-edited"> (edited)</span>}
        </div>
        <div class="msg-meta">
          {row.showTime && <span class="msg-time">{messageTime(m.sentAt)}</span>}
          <StatusMark m={m} readCount={readCount} group={group} onRetry={() => onRetry(m)} onReaders={() => onReaders(m)} />
        </div>
      </div>
    </div>
  );
}

function ReadersSheet({ client, conversationId, message, onClose }: { client: ImClient; conversationId: string; message: ChatMessage; onClose: () => void }) {
  const [readers, setReaders] = useState<{ readBy: string[]; unreadBy: string[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client.conversations.readers(conversationId, message.id).then(setReaders, (e: Error) => setError(e.message));
  }, [message.id]);
  return (
    <div class="chat-sheet" role="dialog" aria-label="Read by" data-testid="readers-sheet">
      <header>
        <b>Read by</b>
        <button class="icon-btn" type="button" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      {error && <p class="chat-error">{error}</p>}
      {!readers && !error && <p>Loading…</p>}
      {readers && (
        <div class="readers">
          <h4>Read ({readers.readBy.length})</h4>
          <ul>
            {readers.readBy.map((id) => (
              <li key={id} data-testid="reader">
                {nameOf(id)}
              </li>
            ))}
          </ul>
          <h4>Not yet ({readers.unreadBy.length})</h4>
          <ul>
            {readers.unreadBy.map((id) => (
              <li key={id}>{nameOf(id)}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

function ForwardSheet({ client, from, messageIds, onClose }: { client: ImClient; from: string; messageIds: string[]; onClose: (done: string | null) => void }) {
  const [targets, setTargets] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = (id: string) => setTargets((t) => (t.includes(id) ? t.filter((x) => x !== id) : t.length >= 9 ? t : [...t, id]));
  const go = async (mode: 'single' | 'merged') => {
    setBusy(true);
    try {
      const reply = await client.conversations.forward({ from, messageIds, to: targets, mode });
      const refused = reply.results.filter((r) => r.error);
      onClose(refused.length ? `Not forwarded to ${refused.length} of ${targets.length}` : 'Forwarded');
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <div class="chat-sheet" role="dialog" aria-label="Forward" data-testid="forward-sheet">
      <header>
        <b>Forward {messageIds.length > 1 ? `${messageIds.length} messages` : 'message'} to…</b>
        <button class="icon-btn" type="button" aria-label="Close" onClick={() => onClose(null)}>
          <Icon name="close" />
        </button>
      </header>
      <ul class="forward-targets">
        {chatList.value.map((c) => (
          <li key={c.id}>
            <label>
              <input type="checkbox" checked={targets.includes(c.id)} onChange={() => toggle(c.id)} data-testid="forward-target" data-id={c.id} />
              {conversationTitle(c, nameOf)}
            </label>
          </li>
        ))}
      </ul>
      {error && <p class="chat-error">{error}</p>}
      <footer>
        <button class="btn btn-primary" type="button" disabled={busy || targets.length === 0} data-testid="forward-send" onClick={() => void go('single')}>
          {messageIds.length > 1 ? 'One by one' : 'Send'}
        </button>
        {messageIds.length > 1 && (
          <button class="btn" type="button" disabled={busy || targets.length === 0} data-testid="forward-merged" onClick={() => void go('merged')}>
            As chat history
          </button>
        )}
      </footer>
    </div>
  );
}

/**
 * One conversation: its header (back on a phone, name, "typing…", the call
 * buttons' slot), the virtualised history (older pages as one scrolls up,
 * day separators, the "new messages" line, jumps to the first unread and to
 * an @mention), each message's menu (right-click or long-press: reply,
 * forward, recall, edit, delete for me, copy, select), and the composer.
 */
export function ConversationView({ client, conversation: c, me }: { client: ImClient; conversation: ConversationState; me: string | null }) {
  const store = client.conversations;
  const timeline = timelineOf(c.id).value;
  // What was unread when the conversation opened: the "new messages" line and the jumps go by it (not by what arrives while it is open).
  const [atOpen] = useState(() => ({ readSeq: c.readSeq, unread: c.unread }));
  const readSeqAtOpen = atOpen.unread > 0 ? atOpen.readSeq : undefined;
  const [replyTo, setReplyTo] = useState<ChatMessage | null>(null);
  const [editing, setEditing] = useState<ChatMessage | null>(null);
  const [selection, setSelection] = useState<ReadonlySet<string> | null>(null);
  const [sheet, setSheet] = useState<{ kind: 'readers'; message: ChatMessage } | { kind: 'forward'; ids: string[] } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [highlight, setHighlight] = useState<string | null>(null);
  const [group, setGroup] = useState<GroupDetailsView | null>(null);
  const [mentionSeen, setMentionSeen] = useState(false);
  const [searching, setSearching] = useState(false);
  const [viewing, setViewing] = useState<string | null>(null);
  /** The export dialog: the whole chat by range ('range') or the picked messages. */
  const [exporting, setExporting] = useState<'range' | ExportPicked | null>(null);
  const list = useRef<VirtualListHandle>(null);
  const isGroup = c.kind === 'group';

  // Drafts go to the server a moment after the typing stops (and when the conversation closes): all my devices see them.
  const draft = useRef<{ text: string; timer?: ReturnType<typeof setTimeout> } | null>(null);
  const flushDraft = () => {
    const d = draft.current;
    if (!d) return;
    clearTimeout(d.timer);
    draft.current = null;
    if ((store.conversation(c.id)?.draft ?? '') !== d.text) void store.saveDraft(c.id, d.text).catch(() => undefined);
  };
  const saveDraft = (text: string) => {
    clearTimeout(draft.current?.timer);
    draft.current = { text, timer: setTimeout(flushDraft, 1_500) };
  };
  useEffect(() => flushDraft, [c.id]);

  useEffect(() => {
    void store.open(c.id).catch((e: Error) => setNotice(e.message));
  }, [c.id]);
  // Voice messages: "play the next unplayed one" reads this conversation's timeline; leaving stops the playing one.
  useEffect(() => {
    setVoiceTimeline((id) => store.timeline(id).messages);
    return () => stopVoice();
  }, [c.id]);
  useEffect(() => {
    if (!isGroup) return;
    client.groups.open(c.id).then(setGroup, () => undefined);
  }, [c.id, isGroup]);

  // Read what is on screen: the newest, while the page is visible and the view rests at the bottom.
  useEffect(() => {
    const read = () => {
      if (document.visibilityState === 'visible' && list.current?.atBottom() !== false) void store.markRead(c.id).catch(() => undefined);
    };
    read();
    document.addEventListener('visibilitychange', read);
    return () => document.removeEventListener('visibilitychange', read);
  }, [c.id, timeline.newestSeq, atBottom]);

  const rows = useMemo(() => buildRows(timeline.messages, { now: Date.now(), readSeqAtOpen, group: isGroup }), [timeline.messages, readSeqAtOpen, isGroup]);
  const unreadAtOpen = atOpen.unread;
  const unreadRow = firstUnreadRow(rows);
  const mention = mentionSeen || readSeqAtOpen === undefined ? -1 : mentionRow(rows, me, readSeqAtOpen);

  const loadingOlder = useRef(false);
  const onNearTop = useCallback(() => {
    if (loadingOlder.current || !store.timeline(c.id).hasOlder) return;
    loadingOlder.current = true;
    void store.loadOlder(c.id).finally(() => {
      loadingOlder.current = false;
    });
  }, [c.id]);

  /** Loads older pages until `seq` is loaded, then shows its row. */
  const jumpToSeq = async (seq: number, rowOf: (rows: Row[]) => number) => {
    while (store.timeline(c.id).oldestSeq > seq && store.timeline(c.id).hasOlder) {
      if (!(await store.loadOlder(c.id))) break;
    }
    requestAnimationFrame(() => {
      const fresh = buildRows(store.timeline(c.id).messages, { now: Date.now(), readSeqAtOpen, group: isGroup });
      list.current?.scrollToIndex(rowOf(fresh));
    });
  };

  /**
   * Shows the message at `seq` (from a search result): older pages load
   * until it is in, then it scrolls into view and is highlighted a moment.
   */
  const flash = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const showSeq = async (seq: number) => {
    await store.open(c.id).catch(() => undefined);
    while (store.timeline(c.id).oldestSeq > seq && store.timeline(c.id).hasOlder) {
      if (!(await store.loadOlder(c.id).catch(() => false))) break;
    }
    const target = store.timeline(c.id).messages.find((m) => m.seq >= seq && m.seq > 0);
    if (!target) return;
    const bring = () => {
      const fresh = buildRows(store.timeline(c.id).messages, { now: Date.now(), readSeqAtOpen, group: isGroup });
      list.current?.scrollToIndex(fresh.findIndex((r) => r.kind === 'message' && r.message.seq === target.seq));
    };
    requestAnimationFrame(() => {
      bring();
      // Rows measured on the way may shift it: settle on the element itself.
      setTimeout(() => document.querySelector(`[data-testid="chat-history"] [data-seq="${target.seq}"]`)?.scrollIntoView({ block: 'center' }), 120);
    });
    setHighlight(target.id);
    clearTimeout(flash.current);
    flash.current = setTimeout(() => setHighlight((h) => (h === target.id ? null : h)), 2_500);
  };
  const jump = jumpTarget.value;
  useEffect(() => {
    const target = takeJump(c.id);
    if (target) void showSeq(target.seq);
  }, [c.id, jump]);
  useEffect(() => () => clearTimeout(flash.current), []);

  const keyOf = useCallback((r: Row) => r.key, []);
  const toggle = (m: ChatMessage) => {
    if (!m.id) return;
    setSelection((s) => {
      const next = new Set(s ?? []);
      if (next.has(m.id)) next.delete(m.id);
      else next.add(m.id);
      return next;
    });
  };
  const admin = group?.role === 'owner' || group?.role === 'admin';

  const openMenu = (m: ChatMessage, anchor: HTMLElement) => {
    const now = Date.now();
    const stored = !!m.id && m.seq > 0;
    const items: MenuItem[] = [];
    if (stored) items.push({ label: 'Reply', testId: 'menu-reply', run: () => (setEditing(null), setReplyTo(m)) });
    if (m.text) items.push({ label: 'Copy', testId: 'menu-copy', run: () => copyText(m.text!) });
    if (stored) items.push({ label: 'Forward', testId: 'menu-forward', run: () => setSheet({ kind: 'forward', ids: [m.id] }) });
    if (canEdit(m, me)) items.push({ label: 'Edit', testId: 'menu-edit', run: () => (setReplyTo(null), setEditing(m)) });
    if (canRecall(m, { me, now, admin })) {
      items.push({
        label: 'Recall',
        testId: 'menu-recall',
        run: () => store.recall(c.id, m.id).catch((e: Error) => setNotice(e.message)),
      });
    }
    if (stored) items.push({ label: 'Select', testId: 'menu-select', run: () => setSelection(new Set([m.id])) });
    if (stored) items.push({ label: 'Delete for me', testId: 'menu-delete', danger: true, run: () => store.hide(c.id, [m.id]).catch((e: Error) => setNotice(e.message)) });
    if (m.state === 'failed') {
      items.push({ label: 'Send again', testId: 'menu-retry', run: () => store.retry(c.id, m.key) });
      items.push({ label: 'Discard', testId: 'menu-discard', danger: true, run: () => store.discard(c.id, m.key) });
    }
    showMenu(anchor, items, 'message-menu');
  };

  const title = conversationTitle(c, nameOf);
  // In a group that keeps export to its owner and admins, a plain member sees the entry greyed out, with why.
  const mayExport = !isGroup || client.groups.permissions(c.id).export;
  const headerMenu = (anchor: HTMLElement) =>
    showMenu(
      anchor,
      [
        { label: 'Search in this chat', testId: 'menu-search-chat', run: () => setSearching(true) },
        {
          label: 'Export chat…',
          testId: 'menu-export-chat',
          run: () => setExporting('range'),
          ...(mayExport ? {} : { disabled: true, hint: 'Only the owner and admins can export this group’s chat.' }),
        },
      ],
      'chat-header-menu-list',
    );
  const exportSelected = () => {
    if (!selection) return;
    const ids = [...selection];
    const problem = pickedProblem(ids.length);
    if (problem) return setNotice(problem);
    if (!mayExport) return setNotice('Only the owner and admins can export this group’s chat.');
    const picked = timeline.messages.filter((m) => selection.has(m.id));
    const range = pickedRange(picked);
    if (!range) return setNotice('The selected messages are not loaded: select them again.');
    setExporting({ ids, range });
  };
  const typing = c.typingUntil !== undefined && c.typingUntil > Date.now();
  const members = group?.memberList ?? null;

  return (
    <section class="chat-view" data-testid="chat-view" data-id={c.id}>
      <header class="chat-header">
        <button class="icon-btn chat-back" type="button" aria-label="Back to chats" data-testid="chat-back" onClick={() => navigate(chatPath(null))}>
          <Icon name="arrow" />
        </button>
        {isGroup && (groupAvatarOf(c.id) ?? group?.avatar?.small) && <Avatar name={title} src={groupAvatarOf(c.id) ?? group?.avatar?.small} testId="chat-header-avatar" />}
        <div class="chat-header-title">
          <b data-testid="chat-title">{title}</b>
          {typing ? (
            <span class="chat-header-sub" data-testid="chat-typing">
              typing…
            </span>
          ) : isGroup && group ? (
            <span class="chat-header-sub">{group.members} members</span>
          ) : !isGroup && c.peer ? (
            <PresenceLine client={client} userId={c.peer.id} class="chat-header-sub" testId="chat-presence" />
          ) : null}
        </div>
        <div class="chat-header-actions" data-testid="chat-header-actions">
          <CallButtons conversation={c} />
          {headerActions.value.map((render, i) => (
            <span key={i}>{render(c)}</span>
          ))}
          <button
            class="icon-btn"
            type="button"
            aria-label="More"
            data-testid="chat-header-menu"
            onClick={(e) => headerMenu(e.currentTarget as HTMLElement)}
          >
            <Icon name="more" />
          </button>
        </div>
      </header>

      <div class="chat-history-wrap">
        <VirtualList
          items={rows}
          keyOf={keyOf}
          render={(row) => (
            <MessageRow
              row={row}
              me={me}
              group={isGroup}
              selecting={selection !== null}
              selected={row.kind === 'message' && selection?.has(row.message.id) === true}
              readCount={row.kind === 'message' && row.message.mine ? store.readCount(c.id, row.message.seq) : 0}
              highlight={row.kind === 'message' && row.message.id === highlight}
              onMenu={openMenu}
              onToggle={toggle}
              onRetry={(m) => void store.retry(c.id, m.key)}
              onReaders={(m) => setSheet({ kind: 'readers', message: m })}
              onOpenImage={(m) => setViewing(m.key)}
              onQuote={(id) => {
                const i = rows.findIndex((r) => r.kind === 'message' && r.message.id === id);
                if (i >= 0) {
                  list.current?.scrollToIndex(i);
                  setHighlight(id);
                }
              }}
            />
          )}
          estimate={56}
          anchorable={isMessageRow}
          onNearTop={onNearTop}
          onBottomChange={setAtBottom}
          handle={list}
          class="chat-history"
          testId="chat-history"
        />
        {timeline.loading && timeline.messages.length === 0 && <p class="chat-loading">Loading…</p>}
        <div class="chat-jumps">
          {mention >= 0 ? (
            <button
              class="chat-jump"
              type="button"
              data-testid="jump-mention"
              onClick={() => {
                setMentionSeen(true);
                const after = readSeqAtOpen ?? 0;
                const target = timeline.messages.find((m) => m.seq > after && !m.mine && (m.mentionAll || m.mentions?.includes(me ?? '')));
                if (target) void jumpToSeq(target.seq, (r) => mentionRow(r, me, after));
              }}
            >
              @ You were mentioned
            </button>
          ) : null}
          {unreadAtOpen >= 8 && unreadRow !== 0 && (
            <button class="chat-jump" type="button" data-testid="jump-unread" onClick={() => void jumpToSeq(atOpen.readSeq + 1, firstUnreadRow)}>
              ↑ {unreadAtOpen} new messages
            </button>
          )}
          {!atBottom && (
            <button class="chat-jump bottom" type="button" data-testid="jump-bottom" onClick={() => list.current?.scrollToBottom()}>
              ↓ Latest
            </button>
          )}
        </div>
      </div>

      <UnfinishedUploads client={client} conversationId={c.id} onProblem={setNotice} />

      {notice && (
        <div class="chat-notice" role="status" data-testid="chat-notice">
          {notice}
          <button class="icon-btn" type="button" aria-label="Dismiss" onClick={() => setNotice(null)}>
            <Icon name="close" />
          </button>
        </div>
      )}

      {selection ? (
        <div class="chat-select-bar" data-testid="select-bar">
          <span>{selection.size} selected</span>
          <button class="btn" type="button" disabled={selection.size === 0} data-testid="select-forward" onClick={() => setSheet({ kind: 'forward', ids: [...selection] })}>
            Forward
          </button>
          <button
            class="btn"
            type="button"
            disabled={selection.size === 0}
            data-testid="select-delete"
            onClick={() => {
              void store.hide(c.id, [...selection]).catch((e: Error) => setNotice(e.message));
              setSelection(null);
            }}
          >
            Delete
          </button>
          <button class="btn" type="button" disabled={selection.size === 0} title={mayExport ? undefined : 'Only the owner and admins can export this group’s chat.'} data-testid="select-export" onClick={exportSelected}>
            Export selected
          </button>
          <button class="btn btn-ghost" type="button" data-testid="select-cancel" onClick={() => setSelection(null)}>
            Cancel
          </button>
        </div>
      ) : (
        <Composer
          key={c.id}
          conversation={c}
          me={me}
          replyTo={replyTo}
          editing={editing}
          members={members}
          mayMentionAll={admin}
          onCancelReply={() => setReplyTo(null)}
          onCancelEdit={() => setEditing(null)}
          onSend={(text, options) => {
            store.send(c.id, text, { ...options, ...(replyTo ? { replyTo: replyTo.id } : {}) });
            setReplyTo(null);
            list.current?.scrollToBottom();
          }}
          onEdit={(m, text) => {
            setEditing(null);
            if (text !== m.text) void store.edit(c.id, m.id, text).catch((e: Error) => setNotice(e.message));
          }}
          onTyping={() => {
            if (!isGroup) store.typing(c.id);
          }}
          onDraft={(text) => saveDraft(text)}
          onFiles={(files, asFiles, keepLocation) => {
            void sendFiles(client, c.id, files, { asFiles, keepLocation, ...(replyTo ? { replyTo: replyTo.id } : {}) }).catch((e: Error) => setNotice(e.message));
            setReplyTo(null);
            list.current?.scrollToBottom();
          }}
          onVoice={(voice) => {
            sendVoice(client, c.id, voice, replyTo?.id ?? null);
            setReplyTo(null);
            list.current?.scrollToBottom();
          }}
        />
      )}

      {searching && (
        <InChatSearch
          client={client}
          conversation={c}
          onClose={() => setSearching(false)}
          onPick={(seq) => {
            setSearching(false);
            void showSeq(seq);
          }}
        />
      )}
      {viewing && <ImageViewer items={viewerItems(timeline.messages)} startKey={viewing} onClose={() => setViewing(null)} />}
      {exporting && (
        <ExportDialog
          client={client}
          conversationId={c.id}
          title={title}
          picked={exporting === 'range' ? null : exporting}
          onClose={(done) => {
            const picked = exporting !== 'range';
            setExporting(null);
            if (done) {
              if (picked) setSelection(null);
              setNotice(done);
            }
          }}
        />
      )}
      {sheet?.kind === 'readers' && <ReadersSheet client={client} conversationId={c.id} message={sheet.message} onClose={() => setSheet(null)} />}
      {sheet?.kind === 'forward' && (
        <ForwardSheet
          client={client}
          from={c.id}
          messageIds={sheet.ids}
          onClose={(done) => {
            setSheet(null);
            if (done) {
              setSelection(null);
              setNotice(done);
            }
          }}
        />
      )}
    </section>
  );
}
