/** The chat export route in the OpenAPI document (imOpenApi registers it with the rest of IM). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ImErrorSchema } from '../protocol.ts';
import { EXPORT_MIME, EXPORTS_PER_MINUTE, ExportRequestSchema, MAX_EXPORT_MESSAGES } from './exportProtocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const err = (description: string) => ({ description, content: json(ImErrorSchema) });
const document = z.string().meta({ format: 'binary' });

export function registerExportOpenApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    tags: ['conversations'],
    security: [{ userToken: [] }],
    method: 'post',
    path: '/conversations/{id}/export',
    operationId: 'exportConversation',
    summary:
      'The chat as minutes (DOCX, PDF or Markdown): title, time range, speakers (and a group’s members), a summary line with the message count, then each message with its sender and time (replies with their quote, system notices as lines, merged forwards with their items, images as thumbnails, voice and video with their length, files listed at the end); recalled messages are left out. ' +
      `At most ${MAX_EXPORT_MESSAGES} messages and ${EXPORTS_PER_MINUTE} exports a minute. Audit-logged (who, which conversation, range, format, count; never the content). Headings are Chinese unless Accept-Language prefers English.`,
    request: { params: z.object({ id: z.string().meta({ description: 'Conversation id' }) }), body: { required: true, content: json(ExportRequestSchema) } },
    responses: {
      200: {
        description: 'The document, as an attachment named "<group name> <date range>.<ext>" (Content-Disposition filename*=UTF-8\'\'…); Muster-Export-Count: the number of messages in it; Muster-Export-Message: with saveToChat, the file message sent',
        content: { [EXPORT_MIME.docx]: { schema: document }, [EXPORT_MIME.pdf]: { schema: document }, 'text/markdown': { schema: z.string() } },
      },
      400: err(`BAD_REQUEST: the body does not match the schema (from after to, a range over 366 days, an unknown time zone…); EXPORT_TOO_LARGE: the range holds more than ${MAX_EXPORT_MESSAGES} messages, narrow it`),
      401: err('UNAUTHORIZED: no valid access token'),
      403: err('FORBIDDEN: the group lets only its owner and admins export (exportAdminsOnly); MUTED or REFUSED_BY_RECIPIENT: saveToChat could not send'),
      404: err('NOT_FOUND: no such conversation of yours, or a picked message that is not in it'),
      413: err('PAYLOAD_TOO_LARGE'),
      415: err('UNSUPPORTED_MEDIA_TYPE: the body is not JSON'),
      429: err(`RATE_LIMITED: more than ${EXPORTS_PER_MINUTE} exports a minute (Retry-After)`),
      503: err('EXPORT_FONT_MISSING: a PDF needs a CJK font on the server (fonts-noto-cjk, or MUSTER_CJK_FONT); BUSY: saveToChat found no free send slot'),
    },
  });
}
