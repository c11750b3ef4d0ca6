import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { MomentsFeed } from '@muster/moments/client';
import { currentUser } from '../account/session.ts';
import { feedActions } from './actions.ts';
import { PostCard } from './PostCard.tsx';
import { errorText, useFeed } from './state.ts';

/**
 * A feed's posts, newest first, a page at a time: the next older page loads
 * when the end of the list comes near (or on "More"), so a long feed never
 * draws more than the pages scrolled through.
 */
export function PostList({ feed, empty }: { feed: MomentsFeed; empty: string }) {
  const snap = useFeed(feed);
  const actions = useMemo(() => feedActions(feed), [feed]);
  const end = useRef<HTMLDivElement>(null);
  const me = currentUser.value?.id ?? '';
  useEffect(() => {
    const el = end.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && feed.snapshot.next !== null && !feed.snapshot.loading) void feed.more();
    }, { rootMargin: '400px' });
    seen.observe(el);
    return () => seen.disconnect();
  }, [feed, snap.loaded]);
  const now = Date.now();
  return (
    <div class="moments-list" data-testid="moments-list" data-loaded={snap.loaded ? 'true' : undefined}>
      {snap.items.map((post) => (
        <PostCard key={post.id} post={post} me={me} actions={actions} now={now} />
      ))}
      {snap.loaded && snap.items.length === 0 && !snap.error && (
        <p class="moments-empty" data-testid="moments-empty">
          {empty}
        </p>
      )}
      {snap.error && (
        <p class="form-error moments-empty" role="alert" data-testid="moments-feed-error">
          {errorText({ code: snap.error })}{' '}
          <button type="button" class="btn btn-ghost btn-small" onClick={() => void feed.refresh()}>
            Try again
          </button>
        </p>
      )}
      <div ref={end} class="moments-end">
        {snap.loading ? (
          <span class="moments-loading">Loading…</span>
        ) : (
          snap.next !== null && (
            <button type="button" class="btn btn-ghost btn-small" data-testid="moments-more" onClick={() => void feed.more()}>
              More
            </button>
          )
        )}
      </div>
    </div>
  );
}
