/**
 * Chat export as minutes in the IM SDK (`client.exports`): a conversation's
 * messages in a time range, or the ones picked by multi-select, as a Word,
 * PDF or Markdown document (`POST /conversations/:id/export`), answered
 * with the document's bytes and the server's file name. Framework-free: a
 * browser saves the Blob, a Node bot writes it.
 *
 * The limits and formats mirror export/exportProtocol.ts without importing
 * it (its zod schemas are built at import, which the page's CSP refuses).
 */
import type { ImTransport } from './transport.ts';

export type ExportFormat = 'docx' | 'pdf' | 'md';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['docx', 'pdf', 'md'];
/** One export holds at most this many messages (EXPORT_TOO_LARGE beyond). */
export const MAX_EXPORT_MESSAGES = 10_000;
/** A range spans at most this many days. */
export const MAX_EXPORT_RANGE_DAYS = 366;
/** A multi-select picks at most this many messages. */
export const MAX_EXPORT_PICKED = 1000;

/** A moment: an ISO 8601 string with an offset (sent as it is), a Date or Unix ms (sent in this runtime's offset). */
export type ExportInstant = string | Date | number;

export interface ExportChatInput {
  /** The first moment of the range (inclusive). */
  from: ExportInstant;
  /** The last moment of the range (inclusive). */
  to: ExportInstant;
  format: ExportFormat;
  /** Messages picked by multi-select: only those (of them sent within the range). */
  messageIds?: readonly string[];
  /** Also send the document into the conversation as a file message from me. */
  saveToChat?: boolean;
  /** The IANA time zone the document shows times in (default: this runtime's, else the server's). */
  timeZone?: string;
  /** The document's own words (headings, notices): Chinese or English (default: the browser's Accept-Language). */
  language?: 'zh' | 'en';
}

export interface ExportedChat {
  blob: Blob;
  /** The server's file name ("作战协调组 2025-03-01.docx"). */
  filename: string;
  format: ExportFormat;
  /** Messages in the document. */
  count: number;
  /** With saveToChat: the file message it was sent as. */
  messageId: string | null;
}

/** `ms` as ISO 8601 with an offset, `2025-03-01T09:00:00.000+08:00` (the offset in minutes east of UTC; default: this runtime's at that moment). */
export function isoWithOffset(ms: number, offsetMinutes = -new Date(ms).getTimezoneOffset()): string {
  const shifted = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function instant(value: ExportInstant): string {
  if (typeof value === 'string') return value;
  return isoWithOffset(typeof value === 'number' ? value : value.getTime());
}

/**
 * The file name of a Content-Disposition header: the UTF-8 `filename*`
 * (RFC 5987) first, else the plain `filename`, else `fallback`. Path parts
 * and control characters are taken out.
 */
export function filenameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  let name: string | null = null;
  const star = /filename\*\s*=\s*([^;]+)/i.exec(disposition);
  if (star) {
    const value = star[1]!.trim().replace(/^"(.*)"$/, '$1');
    const m = /^([^']*)'[^']*'(.*)$/.exec(value);
    try {
      name = decodeURIComponent(m ? m[2]! : value);
    } catch {
      name = null;
    }
  }
  if (!name) {
    const plain = /(?:^|;)\s*filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i.exec(disposition);
    if (plain) name = plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1]!.trim();
  }
  const clean = (name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').replace(/^.*[/\\]/, '').trim();
  return clean && clean !== '.' && clean !== '..' ? clean : fallback;
}

/** This runtime's IANA time zone, if it knows one. */
function localTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

export class ChatExportClient {
  readonly #t: ImTransport;

  constructor(transport: ImTransport) {
    this.#t = transport;
  }

  /**
   * The conversation as minutes. Refusals reject with ImClientError:
   * NOT_FOUND (not a member), FORBIDDEN (the group lets only its owner and
   * admins export), EXPORT_TOO_LARGE (over 10,000 messages: narrow the
   * range), EXPORT_FONT_MISSING (a PDF on a server without a CJK font),
   * RATE_LIMITED, VALIDATION (a bad range).
   */
  async exportChat(conversationId: string, input: ExportChatInput): Promise<ExportedChat> {
    const timeZone = input.timeZone ?? localTimeZone();
    const body = {
      from: instant(input.from),
      to: instant(input.to),
      format: input.format,
      ...(input.messageIds ? { messageIds: [...input.messageIds] } : {}),
      ...(input.saveToChat ? { saveToChat: true } : {}),
      ...(timeZone ? { timeZone } : {}),
    };
    const headers: Record<string, string> = input.language ? { 'accept-language': input.language } : {};
    const reply = await this.#t.fetchFile('POST', `/conversations/${encodeURIComponent(conversationId)}/export`, body, headers);
    const count = Number(reply.headers.get('muster-export-count'));
    return {
      blob: reply.blob,
      filename: filenameOf(reply.headers.get('content-disposition'), `chat-minutes.${input.format}`),
      format: input.format,
      count: Number.isFinite(count) ? count : 0,
      messageId: reply.headers.get('muster-export-message'),
    };
  }
}
