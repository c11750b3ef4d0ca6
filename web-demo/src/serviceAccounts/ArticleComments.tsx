import { useEffect, useState } from 'preact/hooks';
import type { CommentView } from '@muster/channels/client';
import { channels, notices } from './state.ts';
import { commentBadges, errorText, shortTime } from './viewModels.ts';

/**
 * Comments under an article: the approved ones (pinned first) and my own
 * pending ones, marked "awaiting approval"; the account's replies; a box to
 * write one (none when comments are off). A notice about one of mine
 * (approved live) reloads the list.
 */
export function ArticleComments({ articleId, editor }: { articleId: string; editor: boolean }) {
  const [comments, setComments] = useState<CommentView[] | null>(null);
  const [enabled, setEnabled] = useState(true);
  const [next, setNext] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const load = () =>
    channels().comments(articleId).then(
      (page) => {
        setComments(page.comments);
        setEnabled(page.commentsEnabled);
        setNext(page.next);
      },
      (e) => setError(errorText(e)),
    );
  const latestNotice = notices.value.find((n) => n.articleId === articleId)?.id;
  useEffect(() => void load(), [articleId, latestNotice]);
  const send = async (event: Event) => {
    event.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    setError('');
    try {
      await channels().comment(articleId, text);
      setText('');
      await load();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const more = () =>
    next &&
    channels().comments(articleId, next).then((page) => {
      setComments((c) => [...(c ?? []), ...page.comments]);
      setNext(page.next);
    }, (e) => setError(errorText(e)));
  return (
    <section class="sa-comments" data-testid="article-comments">
      <h3>Comments</h3>
      {enabled ? (
        <form class="sa-comment-form" onSubmit={(e) => void send(e)}>
          <textarea class="input" rows={2} maxLength={600} placeholder="Write a comment (shown once the editors approve it)" value={text} data-testid="comment-input" onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          <button class="btn btn-primary" type="submit" disabled={busy || !text.trim()} data-testid="comment-send">
            Send
          </button>
        </form>
      ) : (
        <p class="sa-empty" data-testid="comments-closed">
          Comments are off.
        </p>
      )}
      <p class="form-error" role="alert">
        {error}
      </p>
      {comments && comments.length === 0 && enabled && <p class="sa-empty">No comments yet.</p>}
      <ul class="sa-comment-list">
        {(comments ?? []).map((c) => (
          <li key={c.id} class={`sa-comment${c.pinned ? ' pinned' : ''}`} data-testid="comment" data-id={c.id} data-state={c.state}>
            <div class="sa-comment-head">
              <strong>{c.author?.nickname ?? 'Someone'}</strong>
              <span class="sa-comment-time">{shortTime(c.createdAt)}</span>
              {commentBadges(c).map((b) => (
                <span key={b} class={`sa-badge sa-badge-${b.toLowerCase().replace(/\s+/g, '-')}`} data-testid="comment-badge">
                  {b}
                </span>
              ))}
            </div>
            <p class="sa-comment-text" data-testid="comment-text">
              {c.text}
            </p>
            {c.reply && (
              <p class="sa-reply" data-testid="comment-reply">
                <strong>Editor’s reply:</strong> {c.reply.text}
              </p>
            )}
            {editor && c.reasons && c.reasons.length > 0 && <p class="sa-reasons">{c.reasons.join('; ')}</p>}
          </li>
        ))}
      </ul>
      {next && (
        <button class="btn btn-ghost" type="button" onClick={() => void more()}>
          More comments
        </button>
      )}
    </section>
  );
}
