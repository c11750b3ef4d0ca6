/**
 * Chat export as minutes (issue 17): the request body of
 * `POST /api/v1/conversations/:id/export`, its limits, and the three formats
 * with their MIME types. The route parses with these and the OpenAPI
 * document is generated from them.
 */
import { z } from 'zod';
import { MessageIdSchema } from '../protocol.ts';

/** One export holds at most this many messages (EXPORT_TOO_LARGE beyond: narrow the range). */
export const MAX_EXPORT_MESSAGES = 10_000;
/** A range spans at most this many days. */
export const MAX_EXPORT_RANGE_DAYS = 366;
/** A multi-select picks at most this many messages. */
export const MAX_EXPORT_PICKED = 1000;
/** Exports one account may start per minute. */
export const EXPORTS_PER_MINUTE = 10;

export const EXPORT_FORMATS = ['docx', 'pdf', 'md'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_MIME: Record<ExportFormat, string> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  pdf: 'application/pdf',
  md: 'text/markdown; charset=utf-8',
};

/** Whether the runtime knows this IANA time zone ("Asia/Shanghai", "UTC"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const Instant = z.iso.datetime({ offset: true }).meta({ description: 'ISO 8601 with a time zone offset or Z, e.g. 2025-03-01T09:00:00+08:00' });

export const ExportRequestSchema = z
  .object({
    from: Instant.meta({ description: 'The first moment of the range (inclusive)' }),
    to: Instant.meta({ description: 'The last moment of the range (inclusive)' }),
    format: z.enum(EXPORT_FORMATS).meta({ description: 'docx (Word), pdf, or md (Markdown)' }),
    messageIds: z
      .array(MessageIdSchema)
      .min(1)
      .max(MAX_EXPORT_PICKED)
      .optional()
      .meta({ description: `Messages picked by multi-select (at most ${MAX_EXPORT_PICKED}): only those of them sent within the range (recalled ones are left out)` }),
    timeZone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'not an IANA time zone')
      .optional()
      .meta({ description: 'The IANA time zone the document shows times in (default: the server’s)' }),
    saveToChat: z.boolean().optional().meta({ description: 'Also store the document as a file and send it into the conversation as a file message from you' }),
  })
  .strict()
  .refine((r) => Date.parse(r.from) <= Date.parse(r.to), { message: 'from must not be after to', path: ['from'] })
  .refine((r) => Date.parse(r.to) - Date.parse(r.from) <= MAX_EXPORT_RANGE_DAYS * 86_400_000, { message: `a range spans at most ${MAX_EXPORT_RANGE_DAYS} days`, path: ['to'] })
  .meta({ id: 'ExportChat' });
export type ExportRequest = z.infer<typeof ExportRequestSchema>;
