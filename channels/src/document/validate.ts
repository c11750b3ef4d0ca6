/**
 * The one check every article document passes before it is stored: the
 * server runs it on publish and edit (BAD_DOCUMENT with its reason
 * otherwise), and the editor may run it before sending. Browser-safe.
 *
 * Two passes. First an iterative walk of the raw JSON (never recursive, so a
 * deep document cannot overflow the stack) that bounds it (size, depth,
 * nodes, text) and admits only known keys, node types, marks and attributes
 * of the right JSON type: an `onerror` attribute, an `html` field, a
 * `javascript:` link or an unknown node type is refused here, with its path.
 * It builds a clean copy holding nothing else (hrefs in the URL parser's
 * serialisation). Then ProseMirror itself: `Node.fromJSON` and `check()`
 * (content expressions: a list holds list items, the doc holds blocks…;
 * mark sets). The result is the checked document as ProseMirror writes it.
 */
import { Node as PmNode } from 'prosemirror-model';
import { articleSchema, isFileId, MARK_ATTRS, NODE_ATTRS, safeHref } from './schema.ts';

/** A document (or a node of one) as JSON, the form it is stored and sent in. */
export interface DocumentJson {
  type: string;
  attrs?: Record<string, unknown>;
  content?: DocumentJson[];
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  text?: string;
}

/** The JSON of a document is at most this many bytes (UTF-8). */
export const MAX_DOCUMENT_BYTES = 512 * 1024;
/** Nodes nest at most this deep (the doc is 1; a paragraph in a list item in a list is 4). */
export const MAX_DOCUMENT_DEPTH = 12;
/** Nodes in a document, text nodes included. */
export const MAX_DOCUMENT_NODES = 10_000;
/** Characters of text in a document (WeChat allows 20,000; room for long reports). */
export const MAX_DOCUMENT_TEXT = 100_000;
/** Distinct files (images, videos, voice) one document names. */
export const MAX_DOCUMENT_FILES = 100;

export type DocumentCheck = { ok: true; doc: DocumentJson } | { ok: false; reason: string };

const NODE_KEYS = new Set(['type', 'attrs', 'content', 'marks', 'text']);
const MARK_KEYS = new Set(['type', 'attrs']);
/** Control characters (a line break is a hard_break node) and lone surrogates (not text; they do not survive UTF-8). */
const BAD_TEXT = /[\u0000-\u0008\u000a-\u001f\u007f]|\p{Cs}/u;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);
const own = (object: Record<string, unknown>, key: string) => Object.prototype.hasOwnProperty.call(object, key);

class Refusal extends Error {}
const refuse = (path: string, message: string): never => {
  throw new Refusal(`${path}: ${message}`);
};

/** Attributes of a node or mark: only those its type declares, each of its JSON type; hrefs normalised. */
function cleanAttrs(raw: unknown, allowed: Readonly<Record<string, 'string' | 'integer'>>, path: string): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) return refuse(path, 'attrs must be an object');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    const type = own(allowed, key) ? allowed[key] : undefined;
    if (type === undefined) refuse(`${path}.${key}`, 'no such attribute');
    const value = raw[key];
    if (type === 'integer' ? !Number.isSafeInteger(value) : typeof value !== 'string') refuse(`${path}.${key}`, `must be ${type === 'integer' ? 'an integer' : 'a string'}`);
    if (type === 'string' && BAD_TEXT.test(value as string)) refuse(`${path}.${key}`, 'control characters');
    out[key] = value;
  }
  return out;
}

interface Frame {
  raw: unknown;
  path: string;
  depth: number;
  into: DocumentJson[] | null;
}

