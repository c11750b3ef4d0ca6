import { useEffect, useState } from 'preact/hooks';
import type { NoticeView } from '@muster/moments/client';
import { Link } from '../app/Link.tsx';
import { useCachedImage } from '../chats/media/media.ts';
import { relativeTime } from '../lib/time.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { MomentsPane } from './MomentsPane.tsx';
import { postPath } from './paths.ts';
import { errorText, moments } from './state.ts';
import { noticeText } from './viewModels.ts';

/**
 * Likes and comments on my posts, and replies to my comments, newest
 * first, a page at a time; opening the list marks them all read (the
 * unread ones keep their mark while it is shown). New ones come in live.
 */
export function NoticesPage() {
  const [items, setItems] = useState<NoticeView[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');

  const load = async (before: string | null) => {
    setLoading(true);
    try {
      const page = await moments().api.notices(before);
      setItems((old) => {
        const base = before ? old : [];
        const have = new Set(base.map((n) => n.id));
        return [...base, ...page.items.filter((n) => !have.has(n.id))];
      });
      setNext(page.next);
      setLoaded(true);
      setError('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    void load(null).then(() => moments().markNoticesRead().catch(() => undefined));
    // A new one while the list is open: on top, and read, since it is seen.
    return moments().onNotice((n) => {
      setItems((old) => [n, ...old.filter((o) => o.id !== n.id)]);
      void moments().markNoticesRead().catch(() => undefined);
    });
  }, []);

  return (
    <MomentsPane title="Likes and comments" testId="moments-notices">
      <ul class="moments-notices" data-testid="moments-notice-list">
        {items.map((n) => (
          <li key={n.id}>
            <Link class={`moments-notice${n.read ? '' : ' unread'}`} href={postPath(n.moment.id)} data-testid="moment-notice" data-kind={n.kind} data-read={n.read ? 'true' : 'false'}>
              <Avatar name={n.actor.nickname} src={n.actor.avatar?.small} size="md" />
              <span class="moments-notice-main">
                <span class="moments-notice-text" data-testid="moment-notice-text">
                  {noticeText(n)}
                </span>
                <span class="moments-notice-time">{relativeTime(n.at, Date.now())}</span>
              </span>
              <NoticePost moment={n.moment} />
            </Link>
          </li>
        ))}
      </ul>
      {loaded && items.length === 0 && (
        <p class="moments-empty" data-testid="moments-notices-empty">
          No likes or comments yet.
        </p>
      )}
      {error && (
        <p class="form-error moments-empty" role="alert">
          {error}
        </p>
      )}
      {next !== null && (
        <div class="moments-end">
          <button type="button" class="btn btn-ghost btn-small" disabled={loading} data-testid="moments-notices-more" onClick={() => void load(next)}>
            More
          </button>
        </div>
      )}
    </MomentsPane>
  );
}

/** The post a notice is about, in brief: its first picture, else the start of its text. */
function NoticePost({ moment }: { moment: NoticeView['moment'] }) {
  const file = moment.file;
  const { src } = useCachedImage(file && file.thumbnail && !file.expired ? file.id : null, 'thumbnail');
  if (src) return <img class="moments-notice-thumb" src={src} alt="" draggable={false} />;
  return <span class="moments-notice-snippet">{moment.text ?? ''}</span>;
}
