/**
 * Chat export as minutes (issue 17): a conversation's messages in a time
 * range (or those of them picked by multi-select) as a DOCX, PDF or
 * Markdown document in the "meeting minutes" form. See minutes.ts for what
 * the document holds and the render*.ts files for each format.
 *
 * The rules:
 * - Only members export (anyone else: NOT_FOUND, as every IM route); a group
 *   with `exportAdminsOnly` keeps it to its owner and admins (FORBIDDEN).
 * - Messages come through Conversations.messages, page by page by seq, so
 *   membership holds and what the exporter deleted for themselves stays
 *   out; recalled messages are left out, quotes are as the quoted messages
 *   are now.
 * - At most 10,000 messages (EXPORT_TOO_LARGE: narrow the range), counted
 *   from the seq range before a message is read; 10 exports a minute per account.
 * - Every export is audit-logged: who, which conversation, the range, the
 *   format and the message count, never the content.
 * - `saveToChat`: the document is stored as a file of the exporter's (the
 *   ExportFiles port) and sent into the conversation as a `file` message.
 */
import crypto from 'node:crypto';
import type { Accounts, Principal } from '@muster/accounts';
import type { AuditLog } from '@muster/db';
import { MemoryLimits, type Limit, type LimitStore } from '@muster/kit/limits';
import type { Logger } from '@muster/kit/log';
import type { Conversations } from '../domain/Conversations.ts';
import { ImError } from '../errors.ts';
import type { MessageView, SendMediaSchema } from '../protocol.ts';
import type { ContactRepository } from '../store/ContactRepository.ts';
import type { Conversation, ConversationRepository, Membership } from '../store/ConversationRepository.ts';
import type { GroupRepository } from '../store/GroupRepository.ts';
import type { z } from 'zod';
import { EXPORT_MIME, EXPORTS_PER_MINUTE, MAX_EXPORT_MESSAGES, type ExportFormat, type ExportRequest } from './exportProtocol.ts';
import { locateCjkFont, locateFallbackFont, type CjkFont } from './fonts.ts';
import { readThumbnail, type Thumbnail } from './images.ts';
import { buildMinutes, dateRange, type MinutesLang } from './minutes.ts';
import { renderDocx } from './renderDocx.ts';
import { renderMarkdown } from './renderMarkdown.ts';
import { renderPdf } from './renderPdf.ts';

/** Messages read per page. */
const PAGE = 200;
/** Images shown inline at most per document; later ones are named lines (a document stays a readable size). */
export const MAX_THUMBNAILS = 300;
/** Exports one process makes at once (a 10,000-message PDF is seconds of CPU); past it BUSY, nothing counted. */
export const MAX_EXPORTS_IN_FLIGHT = 2;

/**
 * Where a document saved to the chat is stored: the files domain stores the
 * bytes as a finished upload of `ownerId`'s, which the send then attaches.
 */
export interface ExportFiles {
  store(ownerId: string, name: string, bytes: Buffer, mime: string): Promise<{ id: string }>;
}

/**
 * An image message's thumbnail for the document: JPEG or PNG bytes (Word
 * and PDF embed no WebP), or undefined (none, expired, another format: the
 * image is then a named line).
 */
export interface ExportThumbnails {
  readThumbnail(fileId: string): Promise<Buffer | undefined>;
}

/** How the saved document is sent (Conversations.send with a media body). */
export type ExportSend = (principal: Principal, conversationId: string, message: z.infer<typeof SendMediaSchema>) => Promise<{ id: string; seq: number }>;

export interface ChatExportOptions {
  conversations: Conversations;
  store: ConversationRepository;
  groups: GroupRepository;
  /** The exporter's remarks, for names as they see them. */
  contacts: ContactRepository;
  accounts: Accounts;
  audit: AuditLog;
  limits?: LimitStore;
  logger: Logger;
  now?: () => number;
  /** The CJK font for PDFs (default: locateCjkFont over MUSTER_CJK_FONT and the known places). */
  cjkFont?: () => CjkFont | null;
  /** The face for what the CJK font lacks (default: DejaVu Sans if installed). */
  fallbackFont?: () => CjkFont | null;
  /** The time zone when the request names none (default: the server's). */
  defaultTimeZone?: string;
  /** How a saved document is sent (default: conversations.send). */
  send?: ExportSend;
  /** Messages one export takes at most (default MAX_EXPORT_MESSAGES; tests lower it). */
  maxMessages?: number;
  /** Exports this process makes at once (default MAX_EXPORTS_IN_FLIGHT). */
  maxInFlight?: number;
}

