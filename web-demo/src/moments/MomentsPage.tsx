import { Composer } from './Composer.tsx';
import { FeedPage } from './FeedPage.tsx';
import { NoticesPage } from './NoticesPage.tsx';
import { feedViewOf, type MomentsRoute } from './paths.ts';
import { PostPage } from './PostPage.tsx';
import { ProfilePage } from './ProfilePage.tsx';
import { momentsClient } from './state.ts';
import './moments.css';

/**
 * The Moments tab (战友圈): the feed with its three views, the composer,
 * the notices, one post and a person's posts, one screen each. The SDK
 * (`@muster/moments/client`) comes with the sign-in (state.ts).
 */
export function MomentsPage({ route }: { route: MomentsRoute }) {
  // A frame without the SDK (just signed in) draws the frame, not an error.
  if (!momentsClient.value) return <section class="moments" data-testid="moments" data-route={route.name} />;
  return (
    <section class={`moments at-${route.name}`} data-testid="moments" data-route={route.name}>
      {page(route)}
    </section>
  );
}

function page(route: MomentsRoute) {
  switch (route.name) {
    case 'momentsNew':
      return <Composer />;
    case 'momentsNotices':
      return <NoticesPage />;
    case 'momentsPost':
      return <PostPage key={route.momentId} momentId={route.momentId} />;
    case 'momentsProfile':
      return <ProfilePage key={route.userId} userId={route.userId} />;
    default:
      // The view is in the query (`?view=`): the route stays one, and the address bar says which.
      return <FeedPage key={location.search} view={feedViewOf(location.search)} />;
  }
}
