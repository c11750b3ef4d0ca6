import { useEffect, useState } from 'preact/hooks';
import type { ArticleView } from '@muster/channels/client';
import { Link } from '../app/Link.tsx';
import { ArticleBody } from './ArticleBody.tsx';
import { ArticleComments } from './ArticleComments.tsx';
import { AccountAvatar } from './AccountAvatar.tsx';
import { accountPath, editArticlePath, moderationPath, versionsPath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { channels, refreshSummary } from './state.ts';
import { errorText, shortTime } from './viewModels.ts';

/** The article reader: title, account (subscribe from here, as from a shared link), "edited", the document, comments. */
export function ArticleReader({ articleId }: { articleId: string }) {
  const [article, setArticle] = useState<ArticleView | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    channels().article(articleId).then(
      (a) => {
        setArticle(a);
        refreshSummary();
      },
      (e) => setError(errorText(e)),
    );
  }, [articleId]);
  if (!article) {
    return (
      <SaPane title="Article" back="/service-accounts" testId="sa-article">
        <p class={error ? 'form-error' : 'sa-empty'}>{error || 'Loading…'}</p>
      </SaPane>
    );
  }
  const subscribe = async () => {
    const subscribed = !article.subscribed;
    setArticle({ ...article, subscribed });
    try {
      await (subscribed ? channels().subscribe(article.serviceAccountId) : channels().unsubscribe(article.serviceAccountId));
    } catch (e) {
      setArticle({ ...article });
      setError(errorText(e));
    }
  };
  const setComments = async (on: boolean) => {
    try {
      const updated = await channels().setCommentsEnabled(article.id, on);
      // Only the setting: the document keeps its identity, so its media are not built again.
      setArticle({ ...article, commentsEnabled: updated.commentsEnabled });
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <SaPane
      title={article.serviceAccount.name}
      back={accountPath(article.serviceAccountId)}
      testId="sa-article"
      actions={
        article.editor && (
          <>
            <Link class="btn btn-ghost" href={editArticlePath(article.id)} data-testid="sa-edit-article">
              Edit
            </Link>
            <Link class="btn btn-ghost" href={versionsPath(article.id)} data-testid="sa-versions-link">
              Versions
            </Link>
            <Link class="btn btn-ghost" href={moderationPath(article.serviceAccountId)}>
              Moderate
            </Link>
          </>
        )
      }
    >
      <article class="sa-article">
        <h2 class="sa-article-title" data-testid="article-title">
          {article.title}
        </h2>
        <p class="sa-article-meta">
          <Link href={accountPath(article.serviceAccountId)} class="sa-article-account">
            <AccountAvatar name={article.serviceAccount.name} fileId={article.serviceAccount.avatarFileId} />
            <span>{article.serviceAccount.name}</span>
          </Link>
          <span>{shortTime(article.publishedAt)}</span>
          {article.edited && (
            <span class="sa-edited" data-testid="article-edited" title={article.editedAt ? new Date(article.editedAt).toLocaleString() : undefined}>
              Edited{article.editedAt ? ` ${shortTime(article.editedAt)}` : ''}
            </span>
          )}
          <button class={`btn ${article.subscribed ? 'btn-ghost' : 'btn-primary'} sa-article-subscribe`} type="button" data-testid="article-subscribe" onClick={() => void subscribe()}>
            {article.subscribed ? 'Subscribed' : 'Subscribe'}
          </button>
        </p>
        <p class="form-error" role="alert">
          {error}
        </p>
        <ArticleBody content={article.content} files={article.files} />
      </article>
      {article.editor && (
        <label class="sa-check">
          <input type="checkbox" checked={article.commentsEnabled} data-testid="article-comments-enabled" onChange={(e) => void setComments((e.target as HTMLInputElement).checked)} /> Comments on
        </label>
      )}
      <ArticleComments key={article.id} articleId={article.id} editor={article.editor} />
    </SaPane>
  );
}