/** What an export request asks, parsed (see ExportRequestSchema), and the document language. */
export type ExportInput = ExportRequest & { lang?: MinutesLang };

export interface ExportedDocument {
  bytes: Buffer;
  /** The Content-Type to answer with. */
  mime: string;
  /** "<group name> <date range>.<ext>". */
  filename: string;
  format: ExportFormat;
  /** Messages in the document. */
  count: number;
  /** saveToChat: the file message it was sent as. */
  saved?: { messageId: string; seq: number; fileId: string };
}

export class ChatExport {
  readonly #o: ChatExportOptions;
  readonly #now: () => number;
  readonly #rate: Limit;
  #files: ExportFiles | undefined;
  #thumbnails: ExportThumbnails | undefined;
  #inFlight = 0;

  constructor(options: ChatExportOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#rate = (options.limits ?? new MemoryLimits()).rate({ name: 'im-export', points: EXPORTS_PER_MINUTE, perSeconds: 60 });
  }

  /** Where saved documents are stored (the server wires the files domain in); without it saveToChat is refused. */
  useFiles(files: ExportFiles): void {
    this.#files = files;
  }

  /** Where image thumbnails come from (the files domain); without it images are named lines. */
  useThumbnails(thumbnails: ExportThumbnails): void {
    this.#thumbnails = thumbnails;
  }

