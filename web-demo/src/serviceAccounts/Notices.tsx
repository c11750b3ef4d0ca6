import { useEffect } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { SERVICE_ACCOUNTS_PATH, articlePath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { loadNotices, markNoticesRead, notices } from './state.ts';
import { noticeText, shortTime } from './viewModels.ts';

/** The system messages about my comments (approved, removed); shown is seen: they are marked read. */
export function Notices() {
  useEffect(() => {
    void loadNotices().then(markNoticesRead, () => undefined);
  }, []);
  const list = notices.value;
  // A notice arriving live while this page shows is seen too.
  useEffect(() => {
    if (list.some((n) => n.readAt === null)) markNoticesRead();
  }, [list]);
  return (
    <SaPane title="System messages" back={SERVICE_ACCOUNTS_PATH} testId="sa-notices">
      {list.length === 0 ? (
        <p class="sa-empty">No messages.</p>
      ) : (
        <ul class="sa-rows">
          {list.map((n) => (
            <li key={n.id} class="sa-row" data-testid="notice" data-kind={n.kind}>
              <Link class="sa-row-link" href={articlePath(n.articleId)}>
                <span class="sa-row-main">
                  <span class="sa-row-name">{noticeText(n)}</span>
                  <span class="sa-row-sub">{shortTime(n.at)}</span>
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </SaPane>
  );
}
