import { useEffect, useRef } from 'preact/hooks';
import { hydrateMedia } from './articleMedia.ts';
import { renderDocument } from './renderDocument.ts';

/** An article's document, built as DOM nodes from its JSON (never HTML), with its media filled in. */
export function ArticleBody({ content, files }: { content: unknown; files: readonly { id: string; size: number }[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    try {
      el.replaceChildren(renderDocument(content, document));
    } catch {
      el.replaceChildren(document.createTextNode('This article cannot be shown.'));
      return;
    }
    return hydrateMedia(el, files);
  }, [content, files]);
  return <div class="sa-article-body" data-testid="article-body" ref={ref} />;
}