  /** The document of a conversation's messages (see the class comment for the rules). */
  async export(principal: Principal, conversationId: string, input: ExportInput): Promise<ExportedDocument> {
    const { conversation, membership } = await this.#access(principal, conversationId);
    const from = Date.parse(input.from);
    const to = Date.parse(input.to);
    if (!(from <= to)) throw new ImError('BAD_REQUEST', 'from must not be after to');
    const timeZone = input.timeZone ?? this.#o.defaultTimeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    let fonts: { cjk: CjkFont; fallback: CjkFont | null } | undefined;
    if (input.format === 'pdf') {
      const cjk = (this.#o.cjkFont ?? (() => locateCjkFont()))();
      if (!cjk) throw new ImError('EXPORT_FONT_MISSING', 'PDF export needs a CJK font on the server: install fonts-noto-cjk or set MUSTER_CJK_FONT (DOCX and Markdown work without one)');
      fonts = { cjk, fallback: (this.#o.fallbackFont ?? (() => locateFallbackFont()))() };
    }
    if (input.saveToChat && !this.#files) throw new ImError('BAD_REQUEST', 'this server does not store files: export without saveToChat');
    if (this.#inFlight >= (this.#o.maxInFlight ?? MAX_EXPORTS_IN_FLIGHT)) throw new ImError('BUSY', 'the server is making other exports: try again in a moment', 2);
    const verdict = await this.#rate.take(principal.accountId);
    if (!verdict.allowed) throw new ImError('RATE_LIMITED', `at most ${EXPORTS_PER_MINUTE} exports a minute`, verdict.retryAfterMs / 1000);
    this.#inFlight++;
    try {
      return await this.#make(principal, conversation, membership, input, { from, to, timeZone, fonts });
    } finally {
      this.#inFlight--;
    }
  }

  async #make(
    principal: Principal,
    conversation: Conversation,
    membership: Membership,
    input: ExportInput,
    { from, to, timeZone, fonts }: { from: number; to: number; timeZone: string; fonts: { cjk: CjkFont; fallback: CjkFont | null } | undefined },
  ): Promise<ExportedDocument> {
    const conversationId = conversation.id;
    const messages = input.messageIds ? await this.#picked(principal, conversationId, input.messageIds, from, to) : await this.#inRange(principal, conversationId, from, to);
    const lang = input.lang ?? 'zh';
    const members = conversation.kind === 'group' ? await this.#o.store.members(conversationId) : [];
    const names = await this.#names(principal, [...peopleIn(messages), ...members.map((m) => m.userId), principal.accountId]);
    const name = conversation.kind === 'group' ? (conversation.meta?.name ?? '') : await this.#directTitle(principal, conversationId, names);
    const minutes = buildMinutes({
      lang,
      kind: conversation.kind,
      name,
      from,
      to,
      timeZone,
      messages,
      names,
      ...(conversation.kind === 'group' ? { members: staffFirst(members).map((m) => names.get(m.userId) ?? '') } : {}),
      thumbnails: await this.#readThumbnails(messages),
      picked: input.messageIds !== undefined,
    });
    const bytes =
      input.format === 'md' ? renderMarkdown(minutes) : input.format === 'docx' ? await renderDocx(minutes) : await renderPdf(minutes, fonts!);
    const filename = `${safeName(name)} ${dateRange(from, to, timeZone)}.${input.format}`;
    const mime = EXPORT_MIME[input.format];
    let saved: ExportedDocument['saved'];
    if (input.saveToChat) saved = await this.#save(principal, conversationId, filename, bytes, mime.split(';')[0]!);
    await this.#o.audit.append({
      actor: principal.accountId,
      action: 'im.export',
      target: conversationId,
      details: {
        format: input.format,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        messages: minutes.count,
        picked: input.messageIds?.length ?? null,
        role: membership.role,
        ...(saved ? { savedMessageId: saved.messageId } : {}),
      },
      at: this.#now(),
    });
    return { bytes, mime, filename, format: input.format, count: minutes.count, ...(saved ? { saved } : {}) };
  }

  /** The conversation and the caller's membership: NOT_FOUND if not a member, FORBIDDEN under exportAdminsOnly for a plain member. */
  async #access(principal: Principal, conversationId: string): Promise<{ conversation: Conversation; membership: Membership }> {
    const [conversation, membership] = await Promise.all([this.#o.store.get(conversationId), this.#o.store.membership(conversationId, principal.accountId)]);
    if (!conversation || !membership) throw new ImError('NOT_FOUND', 'no such conversation');
    if (conversation.kind === 'group' && membership.role === 'member') {
      const settings = await this.#o.groups.settings(conversationId);
      if (settings.exportAdminsOnly) throw new ImError('FORBIDDEN', 'in this group only the owner and admins export the chat');
    }
    return { conversation, membership };
  }

  /** Every message sent within [from, to] the exporter sees, in seq order, not recalled; EXPORT_TOO_LARGE past the cap. */
  async #inRange(principal: Principal, conversationId: string, from: number, to: number): Promise<MessageView[]> {
    const range = await this.#o.store.seqRangeByTime(conversationId, from, to);
    if (!range) return [];
    const span = range.last - range.first + 1;
    const max = this.#o.maxMessages ?? MAX_EXPORT_MESSAGES;
    if (span > max) throw new ImError('EXPORT_TOO_LARGE', `the range holds ${span} messages; one export takes at most ${max}: narrow the range`);
    const found: MessageView[] = [];
    let cursor = range.first - 1;
    for (;;) {
      const page = await this.#o.conversations.messages(principal, conversationId, { afterSeq: cursor, limit: PAGE });
      for (const m of page) if (m.seq <= range.last && !m.recalled && m.sentAt >= from && m.sentAt <= to) found.push(m);
      const last = page[page.length - 1];
      if (!last || page.length < PAGE || last.seq >= range.last) break;
      cursor = last.seq;
    }
    return found;
  }

  /**
   * The picked messages sent within the range, in seq order, not recalled.
   * An id that is not a message of this conversation the exporter sees
   * (another conversation's, one they deleted for themselves) is NOT_FOUND,
   * as a forward's. Read through Conversations.messages one run of
   * consecutive seqs at a time.
   */
  async #picked(principal: Principal, conversationId: string, ids: readonly string[], from: number, to: number): Promise<MessageView[]> {
    const unique = [...new Set(ids)];
    const stored = await this.#o.store.byIds(conversationId, unique);
    const hidden = await this.#o.store.hiddenSeqs(principal.accountId, conversationId, stored.map((m) => m.seq));
    if (stored.length !== unique.length || hidden.size > 0) throw new ImError('NOT_FOUND', 'no such message');
    const seqs = stored.filter((m) => m.sentAt >= from && m.sentAt <= to).map((m) => m.seq).sort((a, b) => a - b);
    const wanted = new Set(seqs);
    const found: MessageView[] = [];
    for (let i = 0; i < seqs.length; ) {
      let j = i;
      while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1 && j + 1 - i < PAGE) j++;
      const page = await this.#o.conversations.messages(principal, conversationId, { afterSeq: seqs[i]! - 1, limit: j - i + 1 });
      for (const m of page) if (wanted.has(m.seq) && !m.recalled) found.push(m);
      i = j + 1;
    }
    return found;
  }

