import { useEffect, useState } from 'preact/hooks';
import type { ArticleVersionEntry, ArticleVersionView } from '@muster/channels/client';
import { ArticleBody } from './ArticleBody.tsx';
import { articlePath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { channels } from './state.ts';
import { errorText, shortTime } from './viewModels.ts';

/** An article's versions (editors): newest first; one opened shows its title and document as it was. */
export function ArticleVersions({ articleId }: { articleId: string }) {
  const [versions, setVersions] = useState<ArticleVersionEntry[] | null>(null);
  const [open, setOpen] = useState<ArticleVersionView | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    channels().versions(articleId).then(setVersions, (e) => setError(errorText(e)));
  }, [articleId]);
  const show = (version: number) => channels().version(articleId, version).then(setOpen, (e) => setError(errorText(e)));
  return (
    <SaPane title="Versions" back={articlePath(articleId)} testId="sa-versions">
      <p class="form-error" role="alert">
        {error}
      </p>
      <ul class="sa-rows">
        {(versions ?? []).map((v) => (
          <li key={v.version} class={`sa-row${open?.version === v.version ? ' active' : ''}`} data-testid="version-row" data-version={v.version}>
            <button class="sa-row-link sa-row-button" type="button" onClick={() => void show(v.version)}>
              <span class="sa-row-main">
                <span class="sa-row-name">
                  Version {v.version}
                  {v.current ? ' (current)' : ''}: {v.title}
                </span>
                <span class="sa-row-sub">{shortTime(v.at)}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
      {open && (
        <article class="sa-article" data-testid="version-view">
          <h2 class="sa-article-title">{open.title}</h2>
          <ArticleBody content={open.content} files={open.files} />
        </article>
      )}
    </SaPane>
  );
}