/** The first pass: bounds, known keys, types, attributes; a clean copy. */
function cleanCopy(input: unknown): DocumentJson {
  let root: DocumentJson | undefined;
  let nodes = 0;
  let text = 0;
  const files = new Set<string>();
  const stack: Frame[] = [{ raw: input, path: 'doc', depth: 1, into: null }];
  while (stack.length > 0) {
    const { raw, path, depth, into } = stack.pop()!;
    if (depth > MAX_DOCUMENT_DEPTH) refuse(path, `nested deeper than ${MAX_DOCUMENT_DEPTH} levels`);
    if (++nodes > MAX_DOCUMENT_NODES) refuse(path, `more than ${MAX_DOCUMENT_NODES} nodes`);
    if (!isPlainObject(raw)) refuse(path, 'a node must be an object');
    const node = raw as Record<string, unknown>;
    for (const key of Object.keys(node)) if (!NODE_KEYS.has(key)) refuse(`${path}.${key}`, 'no such field of a node');
    const type = node.type;
    if (typeof type !== 'string' || !own(NODE_ATTRS, type)) refuse(`${path}.type`, `unknown node type ${JSON.stringify(String(type)).slice(0, 40)}`);
    const name = type as string;
    if (depth === 1 && name !== 'doc') refuse(path, 'the document must be a doc node');
    if (depth > 1 && name === 'doc') refuse(path, 'a doc inside a document');
    const out: DocumentJson = { type: name };
    const attrs = cleanAttrs(node.attrs, NODE_ATTRS[name]!, `${path}.attrs`);
    if (attrs) out.attrs = attrs;
    if (attrs && own(attrs, 'fileId')) {
      if (!isFileId(attrs.fileId)) refuse(`${path}.attrs.fileId`, 'not a file id');
      files.add(attrs.fileId as string);
    }
    if (files.size > MAX_DOCUMENT_FILES) refuse(path, `more than ${MAX_DOCUMENT_FILES} files`);
    if (name === 'text') {
      if (typeof node.text !== 'string' || node.text.length === 0) refuse(`${path}.text`, 'a text node holds a non-empty string');
      const value = node.text as string;
      if (BAD_TEXT.test(value)) refuse(`${path}.text`, 'control characters (a line break is a hard_break node)');
      text += value.length;
      if (text > MAX_DOCUMENT_TEXT) refuse(path, `more than ${MAX_DOCUMENT_TEXT} characters of text`);
      out.text = value;
    } else if (own(node, 'text')) refuse(`${path}.text`, 'only text nodes hold text');
    if (node.marks !== undefined) {
      if (name !== 'text') refuse(`${path}.marks`, 'only text carries marks');
      if (!Array.isArray(node.marks) || node.marks.length > Object.keys(MARK_ATTRS).length) refuse(`${path}.marks`, 'a short array of marks');
      out.marks = (node.marks as unknown[]).map((mark, i) => {
        const at = `${path}.marks.${i}`;
        if (!isPlainObject(mark)) return refuse(at, 'a mark must be an object');
        for (const key of Object.keys(mark)) if (!MARK_KEYS.has(key)) refuse(`${at}.${key}`, 'no such field of a mark');
        const markType = mark.type;
        if (typeof markType !== 'string' || !own(MARK_ATTRS, markType)) return refuse(`${at}.type`, `unknown mark ${JSON.stringify(String(markType)).slice(0, 40)}`);
        const markAttrs = cleanAttrs(mark.attrs, MARK_ATTRS[markType]!, `${at}.attrs`);
        if (markType === 'link') {
          const href = safeHref(markAttrs?.href);
          if (href === null) refuse(`${at}.attrs.href`, 'links are http or https URLs');
          return { type: markType, attrs: { href } };
        }
        return markAttrs ? { type: markType, attrs: markAttrs } : { type: markType };
      });
    }
    if (node.content !== undefined) {
      if (!Array.isArray(node.content)) refuse(`${path}.content`, 'content must be an array');
      const children = node.content as unknown[];
      if (nodes + children.length > MAX_DOCUMENT_NODES) refuse(`${path}.content`, `more than ${MAX_DOCUMENT_NODES} nodes`);
      out.content = [];
      // Pushed in reverse: children are visited, and so appended, in order.
      for (let i = children.length - 1; i >= 0; i--) stack.push({ raw: children[i], path: `${path}.content.${i}`, depth: depth + 1, into: out.content });
    }
    if (into) into.push(out);
    else root = out;
  }
  return root!;
}

/**
 * The document checked against the article schema, as stored: `{ ok: true,
 * doc }`, or `{ ok: false, reason }` naming the first problem and where.
 */
export function validateDocument(input: unknown): DocumentCheck {
  try {
    const clean = cleanCopy(input);
    const size = new TextEncoder().encode(JSON.stringify(clean)).length;
    if (size > MAX_DOCUMENT_BYTES) return { ok: false, reason: `doc: ${size} bytes of JSON, more than ${MAX_DOCUMENT_BYTES}` };
    const node = PmNode.fromJSON(articleSchema, clean);
    node.check();
    return { ok: true, doc: JSON.parse(JSON.stringify(node.toJSON())) as DocumentJson };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    // ProseMirror's refusals (content that does not fit, a missing attribute, duplicate marks) are RangeErrors.
    if (error instanceof RangeError || error instanceof TypeError) return { ok: false, reason: `doc: ${error.message}` };
    throw error;
  }
}
