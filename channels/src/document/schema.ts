/**
 * The article schema: one ProseMirror schema for the web editor (which
 * builds on it) and for the server (which checks every document against
 * it). Browser-safe: no Node import here or in anything this imports.
 *
 * Articles mix text with images, video and voice; media nodes name uploaded
 * files by id (the files domain), never by URL, so a document cannot point a
 * reader's browser anywhere but the server's own file routes. Links are
 * http(s) only. `toDOM` builds elements and attributes (never HTML text), so
 * rendering through ProseMirror's DOMSerializer cannot inject markup;
 * `parseDOM` (pasting into the editor) keeps only what this schema allows.
 */
import { Schema, type AttributeSpec, type MarkSpec, type NodeSpec } from 'prosemirror-model';
// The files contract (zod only: browser-safe), so a document's file ids are exactly the files domain's.
import { FileIdSchema } from '@muster/files/protocol';

/** A link's href is at most this long. */
export const MAX_HREF_LENGTH = 2048;
/** An image's alt text is at most this long. */
export const MAX_ALT_LENGTH = 300;
/** The highest heading level (h1–h3: an article's title is its own field). */
export const MAX_HEADING_LEVEL = 3;
/** An ordered list starts at 1…MAX_LIST_START. */
export const MAX_LIST_START = 100_000;

/** The media node names and the file kind (files' FILE_KINDS) each must be. */
export const MEDIA_NODES = { image: 'image', video: 'video', audio: 'audio' } as const;
export type MediaNode = keyof typeof MEDIA_NODES;

/**
 * The href as stored (the URL parser's own serialisation, so every reader
 * sees the URL that was checked), or null when it is no http(s) URL.
 */
