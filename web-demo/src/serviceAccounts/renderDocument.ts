/**
 * An article's document as DOM nodes, built with ProseMirror's
 * DOMSerializer over the shared schema (elements and attributes only, never
 * HTML text: a document cannot inject markup). Media come out as elements
 * with `data-file-id` and no source; the reader fills those in (media.ts).
 */
import { DOMSerializer, Node as PMNode } from 'prosemirror-model';
import { articleSchema } from '@muster/channels/document';

const serializer = DOMSerializer.fromSchema(articleSchema);

/** The document as a fragment of `doc` (the browser's document, or a test's). Throws when it is not a valid article. */
export function renderDocument(json: unknown, doc: Document): DocumentFragment {
  const node = PMNode.fromJSON(articleSchema, json);
  node.check();
  // Without a target, the serializer makes and returns a fragment of `doc`.
  return serializer.serializeFragment(node.content, { document: doc }) as DocumentFragment;
}
