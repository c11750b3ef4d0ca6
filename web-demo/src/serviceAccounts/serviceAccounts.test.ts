// @vitest-environment jsdom
// (the renderer builds real DOM nodes: jsdom, as vitest provides it, stands in for the browser's document)
import { describe, expect, it } from 'vitest';
import { movePinned, orderFeed, pinMoves, setPinned, type FeedEntry } from '@muster/channels/client';
import { validateDocument } from '@muster/channels/document';
import { articlePath, isServiceAccountsRoute, parseServiceAccountsPath } from './paths.ts';
import { renderDocument } from './renderDocument.ts';
import { commentBadges, entryView, errorText, noticeText } from './viewModels.ts';
import { isEmptyDoc, mediaKindOf, setLink, createEditorState } from './editorSetup.ts';
import { TextSelection } from 'prosemirror-state';

const SA = 'sa0123456789abcdefgh';
const AR = 'ar0123456789abcdefgh';
const FILE = 'fl0123456789abcdefghij';

describe('service accounts routes', () => {
  it('parses the list, the directory, notices, an account and its pages, and articles', () => {
    expect(parseServiceAccountsPath('/service-accounts')).toEqual({ name: 'serviceAccounts' });
    expect(parseServiceAccountsPath('/service-accounts/directory')).toEqual({ name: 'serviceAccountsDirectory' });
    expect(parseServiceAccountsPath('/service-accounts/notices')).toEqual({ name: 'serviceAccountsNotices' });
    expect(parseServiceAccountsPath(`/service-accounts/${SA}`)).toEqual({ name: 'serviceAccount', serviceAccountId: SA });
    expect(parseServiceAccountsPath(`/service-accounts/${SA}/new`)).toEqual({ name: 'serviceAccountNewArticle', serviceAccountId: SA });
    expect(parseServiceAccountsPath(`/service-accounts/${SA}/moderation`)).toEqual({ name: 'serviceAccountModeration', serviceAccountId: SA });
    expect(parseServiceAccountsPath(`/articles/${AR}`)).toEqual({ name: 'article', articleId: AR });
    expect(parseServiceAccountsPath(`/articles/${AR}/edit`)).toEqual({ name: 'articleEdit', articleId: AR });
    expect(parseServiceAccountsPath(`/articles/${AR}/versions`)).toEqual({ name: 'articleVersions', articleId: AR });
    expect(parseServiceAccountsPath(articlePath(AR))).toEqual({ name: 'article', articleId: AR });
  });

  it('leaves other paths and ids of the wrong shape alone', () => {
    for (const path of ['/chats', '/service-accounts/x', `/service-accounts/${AR}`, `/articles/${SA}`, `/articles/${AR}/delete`, `/service-accounts/${SA}/new/x`, '/articles', '/service-accountsx']) {
      expect(parseServiceAccountsPath(path), path).toBeNull();
    }
    expect(isServiceAccountsRoute({ name: 'articleEdit' })).toBe(true);
    expect(isServiceAccountsRoute({ name: 'chats' })).toBe(false);
  });
});

const entry = (id: string, over: Partial<FeedEntry> = {}): FeedEntry => ({
  serviceAccountId: id,
  name: id,
  kind: 'subscription',
  avatarFileId: null,
  pinned: false,
  position: 0,
  dot: false,
  subscribedAt: 1,
  latest: null,
  ...over,
});
const latest = (publishedAt: number) => ({ articleId: AR, title: 't', summary: 's', publishedAt });
const ids = (list: readonly FeedEntry[]) => list.map((e) => e.serviceAccountId);

describe('the subscribed list: order, pin and reorder', () => {
  const feed = [entry('old', { latest: latest(100) }), entry('none'), entry('new', { latest: latest(300) }), entry('p2', { pinned: true, position: 2, latest: latest(1) }), entry('p1', { pinned: true, position: 1 })];

  it('puts the pinned first by position, then the newest article, accounts without one last', () => {
    expect(ids(orderFeed(feed))).toEqual(['p1', 'p2', 'new', 'old', 'none']);
  });

  it('pins to the top of the pinned and unpins back into the article order, with the PATCH to send', () => {
    const pinned = setPinned(feed, 'old', true);
    expect(ids(pinned.entries)).toEqual(['old', 'p1', 'p2', 'new', 'none']);
    expect(pinned.changes).toEqual([{ serviceAccountId: 'old', pinned: true, position: -1 }]);
    const unpinned = setPinned(pinned.entries, 'p1', false);
    expect(ids(unpinned.entries)).toEqual(['old', 'p2', 'new', 'none', 'p1']);
    expect(unpinned.changes).toEqual([{ serviceAccountId: 'p1', pinned: false }]);
    expect(setPinned(feed, 'p1', true).changes).toEqual([]);
  });

  it('moves a pinned account up and down, renumbering the positions that changed', () => {
    const down = movePinned(feed, 'p1', 1);
    expect(ids(down.entries)).toEqual(['p2', 'p1', 'new', 'old', 'none']);
    // p1 keeps its position 1; only p2 moves to 0.
    expect(down.changes).toEqual([{ serviceAccountId: 'p2', position: 0 }]);
    const back = movePinned(down.entries, 'p1', -1);
    expect(ids(back.entries)).toEqual(['p1', 'p2', 'new', 'old', 'none']);
    expect(back.changes).toEqual([
      { serviceAccountId: 'p1', position: 0 },
      { serviceAccountId: 'p2', position: 1 },
    ]);
    expect(movePinned(feed, 'p1', -1).changes).toEqual([]);
    expect(movePinned(feed, 'new', -1).changes).toEqual([]);
    expect(pinMoves(feed, 'p1')).toEqual({ up: false, down: true });
    expect(pinMoves(feed, 'p2')).toEqual({ up: true, down: false });
    expect(pinMoves(feed, 'new')).toEqual({ up: false, down: false });
  });
});