export function safeHref(href: unknown): string | null {
  if (typeof href !== 'string' || href.length === 0 || href.length > MAX_HREF_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url.href;
}

const fail = (message: string): never => {
  throw new RangeError(message);
};
/** Whether a value is a file id as the files domain makes them. */
export const isFileId = (value: unknown): value is string => FileIdSchema.safeParse(value).success;

/** Attribute checks, run by ProseMirror itself (Node.check, Node.fromJSON) and by validateDocument. */
const fileIdAttr: AttributeSpec = { validate: (v: unknown) => void (isFileId(v) || fail('fileId: not a file id')) };
const altAttr: AttributeSpec = {
  default: '',
  validate: (v: unknown) => void ((typeof v === 'string' && v.length <= MAX_ALT_LENGTH) || fail(`alt: a string of at most ${MAX_ALT_LENGTH} characters`)),
};
const levelAttr: AttributeSpec = {
  default: 1,
  validate: (v: unknown) => void ((Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_HEADING_LEVEL) || fail(`level: 1 to ${MAX_HEADING_LEVEL}`)),
};
const orderAttr: AttributeSpec = {
  default: 1,
  validate: (v: unknown) => void ((Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_LIST_START) || fail(`order: 1 to ${MAX_LIST_START}`)),
};
const hrefAttr: AttributeSpec = { validate: (v: unknown) => void (safeHref(v) !== null || fail('href: an http or https URL')) };

const fileIdOf = (dom: HTMLElement): { fileId: string } | false => {
  const fileId = dom.getAttribute('data-file-id');
  return isFileId(fileId) ? { fileId } : false;
};

const nodes: Record<string, NodeSpec> = {
  doc: { content: 'block+' },
  paragraph: { content: 'inline*', group: 'block', parseDOM: [{ tag: 'p' }], toDOM: () => ['p', 0] },
  heading: {
    attrs: { level: levelAttr },
    content: 'inline*',
    group: 'block',
    defining: true,
    parseDOM: [1, 2, 3].map((level) => ({ tag: `h${level}`, attrs: { level } })),
    toDOM: (node) => [`h${node.attrs.level as number}`, 0],
  },
  blockquote: { content: 'block+', group: 'block', defining: true, parseDOM: [{ tag: 'blockquote' }], toDOM: () => ['blockquote', 0] },
  horizontal_rule: { group: 'block', parseDOM: [{ tag: 'hr' }], toDOM: () => ['hr'] },
  bullet_list: { content: 'list_item+', group: 'block', parseDOM: [{ tag: 'ul' }], toDOM: () => ['ul', 0] },
  ordered_list: {
    attrs: { order: orderAttr },
    content: 'list_item+',
    group: 'block',
    parseDOM: [
      {
        tag: 'ol',
        getAttrs: (dom: HTMLElement) => {
          const start = Number(dom.getAttribute('start') ?? 1);
          return { order: Number.isInteger(start) && start >= 1 && start <= MAX_LIST_START ? start : 1 };
        },
      },
    ],
    toDOM: (node) => (node.attrs.order === 1 ? ['ol', 0] : ['ol', { start: String(node.attrs.order) }, 0]),
  },
  list_item: { content: 'paragraph block*', defining: true, parseDOM: [{ tag: 'li' }], toDOM: () => ['li', 0] },
  image: {
    attrs: { fileId: fileIdAttr, alt: altAttr },
    group: 'block',
    draggable: true,
    // The editor inserts uploads itself; pasted images count only when they are this server's files.
    parseDOM: [{ tag: 'img[data-file-id]', getAttrs: (dom: HTMLElement) => { const id = fileIdOf(dom); return id && { ...id, alt: (dom.getAttribute('alt') ?? '').slice(0, MAX_ALT_LENGTH) }; } }],
    toDOM: (node) => ['img', { 'data-file-id': node.attrs.fileId as string, alt: node.attrs.alt as string }],
  },
  video: {
    attrs: { fileId: fileIdAttr },
    group: 'block',
    draggable: true,
    parseDOM: [{ tag: 'video[data-file-id]', getAttrs: fileIdOf }],
    toDOM: (node) => ['video', { 'data-file-id': node.attrs.fileId as string, controls: 'controls' }],
  },
  audio: {
    attrs: { fileId: fileIdAttr },
    group: 'block',
    draggable: true,
    parseDOM: [{ tag: 'audio[data-file-id]', getAttrs: fileIdOf }],
    toDOM: (node) => ['audio', { 'data-file-id': node.attrs.fileId as string, controls: 'controls' }],
  },
  text: { group: 'inline' },
  hard_break: { inline: true, group: 'inline', selectable: false, parseDOM: [{ tag: 'br' }], toDOM: () => ['br'] },
};

const marks: Record<string, MarkSpec> = {
  link: {
    attrs: { href: hrefAttr },
    inclusive: false,
    parseDOM: [{ tag: 'a[href]', getAttrs: (dom: HTMLElement) => { const href = safeHref(dom.getAttribute('href')); return href === null ? false : { href }; } }],
    // rel: the page opened gets no handle on the reader's window, and no referrer.
    toDOM: (mark) => ['a', { href: mark.attrs.href as string, rel: 'noopener noreferrer nofollow', target: '_blank' }, 0],
  },
  strong: { parseDOM: [{ tag: 'strong' }, { tag: 'b' }], toDOM: () => ['strong', 0] },
  em: { parseDOM: [{ tag: 'em' }, { tag: 'i' }], toDOM: () => ['em', 0] },
  underline: { parseDOM: [{ tag: 'u' }], toDOM: () => ['u', 0] },
  strike: { parseDOM: [{ tag: 's' }, { tag: 'del' }], toDOM: () => ['s', 0] },
  code: { parseDOM: [{ tag: 'code' }], toDOM: () => ['code', 0] },
};

/** The article schema (the editor's and the server's). */
export const articleSchema = new Schema({ nodes, marks });

/** Each node type's attributes and the JSON type of each (what validateDocument accepts, nothing else). */
export const NODE_ATTRS: Readonly<Record<string, Readonly<Record<string, 'string' | 'integer'>>>> = {
  doc: {},
  paragraph: {},
  heading: { level: 'integer' },
  blockquote: {},
  horizontal_rule: {},
  bullet_list: {},
  ordered_list: { order: 'integer' },
  list_item: {},
  image: { fileId: 'string', alt: 'string' },
  video: { fileId: 'string' },
  audio: { fileId: 'string' },
  text: {},
  hard_break: {},
};
export const MARK_ATTRS: Readonly<Record<string, Readonly<Record<string, 'string' | 'integer'>>>> = {
  link: { href: 'string' },
  strong: {},
  em: {},
  underline: {},
  strike: {},
  code: {},
};
