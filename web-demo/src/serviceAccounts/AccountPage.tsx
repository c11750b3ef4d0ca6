import { useEffect, useState } from 'preact/hooks';
import type { ArticleSummary, ServiceAccountView } from '@muster/channels/client';
import { Link } from '../app/Link.tsx';
import { AccountAvatar } from './AccountAvatar.tsx';
import { SERVICE_ACCOUNTS_PATH, articlePath, moderationPath, newArticlePath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { channels, refreshSummary } from './state.ts';
import { errorText, kindLabel, shortTime } from './viewModels.ts';

/** An account's page: its profile, subscribe / unsubscribe, and its articles newest first with search, a page at a time. */
export function AccountPage({ serviceAccountId }: { serviceAccountId: string }) {
  const [account, setAccount] = useState<ServiceAccountView | null>(null);
  const [articles, setArticles] = useState<ArticleSummary[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [q, setQ] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    channels().account(serviceAccountId).then(setAccount, (e) => setError(errorText(e)));
  }, [serviceAccountId]);
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      channels().articles(serviceAccountId, { q }).then(
        (page) => {
          if (!live) return;
          setArticles(page.articles);
          setNext(page.next);
          // Opening the list marks the subscription seen on the server: the entry's dot may go.
          refreshSummary();
        },
        (e) => live && setError(errorText(e)),
      );
    }, q ? 250 : 0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [serviceAccountId, q]);
  const more = () => {
    if (!next) return;
    channels().articles(serviceAccountId, { q, before: next }).then(
      (page) => {
        setArticles((a) => [...(a ?? []), ...page.articles]);
        setNext(page.next);
      },
      (e) => setError(errorText(e)),
    );
  };
  const toggle = async () => {
    if (!account) return;
    const subscribed = !account.subscribed;
    setAccount({ ...account, subscribed });
    try {
      await (subscribed ? channels().subscribe(account.id) : channels().unsubscribe(account.id));
      refreshSummary();
    } catch (e) {
      setAccount({ ...account });
      setError(errorText(e));
    }
  };
  return (
    <SaPane
      title={account?.name ?? 'Service account'}
      back={SERVICE_ACCOUNTS_PATH}
      testId="sa-account"
      actions={
        account?.editor && (
          <>
            <Link class="btn btn-primary" href={newArticlePath(serviceAccountId)} data-testid="sa-new-article">
              New article
            </Link>
            <Link class="btn btn-ghost" href={moderationPath(serviceAccountId)} data-testid="sa-moderation-link">
              Comments
            </Link>
          </>
        )
      }
    >
      {account && (
        <section class="sa-profile" data-testid="sa-profile">
          <AccountAvatar name={account.name} fileId={account.avatarFileId} size="lg" />
          <div class="sa-profile-text">
            <h2 data-testid="sa-profile-name">{account.name}</h2>
            <p class="sa-kind" data-testid="sa-profile-kind">
              {kindLabel(account.kind)} · {account.subscribers} subscribers
            </p>
            {account.description && <p class="sa-description">{account.description}</p>}
          </div>
          <button class={`btn ${account.subscribed ? 'btn-ghost' : 'btn-primary'}`} type="button" data-testid="sa-subscribe" data-subscribed={String(account.subscribed)} onClick={() => void toggle()}>
            {account.subscribed ? 'Unsubscribe' : 'Subscribe'}
          </button>
        </section>
      )}
      <p class="form-error" role="alert">
        {error}
      </p>
      <input class="input" type="search" placeholder="Search articles" value={q} data-testid="sa-article-search" onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      {articles === null ? (
        <p class="sa-empty">Loading…</p>
      ) : articles.length === 0 ? (
        <p class="sa-empty" data-testid="sa-no-articles">
          {q ? 'No articles match.' : 'No articles yet.'}
        </p>
      ) : (
        <ul class="sa-rows" data-testid="sa-articles">
          {articles.map((a) => (
            <li key={a.id} class="sa-row">
              <Link class="sa-row-link" href={articlePath(a.id)} data-testid="sa-article-row" data-id={a.id}>
                <span class="sa-row-main">
                  <span class="sa-row-name">{a.title}</span>
                  <span class="sa-row-sub">
                    {shortTime(a.publishedAt)}
                    {a.edited ? ' · edited' : ''} · {a.summary}
                  </span>
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button class="btn btn-ghost" type="button" data-testid="sa-articles-more" onClick={more}>
          More articles
        </button>
      )}
    </SaPane>
  );
}
