import { useEffect } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { currentRoute } from '../app/router.ts';
import { Icon } from '../ui/Icon.tsx';
import { FEED_VIEWS, composerPath, feedPath, noticesPath, type FeedView } from './paths.ts';
import { PostList } from './PostList.tsx';
import { feedFor, moments, momentsBadge } from './state.ts';
import { badgeText } from './viewModels.ts';

const VIEW_LABELS: Record<FeedView, string> = { all: 'All', friends: 'Friends', mine: 'Mine' };
const EMPTY: Record<FeedView, string> = {
  all: 'No posts yet. Share something with the + button.',
  friends: 'Your contacts have not posted yet.',
  mine: 'You have not posted yet.',
};

/**
 * The feed: All, Friends or Mine (the switcher under the title on a
 * desktop, at the bottom above the tab bar on a phone, where a thumb
 * reaches it), new posts by friends since the tab opened, the notices and
 * the composer.
 */
export function FeedPage({ view }: { view: FeedView }) {
  const feed = feedFor({ view });
  const badge = momentsBadge.value;
  // Opened, or its tab pressed again while open: friends' posts until now are seen.
  const visit = currentRoute.value.visit;
  useEffect(() => {
    void moments().markSeen().catch(() => undefined);
  }, [visit]);
  return (
    <div class="moments-page" data-testid="moments-feed" data-view={view}>
      <header class="moments-head">
        <h1>Moments</h1>
        <Link class="icon-btn moments-notices-link" href={noticesPath} title="Likes and comments" aria-label="Likes and comments" data-testid="moments-notices-link">
          <Icon name="chat" />
          {badge.unreadNotices > 0 && (
            <span class="chat-badge moments-count" data-testid="moments-notices-count">
              {badgeText(badge.unreadNotices)}
            </span>
          )}
        </Link>
        <Link class="btn btn-primary btn-small moments-compose" href={composerPath} aria-label="New post" data-testid="moments-compose">
          <Icon name="plus" />
          <span>Post</span>
        </Link>
      </header>
      <nav class="segmented moments-views" role="tablist" aria-label="Which posts" data-testid="moments-views">
        {FEED_VIEWS.map((v) => (
          <Link key={v} class={`moments-view${v === view ? ' active' : ''}`} href={feedPath(v)} role="tab" aria-selected={v === view} data-testid={`moments-view-${v}`}>
            {VIEW_LABELS[v]}
          </Link>
        ))}
      </nav>
      {badge.newPosts > 0 && (
        <button
          type="button"
          class="btn btn-ghost btn-small moments-new-posts"
          data-testid="moments-new-posts"
          onClick={() => {
            void feed.refresh();
            void moments().markSeen().catch(() => undefined);
          }}
        >
          New posts ({badgeText(badge.newPosts)})
        </button>
      )}
      <PostList key={view} feed={feed} empty={EMPTY[view]} />
    </div>
  );
}
