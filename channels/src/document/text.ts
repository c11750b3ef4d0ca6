/** What the server and the editor read out of a checked document: its text, its files. Browser-safe. */
import type { DocumentJson } from './validate.ts';
import { MEDIA_NODES, type MediaNode } from './schema.ts';

const BLOCKS_WITH_TEXT = new Set(['paragraph', 'heading']);

/** Visits every node, in document order, without recursion. */
function walk(doc: DocumentJson, visit: (node: DocumentJson) => void): void {
  const stack: DocumentJson[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop()!;
    visit(node);
    const children = node.content ?? [];
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

/**
 * The document's plain text, for search and previews: each paragraph and
 * heading on its own line, hard breaks as line breaks; media and marks
 * leave nothing.
 */
export function documentText(doc: DocumentJson): string {
  const lines: string[] = [];
  const blockText = (block: DocumentJson) => (block.content ?? []).map((inline) => (inline.type === 'text' ? (inline.text ?? '') : inline.type === 'hard_break' ? '\n' : '')).join('');
  walk(doc, (node) => {
    if (BLOCKS_WITH_TEXT.has(node.type)) lines.push(blockText(node));
  });
  return lines.filter((line) => line.trim() !== '').join('\n');
}

/** The start of the text, on one line, for a card in a list: at most `max` characters. */
export function documentSummary(doc: DocumentJson, max = 120): string {
  const flat = documentText(doc).replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

/** Each media node's file and what kind of file it must be, in document order (a file used twice is listed twice). */
export function documentMedia(doc: DocumentJson): { fileId: string; node: MediaNode }[] {
  const media: { fileId: string; node: MediaNode }[] = [];
  walk(doc, (node) => {
    if (Object.prototype.hasOwnProperty.call(MEDIA_NODES, node.type) && typeof node.attrs?.fileId === 'string') media.push({ fileId: node.attrs.fileId, node: node.type as MediaNode });
  });
  return media;
}

/** The distinct files the document names, in document order. */
export function documentFileIds(doc: DocumentJson): string[] {
  return [...new Set(documentMedia(doc).map((m) => m.fileId))];
}