describe('the chat list entry and comments', () => {
  it('shows the newest article and a dot, never a count', () => {
    expect(entryView({ dot: true, latest: { serviceAccountId: SA, name: 'HR', title: 'Holidays', publishedAt: 1 } })).toEqual({ line: 'HR: Holidays', dot: true });
    expect(entryView({ dot: false, latest: null })).toEqual({ line: 'No articles yet', dot: false });
    expect(entryView(null).dot).toBe(false);
  });

  it('marks my pending comment as awaiting approval, and pinned ones', () => {
    expect(commentBadges({ state: 'pending', pinned: false, mine: true })).toEqual(['Awaiting approval']);
    expect(commentBadges({ state: 'approved', pinned: true, mine: false })).toEqual(['Pinned']);
    expect(noticeText({ kind: 'comment-approved', articleTitle: 'Menu', excerpt: 'Nice' })).toBe('Your comment on “Menu” was approved: Nice');
    expect(noticeText({ kind: 'comment-deleted', articleTitle: null, excerpt: 'Hm' })).toBe('Your comment on a deleted article was removed by the editors: Hm');
  });

  it('shows the server’s BAD_DOCUMENT reason as it is', () => {
    const reason = 'doc.content.3.marks.0.attrs.href: links are http or https URLs';
    expect(errorText({ code: 'BAD_DOCUMENT', message: reason })).toBe(`The article was refused: ${reason}`);
    expect(errorText({ code: 'COMMENTS_CLOSED', message: 'x' })).toBe('Comments are off for this article.');
  });
});

describe('the document renderer', () => {
  const render = (json: unknown) => {
    const div = document.createElement('div');
    div.append(renderDocument(json, document));
    return div;
  };

  it('refuses a javascript: link (the schema, and the renderer itself)', () => {
    const hostile = { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'click', marks: [{ type: 'link', attrs: { href: 'javascript:alert(1)' } }] }] }] };
    const check = validateDocument(hostile);
    expect(check.ok).toBe(false);
    expect(() => render(hostile)).toThrow();
  });

  it('keeps hostile-looking text as text: no script, no handler, links are real https anchors', () => {
    const json = {
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: '<script>alert(1)</script>' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: '<img src=x onerror=alert(1)>', marks: [{ type: 'strong' }] },
            { type: 'text', text: ' site', marks: [{ type: 'link', attrs: { href: 'https://example.com/a?b=%22onmouseover=x' } }] },
          ],
        },
        { type: 'image', attrs: { fileId: FILE, alt: '" onerror="alert(1)' } },
        { type: 'video', attrs: { fileId: FILE } },
      ],
    };
    expect(validateDocument(json).ok).toBe(true);
    const div = render(json);
    expect(div.querySelectorAll('script').length).toBe(0);
    for (const el of div.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) expect(attr.startsWith('on'), `${el.tagName} ${attr}`).toBe(false);
    }
    expect(div.querySelector('h2')!.textContent).toBe('<script>alert(1)</script>');
    expect(div.querySelector('strong')!.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(div.querySelectorAll('img').length).toBe(1);
    const a = div.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.com/a?b=%22onmouseover=x');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(div.querySelector('img')!.getAttribute('alt')).toBe('" onerror="alert(1)');
    expect(div.querySelector('img')!.hasAttribute('src')).toBe(false);
    expect(div.querySelector('video')!.getAttribute('data-file-id')).toBe(FILE);
  });
});

describe('the editor setup', () => {
  it('links only http(s), a selection only; knows media kinds and empty documents', () => {
    let state = createEditorState();
    expect(isEmptyDoc(state.doc)).toBe(true);
    state = state.apply(state.tr.insertText('hello world'));
    expect(isEmptyDoc(state.doc)).toBe(false);
    state = state.apply(state.tr.setSelection(TextSelection.create(state.doc, 1, 6)));
    expect(setLink('javascript:alert(1)')(state)).toBe(false);
    let linked = state;
    expect(setLink('https://example.com')(state, (tr) => (linked = state.apply(tr)))).toBe(true);
    expect(validateDocument(linked.doc.toJSON()).ok).toBe(true);
    expect(JSON.stringify(linked.doc.toJSON())).toContain('https://example.com/');
    expect(mediaKindOf('image/png')).toBe('image');
    expect(mediaKindOf('video/mp4')).toBe('video');
    expect(mediaKindOf('audio/ogg')).toBe('audio');
    expect(mediaKindOf('application/pdf')).toBeNull();
  });
});
