import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ChatMessage, ConversationState, GroupMemberView } from '@muster/im/client';
import { Icon } from '../ui/Icon.tsx';
import { AttachButton, VoiceButton } from './media/ComposerMedia.tsx';
import type { RecordedVoice } from './media/media.ts';
import { askNotificationPermission, nameOf } from './state.ts';
import { EMOJI, MAX_TEXT_BYTES, insertMention, isSingleEmoji, mentionQuery, mentionsIn, messageSummary, utf8Bytes } from './viewModel.ts';

/** Unsent text per conversation, kept while the tab lives (and sent to the server's drafts when it has them). */
const drafts = new Map<string, string>();

export interface ComposerProps {
  conversation: ConversationState;
  me: string | null;
  replyTo: ChatMessage | null;
  editing: ChatMessage | null;
  /** Group members for the @ picker (null: not a group, or not loaded). */
  members: readonly GroupMemberView[] | null;
  /** Whether I may @everyone (group owners and admins). */
  mayMentionAll: boolean;
  onCancelReply: () => void;
  onCancelEdit: () => void;
  onSend: (text: string, options: { mentions: string[]; mentionAll: boolean; type: 'text' | 'emoji' }) => void;
  onEdit: (message: ChatMessage, text: string) => void;
  onTyping: () => void;
  onDraft?: (text: string) => void;
  /** Picked photos, videos or files (each is sent as its own message); `asFiles`: the "File" choice. */
  onFiles?: (files: File[], asFiles: boolean, keepLocation: boolean) => void;
  /** A recorded voice message. */
  onVoice?: (voice: RecordedVoice) => void;
}

/**
 * The message composer: Enter sends (Shift+Enter: a new line), a built-in
 * emoji panel, the @mention picker in groups, a reply's quote, editing a
 * sent message, the 2048-byte limit counted as the server counts it.
 */
