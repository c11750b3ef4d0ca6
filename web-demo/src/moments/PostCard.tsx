import { useState } from 'preact/hooks';
import { MAX_REASON_CHARS, VISIBILITIES, type CommentView, type MomentView, type Visibility } from '@muster/moments/client';
import { Link } from '../app/Link.tsx';
import { relativeTime } from '../lib/time.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { CommentBox } from './CommentBox.tsx';
import { postPath, profilePath } from './paths.ts';
import { PostMedia } from './PostMedia.tsx';
import { errorText, moments } from './state.ts';
import { VISIBILITY_LABELS, likesLine, visibilityHint } from './viewModels.ts';

/** What a post's buttons do: a feed's (feedActions) or the single post page's. */
export interface PostActions {
  like(post: MomentView): Promise<void>;
  comment(post: MomentView, text: string, replyTo: string | null): Promise<void>;
  removeComment(post: MomentView, commentId: string): Promise<void>;
  setVisibility(post: MomentView, visibility: Visibility): Promise<void>;
  remove(post: MomentView): Promise<void>;
}

/**
 * One post: its author (to their profile), text, pictures or video,
 * location and time; its likes and comments as the server sends them (it
 * has already left out what the viewer may not see); the heart, a comment
 * box (a tap on a comment answers it); on my own posts who sees them
 * (changeable) and delete, on others' report.
 */