  /** Names as the exporter sees them: their remark for a contact, else the nickname. */
  async #names(principal: Principal, ids: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(ids.filter((id) => id !== 'system'))];
    const [profiles, contacts] = await Promise.all([this.#o.accounts.profiles.publicProfiles(unique), this.#o.contacts.list(principal.accountId)]);
    const remarks = new Map(contacts.flatMap((c) => (c.remark ? [[c.contactId, c.remark] as const] : [])));
    return new Map(unique.map((id) => [id, remarks.get(id) ?? profiles.get(id)?.nickname ?? '']));
  }

  /** A one-to-one chat's title: both people's names, the exporter's first. */
  async #directTitle(principal: Principal, conversationId: string, names: Map<string, string>): Promise<string> {
    const members = await this.#o.store.members(conversationId);
    const other = members.find((m) => m.userId !== principal.accountId);
    if (other && !names.has(other.userId)) for (const [id, n] of await this.#names(principal, [other.userId])) names.set(id, n);
    return [names.get(principal.accountId) ?? '', other ? (names.get(other.userId) ?? '') : ''].filter(Boolean).join(' & ');
  }

  /** The first MAX_THUMBNAILS images' thumbnails that are JPEG or PNG; a failed read is a named line, logged. */
  async #readThumbnails(messages: readonly MessageView[]): Promise<Map<string, Thumbnail>> {
    const found = new Map<string, Thumbnail>();
    const port = this.#thumbnails;
    if (!port) return found;
    const ids = [...new Set(messages.flatMap((m) => (m.type === 'image' && m.file && !m.file.expired ? [m.file.id] : [])))].slice(0, MAX_THUMBNAILS);
    for (const id of ids) {
      try {
        const bytes = await port.readThumbnail(id);
        const thumbnail = bytes ? readThumbnail(bytes) : undefined;
        if (thumbnail) found.set(id, thumbnail);
      } catch (error) {
        this.#o.logger.warn({ err: error, fileId: id }, 'im: export could not read a thumbnail');
      }
    }
    return found;
  }

  /** Stores the document as the exporter's file and sends it into the conversation. */
  async #save(principal: Principal, conversationId: string, filename: string, bytes: Buffer, mime: string): Promise<NonNullable<ExportedDocument['saved']>> {
    const { id: fileId } = await this.#files!.store(principal.accountId, filename, bytes, mime);
    const send: ExportSend = this.#o.send ?? ((p, c, m) => this.#o.conversations.send(p, c, m));
    const sent = await send(principal, conversationId, { clientMsgId: `export-${crypto.randomBytes(12).toString('base64url')}`, type: 'file', fileId });
    return { messageId: sent.id, seq: sent.seq, fileId };
  }
}

/** Everyone a message names: senders, people in notices, the senders of what replies quote. */
function peopleIn(messages: readonly MessageView[]): string[] {
  const ids = new Set<string>();
  for (const m of messages) {
    ids.add(m.senderId);
    if (m.notice) {
      ids.add(m.notice.actorId);
      for (const u of m.notice.userIds ?? []) ids.add(u);
    }
    if (m.quote) ids.add(m.quote.senderId);
  }
  return [...ids];
}

const RANK = { owner: 0, admin: 1, member: 2 } as const;
/** Members as a group lists them: owner, admins, then by when they joined. */
function staffFirst(members: readonly Membership[]): Membership[] {
  return [...members].sort((a, b) => RANK[a.role] - RANK[b.role] || a.joinedAt - b.joinedAt || (a.userId < b.userId ? -1 : 1));
}

/** A name safe as a file name on every system: no path separators, reserved or control characters, at most 80 characters. */
export function safeName(name: string): string {
  const cleaned = Array.from(name.replace(/[\\/:*?"<>|\u0000-\u001f\u007f]/g, '_').trim()).slice(0, 80).join('').replace(/^\.+/, '');
  return cleaned || 'chat';
}
