import { useEffect, useState } from 'preact/hooks';
import type { ArticleSummary, CommentView, QueueFilter } from '@muster/channels/client';
import { Link } from '../app/Link.tsx';
import { accountPath, articlePath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { channels } from './state.ts';
import { commentBadges, errorText, shortTime } from './viewModels.ts';

type Show = 'pending' | 'approved' | 'flagged' | 'all';
const filterOf = (show: Show, articleId: string): QueueFilter => ({
  ...(show === 'pending' || show === 'approved' ? { state: show } : {}),
  ...(show === 'flagged' ? { flagged: true } : {}),
  ...(articleId ? { articleId } : {}),
});

/** The moderation queue of an account (its editors): filter, approve, delete, reply, pin. */
export function Moderation({ serviceAccountId }: { serviceAccountId: string }) {
  const [show, setShow] = useState<Show>('pending');
  const [articleId, setArticleId] = useState('');
  const [articles, setArticles] = useState<ArticleSummary[]>([]);
  const [comments, setComments] = useState<CommentView[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [replying, setReplying] = useState<{ id: string; text: string } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    channels().articles(serviceAccountId, { limit: 50 }).then((p) => setArticles(p.articles), () => undefined);
  }, [serviceAccountId]);
  const load = () =>
    channels().queue(serviceAccountId, filterOf(show, articleId)).then(
      (page) => {
        setComments(page.comments);
        setNext(page.next);
      },
      (e) => setError(errorText(e)),
    );
  useEffect(() => void load(), [serviceAccountId, show, articleId]);
  const more = () =>
    next &&
    channels().queue(serviceAccountId, { ...filterOf(show, articleId), before: next }).then((page) => {
      setComments((c) => [...(c ?? []), ...page.comments]);
      setNext(page.next);
    }, (e) => setError(errorText(e)));
  const act = async (work: Promise<unknown>) => {
    setError('');
    try {
      await work;
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <SaPane title="Comments to moderate" back={accountPath(serviceAccountId)} testId="sa-moderation">
      <div class="sa-filters">
        <select class="input" value={show} data-testid="moderation-state" onChange={(e) => setShow((e.target as HTMLSelectElement).value as Show)}>
          <option value="pending">Pending</option>
          <option value="approved">Approved</option>
          <option value="flagged">Flagged</option>
          <option value="all">All</option>
        </select>
        <select class="input" value={articleId} data-testid="moderation-article" onChange={(e) => setArticleId((e.target as HTMLSelectElement).value)}>
          <option value="">All articles</option>
          {articles.map((a) => (
            <option key={a.id} value={a.id}>
              {a.title}
            </option>
          ))}
        </select>
      </div>
      <p class="form-error" role="alert">
        {error}
      </p>
      {comments?.length === 0 && <p class="sa-empty" data-testid="moderation-empty">Nothing here.</p>}
      <ul class="sa-comment-list">
        {(comments ?? []).map((c) => (
          <li key={c.id} class={`sa-comment${c.flagged ? ' flagged' : ''}`} data-testid="moderation-comment" data-id={c.id} data-state={c.state}>
            <div class="sa-comment-head">
              <strong>{c.author?.nickname ?? 'Someone'}</strong>
              <span class="sa-comment-time">{shortTime(c.createdAt)}</span>
              <Link href={articlePath(c.articleId)} class="sa-comment-article">
                {c.articleTitle ?? 'Article'}
              </Link>
              {commentBadges({ ...c, mine: false }).map((b) => (
                <span key={b} class="sa-badge">
                  {b}
                </span>
              ))}
            </div>
            <p class="sa-comment-text">{c.text}</p>
            {c.reasons && c.reasons.length > 0 && <p class="sa-reasons">Flagged: {c.reasons.join('; ')}</p>}
            {c.reply && <p class="sa-reply">Reply: {c.reply.text}</p>}
            <div class="sa-comment-tools">
              {c.state === 'pending' && (
                <button class="btn btn-primary" type="button" data-testid="moderation-approve" onClick={() => void act(channels().approve(c.id))}>
                  Approve
                </button>
              )}
              {c.state === 'approved' && (
                <button class="btn btn-ghost" type="button" data-testid="moderation-pin" onClick={() => void act(channels().pin(c.id, !c.pinned))}>
                  {c.pinned ? 'Unpin' : 'Pin'}
                </button>
              )}
              <button class="btn btn-ghost" type="button" data-testid="moderation-reply" onClick={() => setReplying({ id: c.id, text: c.reply?.text ?? '' })}>
                Reply
              </button>
              <button class="btn btn-danger" type="button" data-testid="moderation-delete" onClick={() => void act(channels().deleteComment(c.id))}>
                Delete
              </button>
            </div>
            {replying?.id === c.id && (
              <form
                class="sa-comment-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  const text = replying.text.trim();
                  setReplying(null);
                  void act(channels().reply(c.id, text ? text : null));
                }}
              >
                <textarea class="input" rows={2} maxLength={600} value={replying.text} data-testid="moderation-reply-input" onInput={(e) => setReplying({ id: c.id, text: (e.target as HTMLTextAreaElement).value })} />
                <button class="btn btn-primary" type="submit" data-testid="moderation-reply-send">
                  Send reply
                </button>
              </form>
            )}
          </li>
        ))}
      </ul>
      {next && (
        <button class="btn btn-ghost" type="button" onClick={() => void more()}>
          More
        </button>
      )}
    </SaPane>
  );
}