export function PostCard({ post, me, actions, now }: { post: MomentView; me: string; actions: PostActions; now: number }) {
  const mine = post.author.id === me;
  const [commenting, setCommenting] = useState(false);
  const [replyTo, setReplyTo] = useState<CommentView | null>(null);
  const [error, setError] = useState('');
  const run = (work: Promise<unknown>) => {
    setError('');
    work.catch((e: unknown) => setError(errorText(e)));
  };
  const answer = (c: CommentView) => {
    setReplyTo(c.author.id === me ? null : c);
    setCommenting(true);
  };
  return (
    <article class="moment" data-testid="moment" data-moment-id={post.id} data-mine={mine ? 'true' : undefined}>
      <Link class="moment-avatar" href={profilePath(post.author.id)} aria-hidden="true" tabIndex={-1}>
        <Avatar name={post.author.nickname} src={post.author.avatar?.small} size="md" />
      </Link>
      <div class="moment-main">
        <Link class="moment-author" href={profilePath(post.author.id)} data-testid="moment-author">
          {post.author.nickname}
        </Link>
        {post.text && (
          <p class="moment-text" data-testid="moment-text">
            {post.text}
          </p>
        )}
        <PostMedia post={post} />
        {post.location && (
          <p class="moment-location" data-testid="moment-location">
            {post.location}
          </p>
        )}
        <div class="moment-meta">
          <Link class="moment-time" href={postPath(post.id)} data-testid="moment-time">
            {relativeTime(post.createdAt, now)}
          </Link>
          {post.visibility && <VisibilityPicker value={post.visibility} onChange={(v) => run(actions.setVisibility(post, v))} />}
          <span class="moment-meta-gap" />
          <button
            type="button"
            class={`moment-act${post.likedByMe ? ' liked' : ''}`}
            aria-pressed={post.likedByMe}
            aria-label={post.likedByMe ? 'Unlike' : 'Like'}
            data-testid="moment-like"
            onClick={() => run(actions.like(post))}
          >
            <Heart filled={post.likedByMe} />
            {post.likeCount > 0 && <span data-testid="moment-like-count">{post.likeCount}</span>}
          </button>
          <button type="button" class="moment-act" aria-label="Comment" data-testid="moment-comment-open" onClick={() => (setReplyTo(null), setCommenting(true))}>
            <Icon name="chat" />
            {post.commentCount > 0 && <span data-testid="moment-comment-count">{post.commentCount}</span>}
          </button>
          {mine ? <DeleteButton onDelete={() => run(actions.remove(post))} /> : <ReportButton momentId={post.id} />}
        </div>
        {(post.likes.length > 0 || post.comments.length > 0) && (
          <div class="moment-reactions">
            {post.likes.length > 0 && (
              <p class="moment-likes" data-testid="moment-likes">
                <Heart filled />
                {likesLine(post.likes, post.likeCount)}
              </p>
            )}
            {post.comments.length > 0 && (
              <ul class="moment-comments" data-testid="moment-comments">
                {post.comments.map((c) => (
                  <li key={c.id} class="moment-comment" data-testid="moment-comment" data-comment-id={c.id} data-author-id={c.author.id}>
                    <button type="button" class="moment-comment-body" title="Reply" onClick={() => answer(c)}>
                      <span class="moment-comment-author">{c.author.nickname}</span>
                      {c.replyTo && (
                        <>
                          {' replied to '}
                          <span class="moment-comment-author">{c.replyTo.user.nickname}</span>
                        </>
                      )}
                      {': '}
                      <span data-testid="moment-comment-text">{c.text}</span>
                    </button>
                    {(c.author.id === me || mine) && (
                      <button type="button" class="icon-btn moment-comment-delete" aria-label="Delete the comment" data-testid="moment-comment-delete" onClick={() => run(actions.removeComment(post, c.id))}>
                        <Icon name="close" />
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            )}
            {post.commentCount > post.comments.length && (
              <Link class="moment-more-comments" href={postPath(post.id)} data-testid="moment-more-comments">
                All {post.commentCount} comments
              </Link>
            )}
          </div>
        )}
        {commenting && (
          <CommentBox
            replyTo={replyTo}
            onCancel={() => (setCommenting(false), setReplyTo(null))}
            onSend={async (text) => {
              await actions.comment(post, text, replyTo?.id ?? null);
              setCommenting(false);
              setReplyTo(null);
            }}
          />
        )}
        <p class="form-error moment-error" role="alert" data-testid="moment-error">
          {error}
        </p>
      </div>
    </article>
  );
}

function Heart({ filled }: { filled: boolean }) {
  return (
    <svg class="icon moment-heart" viewBox="0 0 24 24" aria-hidden="true">
      <path d="M12 20s-7-4.4-9.2-8.6C1.3 8.4 3 5 6.3 5c2 0 3.2 1.1 3.7 2 .5-.9 1.7-2 3.7-2C17 5 18.7 8.4 17.2 11.4 15 15.6 12 20 12 20Z" transform="translate(2 0)" fill={filled ? 'currentColor' : 'none'} stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
    </svg>
  );
}

/** Who sees my post, changeable at any time (PATCH). */
function VisibilityPicker({ value, onChange }: { value: Visibility; onChange: (v: Visibility) => void }) {
  return (
    <label class="moment-visibility" title={visibilityHint(value)}>
      <span class="visually-hidden">Who sees it</span>
      <select data-testid="moment-visibility" value={value} onChange={(e) => onChange(e.currentTarget.value as Visibility)}>
        {VISIBILITIES.map((v) => (
          <option key={v} value={v}>
            {VISIBILITY_LABELS[v]}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Delete, asked once more (it cannot be undone). */
function DeleteButton({ onDelete }: { onDelete: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="moment-act" aria-label="Delete" title="Delete" data-testid="moment-delete" onClick={() => setAsking(true)}>
        <Icon name="trash" />
      </button>
    );
  }
  return (
    <span class="moment-confirm" role="alertdialog" aria-label="Delete this post?" data-testid="moment-delete-confirm">
      Delete?
      <button type="button" class="btn btn-ghost btn-small" data-testid="moment-delete-cancel" onClick={() => setAsking(false)}>
        Cancel
      </button>
      <button type="button" class="btn btn-danger btn-small" data-testid="moment-delete-yes" onClick={() => (setAsking(false), onDelete())}>
        Delete
      </button>
    </span>
  );
}

/** Report someone else's post to the admins, with a reason. */
function ReportButton({ momentId }: { momentId: string }) {
  const [state, setState] = useState<'idle' | 'asking' | 'sending' | 'done'>('idle');
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  if (state === 'done') return <span class="moment-reported" data-testid="moment-reported">Reported</span>;
  if (state === 'idle') {
    return (
      <button type="button" class="moment-act" aria-label="Report" title="Report" data-testid="moment-report" onClick={() => setState('asking')}>
        <Icon name="alert" />
      </button>
    );
  }
  const send = async (e: Event) => {
    e.preventDefault();
    if (!reason.trim()) return setError('Say what is wrong.');
    setState('sending');
    try {
      await moments().api.report(momentId, reason.trim());
      setState('done');
    } catch (err) {
      setError(errorText(err));
      setState('asking');
    }
  };
  return (
    <form class="moment-report-form" onSubmit={(e) => void send(e)} data-testid="moment-report-form">
      <input class="input" value={reason} maxLength={MAX_REASON_CHARS} placeholder="What is wrong with this post?" data-testid="moment-report-reason" onInput={(e) => setReason(e.currentTarget.value)} />
      <button type="button" class="btn btn-ghost btn-small" onClick={() => setState('idle')}>
        Cancel
      </button>
      <button type="submit" class="btn btn-primary btn-small" disabled={state === 'sending'} data-testid="moment-report-send">
        Report
      </button>
      {error && <span class="form-error">{error}</span>}
    </form>
  );
}
