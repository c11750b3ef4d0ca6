import { useEffect, useRef, useState } from 'preact/hooks';
import { MAX_COMMENT_CHARS, type CommentView } from '@muster/moments/client';
import { errorText } from './state.ts';

/** The comment box under a post: a comment, or a reply to the comment tapped (named in the placeholder). Enter sends. */
export function CommentBox({ replyTo, onSend, onCancel }: { replyTo: CommentView | null; onSend: (text: string) => Promise<void>; onCancel: () => void }) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState('');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), [replyTo?.id]);
  const send = async (e: Event) => {
    e.preventDefault();
    const t = text.trim();
    if (!t || sending) return;
    setSending(true);
    setError('');
    try {
      await onSend(t);
      setText('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSending(false);
    }
  };
  return (
    <form class="moment-comment-box" data-testid="moment-comment-box" onSubmit={(e) => void send(e)}>
      <input
        ref={input}
        class="input"
        value={text}
        maxLength={MAX_COMMENT_CHARS}
        placeholder={replyTo ? `Reply to ${replyTo.author.nickname}` : 'Comment'}
        data-testid="moment-comment-input"
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
      />
      <button type="submit" class="btn btn-primary btn-small" disabled={!text.trim() || sending} data-testid="moment-comment-send">
        Send
      </button>
      {error && (
        <span class="form-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
