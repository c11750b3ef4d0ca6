import { useEffect, useMemo, useState } from 'preact/hooks';
import { withLike, type CommentView, type MomentView } from '@muster/moments/client';
import { currentUser } from '../account/session.ts';
import { navigate } from '../app/router.ts';
import { feedPath } from './paths.ts';
import { PostCard, type PostActions } from './PostCard.tsx';
import { MomentsPane } from './MomentsPane.tsx';
import { errorText, everyFeed, moments } from './state.ts';

/**
 * One post (`/moments/p/<id>`), with all its comments. A post the viewer
 * may not see answers as one that does not exist: the not-found screen.
 */
export function PostPage({ momentId }: { momentId: string }) {
  const [post, setPost] = useState<MomentView | null>(null);
  const [state, setState] = useState<'loading' | 'shown' | 'missing' | 'failed'>('loading');
  const [error, setError] = useState('');

  const load = async () => {
    try {
      const p = await moments().api.one(momentId);
      // Past the 20 comments a post carries: the rest, a page at a time.
      let comments: CommentView[] = p.comments;
      if (p.commentCount > p.comments.length) {
        comments = [];
        let after: string | null = null;
        do {
          const page = await moments().api.comments(momentId, after);
          comments.push(...page.items);
          after = page.next;
        } while (after && comments.length < 500);
      }
      setPost({ ...p, comments });
      setState('shown');
    } catch (e) {
      if ((e as { code?: string }).code === 'NOT_FOUND') setState('missing');
      else {
        setError(errorText(e));
        setState('failed');
      }
    }
  };
  useEffect(() => void load(), [momentId]);

  const actions = useMemo<PostActions>(() => {
    const echo = (id: string) => everyFeed().forEach((f) => f.post(id) && void f.reload(id).catch(() => undefined));
    return {
      async like(p) {
        const me = currentUser.peek();
        if (!me) return;
        setPost(withLike(p, !p.likedByMe, { id: me.id, nickname: me.nickname, avatar: me.avatar, musterId: me.musterId }, Date.now()));
        try {
          await (p.likedByMe ? moments().api.unlike(p.id) : moments().api.like(p.id));
        } catch (e) {
          setPost(p);
          throw e;
        }
        echo(p.id);
      },
      async comment(p, text, replyTo) {
        await moments().api.comment(p.id, text, replyTo);
        // The post as the server has it now (the comment in its place among the others, a reply named).
        await load();
        echo(p.id);
      },
      async removeComment(p, commentId) {
        await moments().api.removeComment(p.id, commentId);
        await load();
        echo(p.id);
      },
      async setVisibility(p, visibility) {
        setPost(await moments().api.setVisibility(p.id, visibility));
        echo(p.id);
      },
      async remove(p) {
        await moments().api.remove(p.id);
        echo(p.id);
        navigate(feedPath('mine'), { replace: true });
      },
    };
  }, [momentId]);

  return (
    <MomentsPane title="Post" testId="moments-post">
      {state === 'loading' && <p class="moments-empty">Loading…</p>}
      {state === 'missing' && (
        <p class="moments-empty" data-testid="moments-not-found">
          This post does not exist, or you may not see it.
        </p>
      )}
      {state === 'failed' && (
        <p class="form-error moments-empty" role="alert">
          {error}
        </p>
      )}
      {state === 'shown' && post && <PostCard post={post} me={currentUser.value?.id ?? ''} actions={actions} now={Date.now()} />}
    </MomentsPane>
  );
}
