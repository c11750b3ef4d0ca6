/**
 * A checked document as HTML text, for places without a DOM (a server-made
 * preview, an export, a test). Every piece of text and every attribute is
 * escaped here; only the schema's own elements are written, each with the
 * attributes this function names; media are placeholders carrying the file
 * id (the reader fetches the bytes with its own token or a signed link).
 * A browser renders documents through ProseMirror's DOMSerializer and the
 * schema's toDOM instead, which builds elements and never parses HTML.
 */
import type { DocumentJson } from './validate.ts';
import { safeHref } from './schema.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text and attribute values, escaped for either place. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const MARK_ORDER = ['link', 'strong', 'em', 'underline', 'strike', 'code'];
const SIMPLE_MARKS: Record<string, string> = { strong: 'strong', em: 'em', underline: 'u', strike: 's', code: 'code' };

function inline(node: DocumentJson): string {
  if (node.type === 'hard_break') return '<br>';
  if (node.type !== 'text') return '';
  let html = escapeHtml(node.text ?? '');
  const marks = [...(node.marks ?? [])].sort((a, b) => MARK_ORDER.indexOf(b.type) - MARK_ORDER.indexOf(a.type));
  for (const mark of marks) {
    if (mark.type === 'link') {
      // The document was checked; checked again, so that no caller can render an unchecked link.
      const href = safeHref(mark.attrs?.href);
      if (href !== null) html = `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow" target="_blank">${html}</a>`;
    } else if (SIMPLE_MARKS[mark.type]) {
      const tag = SIMPLE_MARKS[mark.type]!;
      html = `<${tag}>${html}</${tag}>`;
    }
  }
  return html;
}

const fileAttr = (node: DocumentJson) => `data-file-id="${escapeHtml(String(node.attrs?.fileId ?? ''))}"`;

/** The HTML of a checked document (see the module comment). */
export function documentHtml(doc: DocumentJson): string {
  // Iterative: [node, closing?] pairs, so no document depth reaches the stack.
  const out: string[] = [];
  const stack: (DocumentJson | string)[] = [doc];
  const open = (tag: string, children: DocumentJson[] | undefined, attrs = '') => {
    stack.push(`</${tag}>`);
    for (let i = (children?.length ?? 0) - 1; i >= 0; i--) stack.push(children![i]!);
    out.push(`<${tag}${attrs}>`);
  };
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const node = item;
    switch (node.type) {
      case 'doc':
        for (let i = (node.content?.length ?? 0) - 1; i >= 0; i--) stack.push(node.content![i]!);
        break;
      case 'paragraph':
      case 'heading': {
        const level = node.type === 'heading' ? Math.min(3, Math.max(1, Number(node.attrs?.level) || 1)) : 0;
        const tag = level ? `h${level}` : 'p';
        out.push(`<${tag}>${(node.content ?? []).map(inline).join('')}</${tag}>`);
        break;
      }
      case 'blockquote':
        open('blockquote', node.content);
        break;
      case 'bullet_list':
        open('ul', node.content);
        break;
      case 'ordered_list': {
        const order = Number(node.attrs?.order);
        open('ol', node.content, Number.isSafeInteger(order) && order !== 1 ? ` start="${order}"` : '');
        break;
      }
      case 'list_item':
        open('li', node.content);
        break;
      case 'horizontal_rule':
        out.push('<hr>');
        break;
      case 'image':
        out.push(`<img ${fileAttr(node)} alt="${escapeHtml(String(node.attrs?.alt ?? ''))}">`);
        break;
      case 'video':
        out.push(`<video ${fileAttr(node)} controls></video>`);
        break;
      case 'audio':
        out.push(`<audio ${fileAttr(node)} controls></audio>`);
        break;
      default:
        // Not of the schema: nothing of it is written.
        break;
    }
  }
  return out.join('');
}
