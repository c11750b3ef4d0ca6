/**
 * The article schema's check: what the editor makes passes (normalised),
 * and nothing else does — script and event-handler injection (javascript:
 * links however spelled, onerror and other attributes, unknown node types,
 * HTML strings, extra fields), huge and deep documents — refused with a
 * reason, never a crash or a stack overflow. A fuzz of random documents
 * built from dangerous pieces: whatever passes holds only the schema's
 * nodes, marks and attributes, http(s) links, and renders to HTML without
 * a script, a handler or a javascript: URL.
 */
import crypto from 'node:crypto';
import { Node as PmNode } from 'prosemirror-model';
import { describe, expect, it } from 'vitest';
import { documentHtml } from './render.ts';
import { articleSchema, MARK_ATTRS, NODE_ATTRS } from './schema.ts';
import { documentFileIds, documentMedia, documentSummary, documentText } from './text.ts';
import { MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_NODES, MAX_DOCUMENT_TEXT, validateDocument, type DocumentJson } from './validate.ts';

const FILE = 'flAAAAAAAAAAAAAAAAAAAA';
const FILE2 = 'flBBBBBBBBBBBBBBBBBBBB';
const p = (...content: DocumentJson[]): DocumentJson => ({ type: 'paragraph', content });
const t = (text: string, marks?: DocumentJson['marks']): DocumentJson => ({ type: 'text', text, ...(marks ? { marks } : {}) });
const doc = (...content: unknown[]) => ({ type: 'doc', content });
const link = (href: unknown) => ({ type: 'link', attrs: { href } });

const refused = (input: unknown) => {
  const result = validateDocument(input);
  let shown: string;
  try {
    shown = String(JSON.stringify(input)).slice(0, 300);
  } catch {
    shown = 'a document too deep to show';
  }
  expect(result.ok, shown).toBe(false);
  return result.ok ? '' : result.reason;
};
const accepted = (input: unknown): DocumentJson => {
  const result = validateDocument(input);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.doc;
};

/** Every node and mark of a checked document is the schema's, with the schema's attributes only. */
function assertClean(checked: DocumentJson): void {
  const stack = [checked];
  while (stack.length) {
    const node = stack.pop()!;
    expect(Object.keys(NODE_ATTRS)).toContain(node.type);
    for (const key of Object.keys(node)) expect(['type', 'attrs', 'content', 'marks', 'text']).toContain(key);
    for (const key of Object.keys(node.attrs ?? {})) expect(Object.keys(NODE_ATTRS[node.type]!)).toContain(key);
    for (const mark of node.marks ?? []) {
      expect(Object.keys(MARK_ATTRS)).toContain(mark.type);
      if (mark.type === 'link') expect(String(mark.attrs!.href)).toMatch(/^https?:\/\/[^\s]+$/);
    }
    stack.push(...(node.content ?? []));
  }
  assertSafeHtml(documentHtml(checked));
}

const TAGS = new Set(['p', 'h1', 'h2', 'h3', 'blockquote', 'ul', 'ol', 'li', 'hr', 'br', 'img', 'video', 'audio', 'a', 'strong', 'em', 'u', 's', 'code']);
const ATTRIBUTES = new Set(['href', 'rel', 'target', 'alt', 'data-file-id', 'controls', 'start']);

