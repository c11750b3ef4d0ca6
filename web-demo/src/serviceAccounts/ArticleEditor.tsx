import { useEffect, useRef, useState } from 'preact/hooks';
import { Node as PMNode } from 'prosemirror-model';
import type { Command, EditorState } from 'prosemirror-state';
import { EditorView, type NodeView } from 'prosemirror-view';
import 'prosemirror-view/style/prosemirror.css';
import { articleSchema } from '@muster/channels/document';
import type { ArticleView } from '@muster/channels/client';
import { Link } from '../app/Link.tsx';
import { navigate } from '../app/router.ts';
import { playableSource, uploader } from '../chats/media/media.ts';
import { imageUrl } from './articleMedia.ts';
import { accountPath, articlePath, versionsPath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { channels } from './state.ts';
import { blockActive, commands, createEditorState, insertMedia, isEmptyDoc, markActive, mediaKindOf, setLink } from './editorSetup.ts';
import { errorText } from './viewModels.ts';

const { marks, nodes } = articleSchema;

/** The editor's view of a media node: the picture or player itself (the schema's toDOM has no source). */
function mediaView(node: PMNode): NodeView {
  const fileId = node.attrs.fileId as string;
  const tag = node.type.name === 'image' ? 'img' : node.type.name;
  const dom = document.createElement(tag) as HTMLImageElement | HTMLMediaElement;
  dom.setAttribute('data-file-id', fileId);
  dom.className = 'sa-editor-media';
  let release = () => undefined as void;
  if (dom instanceof HTMLImageElement) {
    dom.alt = node.attrs.alt as string;
    void imageUrl(fileId, 'thumbnail').then((url) => {
      dom.src = url;
      release = () => URL.revokeObjectURL(url);
    }, () => undefined);
  } else {
    dom.controls = true;
    dom.preload = 'metadata';
    void playableSource({ id: fileId, size: 0 }, tag === 'video' ? 'video' : 'voice').then((s) => {
      dom.src = s.url;
      release = s.release;
    }, () => undefined);
  }
  return { dom, destroy: () => release() };
}

type Uploading = { id: string; name: string; progress: number };

/**
 * The article editor (ProseMirror over the shared schema): a title, a
 * toolbar (headings, bold / italic / underline / strike, lists, quote,
 * links, pictures, video and voice through the chats' uploader), and
 * publish (new) or save (an edit: a new version). The server's BAD_DOCUMENT
 * reason shows as it is.
 */
export function ArticleEditor(props: { serviceAccountId: string } | { articleId: string }) {
  const articleId = 'articleId' in props ? props.articleId : null;
  const [article, setArticle] = useState<ArticleView | null>(null);
  const [accountId, setAccountId] = useState<string | null>('serviceAccountId' in props ? props.serviceAccountId : null);
  const [title, setTitle] = useState('');
  const [commentsEnabled, setCommentsEnabled] = useState(true);
  const [state, setState] = useState<EditorState | null>(null);
  const [linkOpen, setLinkOpen] = useState(false);
  const [linkHref, setLinkHref] = useState('https://');
  const [uploads, setUploads] = useState<Uploading[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const mount = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const [ready, setReady] = useState(articleId === null);

  useEffect(() => {
    if (!articleId) return;
    channels().article(articleId).then(
      (a) => {
        setArticle(a);
        setAccountId(a.serviceAccountId);
        setTitle(a.title);
        setCommentsEnabled(a.commentsEnabled);
        setReady(true);
      },
      (e) => setError(errorText(e)),
    );
  }, [articleId]);

  useEffect(() => {
    if (!ready || !mount.current) return;
    const initial = createEditorState(article ? PMNode.fromJSON(articleSchema, article.content) : undefined);
    const v = new EditorView(mount.current, {
      state: initial,
      nodeViews: { image: mediaView, video: mediaView, audio: mediaView },
      attributes: { class: 'sa-editor-doc', 'data-testid': 'article-editor', 'aria-label': 'Article text', spellcheck: 'true' },
      dispatchTransaction(tr) {
        const next = v.state.apply(tr);
        v.updateState(next);
        setState(next);
      },
    });
    view.current = v;
    setState(initial);
    return () => {
      v.destroy();
      view.current = null;
    };
  }, [ready]);

  const run = (command: Command) => {
    const v = view.current;
    if (!v) return;
    command(v.state, v.dispatch);
    v.focus();
  };

  const pick = async (files: FileList | null) => {
    for (const file of Array.from(files ?? [])) {
      const kind = mediaKindOf(file.type);
      if (!kind) {
        setError(`${file.name}: pick a picture, a video or a voice recording.`);
        continue;
      }
      const upload = uploader().start(file, file.type ? { type: file.type } : {});
      const entry = { id: upload.id, name: file.name, progress: 0 };
      setUploads((u) => [...u, entry]);
      const stop = uploader().on('change', (s) => {
        if (s.id === upload.id) setUploads((u) => u.map((x) => (x.id === upload.id ? { ...x, progress: s.total ? s.bytesSent / s.total : 0 } : x)));
      });
      try {
        const fileId = await upload.done;
        run(insertMedia(kind, fileId, kind === 'image' ? file.name.replace(/\.[^.]+$/, '').slice(0, 300) : ''));
      } catch (e) {
        setError(`${file.name}: ${errorText(e)}`);
      } finally {
        stop();
        setUploads((u) => u.filter((x) => x.id !== upload.id));
      }
    }
  };

  const submit = async () => {
    const v = view.current;
    if (!v || !accountId) return;
    if (!title.trim()) return setError('Give the article a title.');
    if (isEmptyDoc(v.state.doc)) return setError('Write something first.');
    if (uploads.length > 0) return setError('Wait for the uploads to finish.');
    setBusy(true);
    setError('');
    try {
      const content = v.state.doc.toJSON();
      if (articleId) {
        await channels().edit(articleId, { title: title.trim(), content });
        // Comments on or off is no new version: its own PATCH, only when changed.
        if (article && article.commentsEnabled !== commentsEnabled) await channels().setCommentsEnabled(articleId, commentsEnabled);
        navigate(articlePath(articleId), { replace: true });
      } else {
        const id = await channels().publish(accountId, { title: title.trim(), content, commentsEnabled });
        navigate(articlePath(id), { replace: true });
      }
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const s = state;
  const tool = (label: string, testId: string, command: Command, active: boolean, text?: string) => (
    <button type="button" class={`sa-tool${active ? ' active' : ''}`} title={label} aria-label={label} aria-pressed={active} data-testid={testId} onMouseDown={(e) => e.preventDefault()} onClick={() => run(command)}>
      {text ?? label}
    </button>
  );
  const back = articleId ? articlePath(articleId) : accountId ? accountPath(accountId) : '/service-accounts';
  return (
    <SaPane
      title={articleId ? 'Edit article' : 'New article'}
      back={back}
      testId="sa-editor"
      actions={
        <>
          {articleId && (
            <Link class="btn btn-ghost" href={versionsPath(articleId)} data-testid="editor-versions-link">
              Versions
            </Link>
          )}
          <button class="btn btn-primary" type="button" disabled={busy || !s} data-testid="article-publish" onClick={() => void submit()}>
            {articleId ? 'Save' : 'Publish'}
          </button>
        </>
      }
    >
      <input class="input sa-editor-title" placeholder="Title" maxLength={64} value={title} data-testid="article-title-input" onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
      {s && (
        <div class="sa-toolbar" role="toolbar" aria-label="Formatting">
          {tool('Paragraph', 'tool-paragraph', commands.paragraph, blockActive(s, nodes.paragraph!), '¶')}
          {tool('Heading 1', 'tool-h1', commands.heading(1), blockActive(s, nodes.heading!, { level: 1 }), 'H1')}
          {tool('Heading 2', 'tool-h2', commands.heading(2), blockActive(s, nodes.heading!, { level: 2 }), 'H2')}
          {tool('Heading 3', 'tool-h3', commands.heading(3), blockActive(s, nodes.heading!, { level: 3 }), 'H3')}
          {tool('Bold', 'tool-bold', commands.strong, markActive(s, marks.strong!), 'B')}
          {tool('Italic', 'tool-italic', commands.em, markActive(s, marks.em!), 'I')}
          {tool('Underline', 'tool-underline', commands.underline, markActive(s, marks.underline!), 'U')}
          {tool('Strikethrough', 'tool-strike', commands.strike, markActive(s, marks.strike!), 'S')}
          {tool('Bulleted list', 'tool-bullets', commands.bulletList, false, '•')}
          {tool('Numbered list', 'tool-numbers', commands.orderedList, false, '1.')}
          {tool('Quote', 'tool-quote', commands.blockquote, false, '❝')}
          <button type="button" class={`sa-tool${markActive(s, marks.link!) ? ' active' : ''}`} title="Link" data-testid="tool-link" onMouseDown={(e) => e.preventDefault()} onClick={() => setLinkOpen(!linkOpen)}>
            Link
          </button>
          <label class="sa-tool" title="Insert a picture, video or voice recording" data-testid="tool-media">
            + Media
            <input type="file" accept="image/*,video/*,audio/*" multiple hidden data-testid="editor-media-input" onChange={(e) => {
              const input = e.target as HTMLInputElement;
              void pick(input.files).finally(() => (input.value = ''));
            }} />
          </label>
          {tool('Undo', 'tool-undo', commands.undo, false, '↶')}
          {tool('Redo', 'tool-redo', commands.redo, false, '↷')}
        </div>
      )}
      {linkOpen && (
        <form
          class="sa-link-form"
          onSubmit={(e) => {
            e.preventDefault();
            const v = view.current;
            if (!v) return;
            if (!setLink(linkHref)(v.state, v.dispatch)) return setError(v.state.selection.empty ? 'Select the text to link first.' : 'Links are http:// or https:// addresses.');
            setError('');
            setLinkOpen(false);
            v.focus();
          }}
        >
          <input class="input" type="url" value={linkHref} data-testid="editor-link-url" onInput={(e) => setLinkHref((e.target as HTMLInputElement).value)} />
          <button class="btn btn-primary" type="submit" data-testid="editor-link-apply">
            Apply
          </button>
          <button class="btn btn-ghost" type="button" onClick={() => (run(setLink(null)), setLinkOpen(false))}>
            Remove link
          </button>
        </form>
      )}
      {uploads.map((u) => (
        <p key={u.id} class="sa-upload" data-testid="editor-upload">
          Uploading {u.name}… {Math.round(u.progress * 100)}%
        </p>
      ))}
      <div class="sa-editor" ref={mount} />
      <label class="sa-check">
        <input type="checkbox" checked={commentsEnabled} data-testid="article-allow-comments" onChange={(e) => setCommentsEnabled((e.target as HTMLInputElement).checked)} /> Allow comments
      </label>
      <p class="form-error" role="alert" data-testid="editor-error">
        {error}
      </p>
    </SaPane>
  );
}