export function Composer(props: ComposerProps) {
  const { conversation: c } = props;
  const [text, setText] = useState(() => drafts.get(c.id) ?? c.draft ?? '');
  const [emojiOpen, setEmojiOpen] = useState(false);
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const picked = useRef(new Map<string, string>());
  const mentionAll = useRef(false);
  const input = useRef<HTMLTextAreaElement>(null);

  // Editing: the message's text in the box.
  // A layout effect: it runs with the render that shows "editing", not after the next frame (a background
  // tab's frames wait), so what the person types at once is not overwritten by the message's old text.
  useLayoutEffect(() => {
    if (props.editing) {
      setText(props.editing.text ?? '');
      input.current?.focus();
    }
  }, [props.editing?.key]);
  useEffect(() => {
    if (props.replyTo) input.current?.focus();
  }, [props.replyTo?.key]);

  // Grow with the text, up to the CSS max-height.
  useEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);

  const bytes = utf8Bytes(text);
  const tooLong = bytes > MAX_TEXT_BYTES;

  const candidates = useMemo(() => {
    if (!mention || !props.members) return [];
    const q = mention.query.toLowerCase();
    const people = props.members
      .filter((m) => m.userId !== props.me)
      .filter((m) => !q || m.displayName.toLowerCase().includes(q) || m.nickname.toLowerCase().includes(q))
      .slice(0, 8)
      .map((m) => ({ id: m.userId, name: m.displayName || m.nickname }));
    return props.mayMentionAll && (!q || 'everyone'.startsWith(q)) ? [{ id: '*', name: 'everyone' }, ...people] : people;
  }, [mention, props.members, props.me, props.mayMentionAll]);

  const change = (value: string, caret: number) => {
    setText(value);
    setError(null);
    drafts.set(c.id, value);
    props.onDraft?.(value);
    if (value && !props.editing) props.onTyping();
    setMention(props.members ? mentionQuery(value, caret) : null);
  };

  const pickMention = (id: string, name: string) => {
    const el = input.current;
    if (!el || !mention) return;
    const next = insertMention(text, mention.start, el.selectionStart ?? text.length, name);
    if (id === '*') mentionAll.current = true;
    else picked.current.set(id, name);
    setText(next.text);
    drafts.set(c.id, next.text);
    setMention(null);
    placeCaret(el, next.text, next.caret);
  };

  const insert = (s: string) => {
    const el = input.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const value = text.slice(0, start) + s + text.slice(end);
    change(value, start + s.length);
    if (el) placeCaret(el, value, start + s.length);
  };

  const submit = () => {
    const value = text.trim();
    if (!value) return;
    if (tooLong) {
      setError(`Too long: ${bytes} of ${MAX_TEXT_BYTES} bytes`);
      return;
    }
    askNotificationPermission();
    if (props.editing) {
      props.onEdit(props.editing, value);
    } else {
      const all = mentionAll.current && value.includes('@everyone');
      props.onSend(value, { mentions: mentionsIn(value, picked.current), mentionAll: all, type: isSingleEmoji(value) ? 'emoji' : 'text' });
    }
    picked.current.clear();
    mentionAll.current = false;
    setText('');
    drafts.delete(c.id);
    props.onDraft?.('');
    setEmojiOpen(false);
    input.current?.focus();
  };

  return (
    <div class="composer" data-testid="composer">
      {props.replyTo && (
        <div class="composer-context" data-testid="composer-reply">
          <span>
            Replying to <b>{nameOf(props.replyTo.senderId)}</b>: {messageSummary(props.replyTo, nameOf, props.me)}
          </span>
          <button class="icon-btn" type="button" aria-label="Cancel the reply" onClick={props.onCancelReply}>
            <Icon name="close" />
          </button>
        </div>
      )}
      {props.editing && (
        <div class="composer-context" data-testid="composer-editing">
          <span>Editing your message</span>
          <button
            class="icon-btn"
            type="button"
            aria-label="Cancel editing"
            onClick={() => {
              setText('');
              props.onCancelEdit();
            }}
          >
            <Icon name="close" />
          </button>
        </div>
      )}
      {mention && candidates.length > 0 && (
        <ul class="mention-picker" data-testid="mention-picker" role="listbox">
          {candidates.map((m) => (
            <li key={m.id}>
              <button type="button" role="option" data-testid="mention-option" onPointerDown={(e) => e.preventDefault()} onClick={() => pickMention(m.id, m.name)}>
                @{m.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {emojiOpen && (
        <div class="emoji-panel" data-testid="emoji-panel" role="listbox" aria-label="Emoji">
          {EMOJI.map((e) => (
            <button key={e} type="button" class="emoji-btn" data-testid="emoji-option" onPointerDown={(ev) => ev.preventDefault()} onClick={() => insert(e)}>
              {e}
            </button>
          ))}
        </div>
      )}
      <div class="composer-row">
        {props.onVoice && !props.editing && <VoiceButton onVoice={props.onVoice} onError={setError} />}
        <button class={`icon-btn${emojiOpen ? ' active' : ''}`} type="button" aria-label="Emoji" title="Emoji" data-testid="composer-emoji" onClick={() => setEmojiOpen(!emojiOpen)}>
          <Icon name="smile" />
        </button>
        <textarea
          ref={input}
          class="composer-input"
          rows={1}
          placeholder={props.editing ? 'Edit your message' : 'Message'}
          value={text}
          data-testid="composer-input"
          aria-label="Message"
          onInput={(e) => change(e.currentTarget.value, e.currentTarget.selectionStart ?? e.currentTarget.value.length)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              if (mention && candidates.length > 0) pickMention(candidates[0]!.id, candidates[0]!.name);
              else submit();
            } else if (e.key === 'Escape') {
              if (mention) setMention(null);
              else if (props.editing) props.onCancelEdit();
              else if (props.replyTo) props.onCancelReply();
            }
          }}
        />
        {props.onFiles && !props.editing && <AttachButton onFiles={props.onFiles} />}
        <button class="btn btn-primary composer-send" type="button" data-testid="composer-send" disabled={!text.trim()} onClick={submit}>
          {props.editing ? 'Save' : 'Send'}
        </button>
      </div>
      {(error || bytes > MAX_TEXT_BYTES - 200) && (
        <div class={`composer-limit${tooLong ? ' over' : ''}`} data-testid="composer-limit">
          {error ?? `${bytes} / ${MAX_TEXT_BYTES} bytes`}
        </div>
      )}
    </div>
  );
}

/**
 * Puts the caret where an insertion (a mention, an emoji) ended, once the
 * new text is rendered; not if the person typed on meanwhile (the input no
 * longer holds that text): moving the caret then would scatter what they type.
 */
function placeCaret(el: HTMLTextAreaElement | HTMLInputElement, text: string, caret: number): void {
  requestAnimationFrame(() => {
    el.focus();
    if (el.value === text) el.setSelectionRange(caret, caret);
  });
}
