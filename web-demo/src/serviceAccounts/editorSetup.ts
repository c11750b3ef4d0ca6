/**
 * The article editor's ProseMirror setup over the shared `articleSchema`
 * (what the editor makes is what the server checks): history, keys
 * (Mod-B/I/U, lists, undo), input rules (`# `, `> `, `- `, `1. `), and the
 * toolbar's commands. Links are http(s) only (the schema's safeHref).
 */
import { baseKeymap, chainCommands, exitCode, setBlockType, toggleMark, wrapIn } from 'prosemirror-commands';
import { history, redo, undo } from 'prosemirror-history';
import { InputRule, inputRules, textblockTypeInputRule, wrappingInputRule } from 'prosemirror-inputrules';
import { keymap } from 'prosemirror-keymap';
import type { MarkType, Node as PMNode, NodeType } from 'prosemirror-model';
import { liftListItem, sinkListItem, splitListItem, wrapInList } from 'prosemirror-schema-list';
import { EditorState, type Command } from 'prosemirror-state';
import { articleSchema, safeHref, type MediaNode } from '@muster/channels/document';

const { nodes, marks } = articleSchema;

function rules(): InputRule[] {
  return [
    wrappingInputRule(/^\s*>\s$/, nodes.blockquote!),
    wrappingInputRule(/^\s*([-+*])\s$/, nodes.bullet_list!),
    wrappingInputRule(/^(\d+)\.\s$/, nodes.ordered_list!, (match) => ({ order: Math.max(1, Math.min(100_000, Number(match[1]))) }), (match, node) => node.childCount + (node.attrs.order as number) === Number(match[1])),
    textblockTypeInputRule(/^(#{1,3})\s$/, nodes.heading!, (match) => ({ level: match[1]!.length })),
  ];
}

const hardBreak: Command = chainCommands(exitCode, (state, dispatch) => {
  dispatch?.(state.tr.replaceSelectionWith(nodes.hard_break!.create()).scrollIntoView());
  return true;
});

/** A new editor state: empty, or the document given (an article being edited). */
export function createEditorState(doc?: PMNode): EditorState {
  return EditorState.create({
    schema: articleSchema,
    ...(doc ? { doc } : {}),
    plugins: [
      inputRules({ rules: rules() }),
      history(),
      keymap({
        'Mod-z': undo,
        'Shift-Mod-z': redo,
        'Mod-y': redo,
        'Mod-b': toggleMark(marks.strong!),
        'Mod-i': toggleMark(marks.em!),
        'Mod-u': toggleMark(marks.underline!),
        'Mod-`': toggleMark(marks.code!),
        'Shift-Enter': hardBreak,
        Enter: splitListItem(nodes.list_item!),
        'Mod-[': liftListItem(nodes.list_item!),
        'Mod-]': sinkListItem(nodes.list_item!),
      }),
      keymap(baseKeymap),
    ],
  });
}

/** Whether a mark is on across the selection (or stored at the cursor): a toolbar button's pressed state. */
export function markActive(state: EditorState, type: MarkType): boolean {
  const { from, $from, to, empty } = state.selection;
  if (empty) return !!type.isInSet(state.storedMarks ?? $from.marks());
  return state.doc.rangeHasMark(from, to, type);
}

/** Whether the selection's block is this type (with these attributes). */
export function blockActive(state: EditorState, type: NodeType, attrs: Record<string, unknown> = {}): boolean {
  const parent = state.selection.$from.parent;
  return parent.type === type && Object.entries(attrs).every(([k, v]) => parent.attrs[k] === v);
}

export const commands = {
  strong: toggleMark(marks.strong!),
  em: toggleMark(marks.em!),
  underline: toggleMark(marks.underline!),
  strike: toggleMark(marks.strike!),
  paragraph: setBlockType(nodes.paragraph!),
  heading: (level: 1 | 2 | 3) => setBlockType(nodes.heading!, { level }),
  bulletList: wrapInList(nodes.bullet_list!),
  orderedList: wrapInList(nodes.ordered_list!),
  blockquote: wrapIn(nodes.blockquote!),
  lift: liftListItem(nodes.list_item!),
  undo,
  redo,
};

/**
 * Links the selection to `href` (null: removes the link). Refused (false)
 * when the href is no http(s) URL, or nothing is selected.
 */
export function setLink(href: string | null): Command {
  return (state, dispatch) => {
    const { from, to, empty } = state.selection;
    if (empty) return false;
    if (href === null) {
      dispatch?.(state.tr.removeMark(from, to, marks.link!));
      return true;
    }
    const safe = safeHref(href.trim());
    if (!safe) return false;
    dispatch?.(state.tr.removeMark(from, to, marks.link!).addMark(from, to, marks.link!.create({ href: safe })));
    return true;
  };
}

/** Inserts an uploaded file as its media node at the selection. */
export function insertMedia(kind: MediaNode, fileId: string, alt = ''): Command {
  return (state, dispatch) => {
    const node = nodes[kind]!.create(kind === 'image' ? { fileId, alt } : { fileId });
    dispatch?.(state.tr.replaceSelectionWith(node).scrollIntoView());
    return true;
  };
}

/** The media node a picked file becomes, or null when it is none of image, video, voice. */
export function mediaKindOf(mime: string): MediaNode | null {
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  return null;
}

/** Whether the document has anything in it (text or media). */
export function isEmptyDoc(doc: PMNode): boolean {
  let empty = true;
  doc.descendants((n) => {
    if ((n.isText && n.text!.trim()) || n.type.name in { image: 1, video: 1, audio: 1 }) empty = false;
    return empty;
  });
  return empty;
}
