import { useEffect, useState } from 'preact/hooks';
import { movePinned, orderFeed, pinMoves, setPinned, type FeedEntry, type SubscriptionChange } from '@muster/channels/client';
import { Link } from '../app/Link.tsx';
import { AccountAvatar } from './AccountAvatar.tsx';
import { DIRECTORY_PATH, NOTICES_PATH, accountPath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { channels, notices, refreshSummary, unreadNotices } from './state.ts';
import { errorText, noticeText, shortTime } from './viewModels.ts';

/**
 * My subscribed accounts: pinned first, then by newest article, each with
 * its dot; pin / unpin and move among the pinned (shown at once, sent as
 * PATCHes, reloaded from the server if one is refused).
 */
export function SubscribedList() {
  const [entries, setEntries] = useState<FeedEntry[] | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    channels().subscribed().then(
      (list) => setEntries(orderFeed(list)),
      (e) => setError(errorText(e)),
    );
  useEffect(() => {
    void load();
    refreshSummary();
  }, []);
  const apply = (next: { entries: FeedEntry[]; changes: SubscriptionChange[] }) => {
    setEntries(next.entries);
    setError('');
    void Promise.all(next.changes.map((c) => channels().changeSubscription(c))).catch((e) => {
      setError(errorText(e));
      void load();
    });
  };
  const latestNotice = notices.value[0];
  return (
    <SaPane
      title="Service accounts"
      back="/chats"
      testId="sa-list"
      actions={
        <Link class="btn btn-ghost" href={DIRECTORY_PATH} data-testid="sa-directory-link">
          Find accounts
        </Link>
      }
    >
      <Link class="sa-row sa-notices-row" href={NOTICES_PATH} data-testid="sa-notices-link">
        <span class="sa-row-main">
          <span class="sa-row-name">
            System messages {unreadNotices.value > 0 && <span class="chat-dot sa-inline-dot" data-testid="sa-notices-dot" />}
          </span>
          <span class="sa-row-sub">{latestNotice ? noticeText(latestNotice) : 'About your comments'}</span>
        </span>
      </Link>
      <p class="form-error" role="alert">
        {error}
      </p>
      {entries === null ? (
        <p class="sa-empty">Loading…</p>
      ) : entries.length === 0 ? (
        <p class="sa-empty" data-testid="sa-list-empty">
          No subscriptions yet. <Link href={DIRECTORY_PATH}>Find accounts</Link> to follow.
        </p>
      ) : (
        <ul class="sa-rows" data-testid="sa-subscribed">
          {entries.map((e) => {
            const moves = pinMoves(entries, e.serviceAccountId);
            return (
              <li key={e.serviceAccountId} class={`sa-row${e.pinned ? ' pinned' : ''}`} data-testid="sa-subscribed-row" data-id={e.serviceAccountId} data-pinned={String(e.pinned)}>
                <Link class="sa-row-link" href={accountPath(e.serviceAccountId)}>
                  <span class="chat-row-avatar">
                    <AccountAvatar name={e.name} fileId={e.avatarFileId} />
                    {e.dot && <span class="chat-dot" data-testid="sa-row-dot" />}
                  </span>
                  <span class="sa-row-main">
                    <span class="sa-row-name" data-testid="sa-row-name">
                      {e.name}
                    </span>
                    <span class="sa-row-sub">{e.latest ? `${e.latest.title} · ${shortTime(e.latest.publishedAt)}` : 'No articles yet'}</span>
                  </span>
                </Link>
                <span class="sa-row-tools">
                  {e.pinned && (
                    <>
                      <button class="icon-btn" type="button" title="Move up" aria-label="Move up" disabled={!moves.up} data-testid="sa-move-up" onClick={() => apply(movePinned(entries, e.serviceAccountId, -1))}>
                        ↑
                      </button>
                      <button class="icon-btn" type="button" title="Move down" aria-label="Move down" disabled={!moves.down} data-testid="sa-move-down" onClick={() => apply(movePinned(entries, e.serviceAccountId, 1))}>
                        ↓
                      </button>
                    </>
                  )}
                  <button class="btn btn-ghost" type="button" data-testid="sa-pin" onClick={() => apply(setPinned(entries, e.serviceAccountId, !e.pinned))}>
                    {e.pinned ? 'Unpin' : 'Pin'}
                  </button>
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </SaPane>
  );
}
