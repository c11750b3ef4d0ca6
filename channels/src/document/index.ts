/**
 * `@muster/channels/document`: the article schema and its checks, shared by
 * the web editor (ProseMirror) and the server. Browser-safe.
 */
export { articleSchema, safeHref, isFileId, MAX_ALT_LENGTH, MAX_HEADING_LEVEL, MAX_HREF_LENGTH, MAX_LIST_START, MEDIA_NODES, NODE_ATTRS, MARK_ATTRS, type MediaNode } from './schema.ts';
export { validateDocument, MAX_DOCUMENT_BYTES, MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_FILES, MAX_DOCUMENT_NODES, MAX_DOCUMENT_TEXT, type DocumentCheck, type DocumentJson } from './validate.ts';
export { documentFileIds, documentMedia, documentSummary, documentText } from './text.ts';
export { documentHtml, escapeHtml } from './render.ts';
