/**
 * What a message's sealed body may hold and how a person sees it: the text
 * rules every type shares (bytes, not characters; one emoji for `emoji`),
 * the snapshot a reply keeps of what it quotes, and the MessageView built
 * from a stored row. Pure functions: Conversations does the storing.
 */
import { ImError } from '../errors.ts';
import { MAX_TEXT_BYTES, QUOTE_EXCERPT_CHARS, type FileView, type MessageView } from '../protocol.ts';
import type { MessageBody, QuoteSnapshot, StoredMessage } from '../store/ConversationRepository.ts';

/**
 * One emoji as Unicode defines them (RGI: skin tones, families, flags and
 * keycaps included, each one grapheme). Built at run time: the `v` flag is
 * newer than the TypeScript target.
 */
const ONE_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');

/** Refuses text no message may carry: over 2048 bytes of UTF-8 (TEXT_TOO_LONG), blank, or for `emoji` anything but one emoji. */
export function checkText(type: string, text: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_TEXT_BYTES) throw new ImError('TEXT_TOO_LONG', `a text message is at most ${MAX_TEXT_BYTES} bytes of UTF-8 (${bytes} given)`);
  if (text.trim() === '') throw new ImError('BAD_REQUEST', 'an empty message says nothing');
  if (type === 'emoji' && !ONE_EMOJI.test(text)) throw new ImError('BAD_REQUEST', 'an emoji message is one emoji');
}

/** The words a message shows in a quote or a merged forward: its text, a forward's title; nothing for a system notice or a recalled one. */
export function textOf(m: StoredMessage): string | undefined {
  if (m.body.recalled) return undefined;
  return m.body.text ?? m.body.forward?.title;
}

/** At most `max` characters (code points, so no emoji or Chinese character is cut in half). */
function excerpt(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

/** What a reply keeps of the message it answers, as it is now. */
export function quoteOf(m: StoredMessage): QuoteSnapshot {
  const text = textOf(m);
  return { id: m.id, seq: m.seq, senderId: m.senderId, type: m.type, ...(text !== undefined ? { excerpt: excerpt(text, QUOTE_EXCERPT_CHARS) } : {}) };
}

/**
 * A stored message as people see it. `quoted` is the message a reply
 * answers as it is now, when known: a recall there shows in the quote too
 * (its words must not outlive the recall in someone's reply), an edit
 * updates the excerpt. `file` is the message's file as the files domain
 * has it now (expired by retention…); without it, the body's snapshot.
 */
export function messageView(m: StoredMessage, quoted?: StoredMessage, file?: FileView): MessageView {
  const b: MessageBody = m.body;
  let quote: MessageView['quote'];
  if (b.quote) {
    if (quoted?.body.recalled) quote = { id: b.quote.id, seq: b.quote.seq, senderId: b.quote.senderId, type: b.quote.type, recalled: true };
    else quote = quoted ? quoteOf(quoted) : b.quote;
  }
  return {
    id: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    senderId: m.senderId,
    clientMsgId: m.clientMsgId,
    type: m.type,
    ...(b.text !== undefined ? { text: b.text } : {}),
    ...(b.replyTo ? { replyTo: b.replyTo } : {}),
    ...(b.mentions ? { mentions: b.mentions } : {}),
    ...(b.mentionAll ? { mentionAll: true } : {}),
    ...(b.notice ? { notice: b.notice } : {}),
    ...(quote ? { quote } : {}),
    ...(b.forward ? { forward: b.forward } : {}),
    // Once retention deleted the file its thumbnail went with it: the view says so rather than point at a 410.
    ...(b.file ? { file: file?.expired ? { ...b.file, thumbnail: false, expired: true } : b.file } : {}),
    ...(b.editedAt !== undefined ? { editedAt: b.editedAt } : {}),
    ...(b.recalled ? { recalled: b.recalled } : {}),
    sentAt: m.sentAt,
  };
}