/** The HTML holds only the schema's elements and attributes (parsed, not pattern-matched), links http(s), and no raw markup in text. */
function assertSafeHtml(html: string): void {
  let last = 0;
  for (const tag of html.matchAll(/<(\/?)([a-z0-9]+)([^<>]*)>/g)) {
    expect(html.slice(last, tag.index), 'text between tags').not.toMatch(/[<>"]/);
    last = tag.index + tag[0].length;
    expect(TAGS.has(tag[2]!), tag[0]).toBe(true);
    let rest = tag[3]!;
    for (const attr of tag[3]!.matchAll(/\s+([a-z-]+)(?:="([^"<>]*)")?/g)) {
      rest = rest.replace(attr[0], '');
      expect(ATTRIBUTES.has(attr[1]!), tag[0]).toBe(true);
      if (attr[1] === 'href') expect(attr[2]).toMatch(/^https?:\/\//);
    }
    expect(rest, tag[0]).toBe('');
  }
  expect(html.slice(last), 'text after the last tag').not.toMatch(/[<>"]/);
}

describe('validateDocument', () => {
  it('accepts everything the editor makes, as ProseMirror writes it, and the schema builds it', () => {
    const input = doc(
      { type: 'heading', attrs: { level: 2 }, content: [t('季度报告 Q3')] },
      p(t('Read '), t('this', [{ type: 'strong' }, { type: 'em' }]), t(' and '), t('that', [link('HTTPS://Example.org/a b?x=1#y')]), { type: 'hard_break' }, t('next line', [{ type: 'code' }, { type: 'underline' }, { type: 'strike' }])),
      { type: 'blockquote', content: [p(t('quoted'))] },
      { type: 'bullet_list', content: [{ type: 'list_item', content: [p(t('one')), { type: 'ordered_list', attrs: { order: 3 }, content: [{ type: 'list_item', content: [p(t('nested'))] }] }] }] },
      { type: 'horizontal_rule' },
      { type: 'image', attrs: { fileId: FILE, alt: 'a chart' } },
      { type: 'video', attrs: { fileId: FILE2 } },
      { type: 'audio', attrs: { fileId: FILE } },
      p(),
    );
    const checked = accepted(input);
    assertClean(checked);
    // The link is stored in the URL parser's own form: what was checked is what readers get.
    expect(JSON.stringify(checked)).toContain('"href":"https://example.org/a%20b?x=1#y"');
    // Defaults filled in, and the result is a fixed point.
    expect(checked.content![5]).toEqual({ type: 'image', attrs: { fileId: FILE, alt: 'a chart' } });
    expect(accepted(checked)).toEqual(checked);
    expect(PmNode.fromJSON(articleSchema, checked).textContent).toContain('季度报告');
    expect(documentText(checked)).toBe('季度报告 Q3\nRead this and that\nnext line\nquoted\none\nnested');
    expect(documentSummary(checked, 12)).toBe('季度报告 Q3 Rea…');
    expect(documentFileIds(checked)).toEqual([FILE, FILE2]);
    expect(documentMedia(checked)).toEqual([{ fileId: FILE, node: 'image' }, { fileId: FILE2, node: 'video' }, { fileId: FILE, node: 'audio' }]);
    expect(documentHtml(checked)).toContain('<a href="https://example.org/a%20b?x=1#y" rel="noopener noreferrer nofollow" target="_blank">that</a>');
  });

  it('refuses javascript: and every other non-http(s) link, however it is spelled', () => {
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'java\nscript:alert(1)',
      '\u0001javascript:alert(1)',
      'javascript&colon;alert(1)',
      '&#106;avascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://example.org/x',
      '//evil.example/x',
      '/relative/path',
      'http://',
      '',
      'x'.repeat(3000),
      `https://example.org/${'a'.repeat(3000)}`,
      42,
      null,
      { toString: 'javascript:alert(1)' },
    ]) {
      expect(refused(doc(p(t('click', [link(href)])))), JSON.stringify(href)).toMatch(/href|attrs|attribute|control|string/);
    }
  });

  it('refuses event handlers and any attribute or field the schema does not have', () => {
    const cases: unknown[] = [
      doc({ type: 'image', attrs: { fileId: FILE, alt: 'x', onerror: 'alert(1)' } }),
      doc({ type: 'image', attrs: { fileId: FILE, src: 'javascript:alert(1)' } }),
      doc({ type: 'paragraph', attrs: { onclick: 'alert(1)' }, content: [t('x')] }),
      doc({ type: 'paragraph', attrs: { style: 'background:url(javascript:alert(1))' } }),
      doc({ type: 'paragraph', html: '<img src=x onerror=alert(1)>' }),
      doc({ type: 'paragraph', content: [t('x')], onmouseover: 'alert(1)' }),
      doc(p(t('x', [{ type: 'link', attrs: { href: 'https://ok.example', onclick: 'alert(1)' } }]))),
      doc(p(t('x', [{ type: 'link', attrs: { href: 'https://ok.example' }, title: 'x' } as never]))),
      doc(p(t('x', [{ type: 'strong', attrs: { style: 'x' } }]))),
      doc({ type: 'heading', attrs: { level: '2' }, content: [t('x')] }),
      doc({ type: 'heading', attrs: { level: 4 }, content: [t('x')] }),
      doc({ type: 'heading', attrs: { level: 1.5 }, content: [t('x')] }),
      doc({ type: 'ordered_list', attrs: { order: -1 }, content: [{ type: 'list_item', content: [p()] }] }),
      doc({ type: 'image', attrs: { fileId: 'https://evil.example/x.png' } }),
      doc({ type: 'image', attrs: { fileId: FILE, alt: 'a'.repeat(400) } }),
      doc({ type: 'image', attrs: { fileId: FILE, alt: 'x\u0000' } }),
      doc({ type: 'image' }),
      doc({ type: 'video', attrs: { fileId: ['fl1'] } }),
      JSON.parse(`{"type":"doc","content":[{"type":"paragraph","__proto__":{"onclick":"x"}}]}`),
      JSON.parse(`{"type":"doc","content":[{"type":"image","attrs":{"fileId":"${FILE}","__proto__":{"alt":"x"}}}]}`),
      { type: 'doc', content: [p(t('x'))], attrs: { x: 1 } },
    ];
    for (const input of cases) expect(refused(input)).not.toBe('');
  });

  it('refuses unknown node and mark types, HTML strings, and what the content rules forbid', () => {
    for (const type of ['script', 'iframe', 'html', 'div', 'span', 'img', 'embed', 'object', 'style', 'svg', 'math', 'table', 'Paragraph', '__proto__', 'constructor', 'toString', '']) {
      expect(refused(doc({ type, content: [t('x')] }))).toMatch(/unknown node type/);
    }
    for (const type of ['script', 'font', 'color', 'highlight', 'LINK', '__proto__']) expect(refused(doc(p(t('x', [{ type }]))))).toMatch(/unknown mark/);
    for (const input of [
      '<p>hello</p>',
      '<script>alert(1)</script>',
      { type: 'doc', content: '<p onclick="x">hi</p>' },
      doc('<p>hi</p>'),
      doc(p('<b>x</b>' as unknown as DocumentJson)),
      { type: 'paragraph', content: [t('not a doc')] },
      doc(),
      { type: 'doc' },
      doc({ type: 'doc', content: [p(t('x'))] }),
      doc(t('text straight in the doc')),
      doc({ type: 'bullet_list', content: [p(t('a list holds list items'))] }),
      doc({ type: 'list_item', content: [p(t('x'))] }),
      doc({ type: 'paragraph', content: [p(t('x'))] }),
      doc({ type: 'image', attrs: { fileId: FILE }, content: [t('x')] }),
      doc(p({ type: 'text', text: '' })),
      doc(p({ type: 'text' } as DocumentJson)),
      doc({ type: 'paragraph', text: 'x' }),
      doc(p(t('bold twice', [{ type: 'strong' }, { type: 'strong' }]))),
      doc({ type: 'paragraph', marks: [{ type: 'strong' }], content: [t('x')] }),
      doc(p(t('line\nbreak'))),
      doc(p(t('nul\u0000'))),
      doc(p(t('lone \ud800 surrogate'))),
      null,
      undefined,
      42,
      [],
      [doc(p(t('x')))],
    ]) {
      expect(refused(input)).not.toBe('');
    }
  });

  it('refuses huge and deep documents without recursing: size, depth, nodes, text', () => {
    // Deep: far past any stack, as blockquotes in blockquotes.
    let deep: unknown = p(t('bottom'));
    for (let i = 0; i < 100_000; i++) deep = { type: 'blockquote', content: [deep] };
    expect(refused(doc(deep))).toMatch(/deeper than/);
    let justDeepEnough: unknown = p(t('bottom'));
    // doc, the blockquotes, a paragraph and its text: the text is at depth MAX_DOCUMENT_DEPTH.
    for (let i = 0; i < MAX_DOCUMENT_DEPTH - 3; i++) justDeepEnough = { type: 'blockquote', content: [justDeepEnough] };
    expect(validateDocument(doc(justDeepEnough)).ok).toBe(true);
    let tooDeep: unknown = p(t('bottom'));
    for (let i = 0; i < MAX_DOCUMENT_DEPTH - 2; i++) tooDeep = { type: 'blockquote', content: [tooDeep] };
    expect(refused(doc(tooDeep))).toMatch(/deeper than/);

    expect(refused(doc(...Array.from({ length: MAX_DOCUMENT_NODES }, () => p())))).toMatch(/nodes/);
    expect(refused(doc(p(t('长'.repeat(MAX_DOCUMENT_TEXT + 1)))))).toMatch(/characters of text/);
    // Within the text limit but past the bytes: every character its own marked text node.
    const marked = Array.from({ length: 4000 }, (_, i) => t(`w${i}`, [link(`https://example.org/${'p'.repeat(150)}/${i}`)]));
    expect(refused(doc(p(...marked)))).toMatch(new RegExp(`more than ${MAX_DOCUMENT_BYTES}`));
    expect(refused(doc(...Array.from({ length: 101 }, (_, i) => ({ type: 'image', attrs: { fileId: `fl${String(i).padStart(20, '0')}` } }))))).toMatch(/more than 100 files/);
  });

  it('fuzz: random documents of dangerous pieces are refused or come out clean', () => {
    const seed = crypto.randomBytes(4).readUInt32LE(0);
    let state = seed || 1;
    const rand = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const types = [...Object.keys(NODE_ATTRS), 'script', 'iframe', 'div', 'img', '__proto__', 'html'];
    const marks = [...Object.keys(MARK_ATTRS), 'script', 'style'];
    const strings = ['x', '季度', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", 'javascript:alert(1)', 'https://ok.example/x', 'http://ok.example', FILE, 'fl' + 'Z'.repeat(20), '\u0000', '\u2028', '&lt;script&gt;', '{{constructor.constructor("alert(1)")()}}'];
    const attrNames = ['level', 'order', 'fileId', 'alt', 'href', 'onerror', 'onclick', 'src', 'style', 'class', '__proto__'];
    const value = (): unknown => pick([...strings, 1, 2, 3, 0, -1, 1.5, true, null, [], {}]);
    const node = (depth: number): unknown => {
      if (rand() < 0.05) return value();
      const n: Record<string, unknown> = { type: pick(types) };
      if (rand() < 0.4) n.attrs = Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, () => [pick(attrNames), value()]));
      if (n.type === 'text' || rand() < 0.1) n.text = pick(strings);
      if (rand() < 0.3) n.marks = Array.from({ length: Math.floor(rand() * 3) }, () => (rand() < 0.5 ? { type: pick(marks) } : { type: pick(marks), attrs: { href: pick(strings) } }));
      if (rand() < 0.05) n[pick(['html', 'onclick', 'innerHTML', 'style'])] = pick(strings);
      if (depth < 6 && rand() < 0.6) n.content = Array.from({ length: Math.floor(rand() * 4) }, () => node(depth + 1));
      return n;
    };
    let passed = 0;
    for (let i = 0; i < 3000; i++) {
      const input = rand() < 0.5 ? { type: 'doc', content: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => node(1)) } : node(0);
      const result = validateDocument(input);
      if (result.ok) {
        passed++;
        assertClean(result.doc);
        expect(validateDocument(result.doc), `seed ${seed}`).toEqual(result);
      } else {
        expect(result.reason, `seed ${seed}`).toMatch(/^doc/);
      }
    }
    // Some random documents are valid (paragraphs of plain text): the check is not refusing everything.
    expect(passed, `seed ${seed}`).toBeGreaterThan(0);
  });

  it('renders text as text: HTML in a document’s words never becomes markup', () => {
    const checked = accepted(doc(p(t('<script>alert(1)</script>')), { type: 'image', attrs: { fileId: FILE, alt: '"><img src=x onerror=alert(1)>' } }));
    const html = documentHtml(checked);
    expect(html).toBe(`<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><img data-file-id="${FILE}" alt="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">`);
    assertClean(checked);
  });
});
