/**
 * The files REST contract: every body and reply as zod (the routes parse
 * with these, the OpenAPI document is generated from them) and the stable
 * error codes. The tus upload protocol at /api/v1/uploads is described in
 * docs/files.md (its bodies are tus headers, not JSON).
 */
import { z } from 'zod';

export const FILES_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'SECOND_FACTOR_REQUIRED',
  'FILE_EXPIRED',
  'FILE_TYPE_BLOCKED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RANGE_NOT_SATISFIABLE',
  'STORAGE_FULL',
  'RATE_LIMITED',
  'INTERNAL',
] as const;
export type FilesErrorCode = (typeof FILES_ERROR_CODES)[number];

export const FilesErrorSchema = z
  .object({ error: z.object({ code: z.enum(FILES_ERROR_CODES), message: z.string() }) })
  .meta({ id: 'FilesError' });

/** A file id: the last path segment of the tus upload's Location (the same pattern as im's FileIdSchema). */
export const FileIdSchema = z.string().regex(/^fl[A-Za-z0-9_-]{16,40}$/, 'not a file id');
/** What the server found a file to be, from its bytes (not its name or declared type). */
export const FILE_KINDS = ['image', 'video', 'audio', 'other'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/**
 * A file as its readers see it (a chat message's `file`, and later an
 * article's or a moment's). The bytes come from `GET /api/v1/files/:id`
 * (and `/thumbnail`), with a Bearer token or a signed link
 * (POST /api/v1/files/links).
 */
export const FileViewSchema = z
  .object({
    id: z.string(),
    name: z.string().meta({ description: 'The name it was uploaded with' }),
    size: z.number().int().nonnegative().meta({ description: 'Bytes' }),
    mime: z.string().meta({ description: 'Its true type, from its bytes' }),
    kind: z.enum(FILE_KINDS),
    width: z.number().int().optional(),
    height: z.number().int().optional(),
    durationMs: z.number().int().optional().meta({ description: 'Voice and video' }),
    waveform: z.array(z.number().int().min(0).max(100)).optional().meta({ description: 'Voice: loudness bars, 0–100' }),
    thumbnail: z.boolean().meta({ description: 'Whether GET /files/:id/thumbnail has an image (a WebP thumbnail or a video poster)' }),
    expired: z.boolean().optional().meta({ description: 'Deleted by the retention period: show "expired"' }),
  })
  .meta({ id: 'FileView' });
export type FileView = z.infer<typeof FileViewSchema>;

/** At most this many ids per POST /files/links. */
export const MAX_LINK_FILES = 100;
/** A signed link is valid this long. */
export const LINK_TTL_MS = 5 * 60_000;

export const LinksRequestSchema = z
  .object({ fileIds: z.array(z.string().max(64)).min(1).max(MAX_LINK_FILES).meta({ description: 'Files to link (unreadable ones are left out of the reply)' }) })
  .strict()
  .meta({ id: 'FileLinksRequest' });
export const FileLinkSchema = z
  .object({
    fileId: z.string(),
    url: z.string().meta({ description: 'GET it without a token within 5 minutes (path and query, below the server origin)' }),
    thumbnailUrl: z.string().optional().meta({ description: 'The thumbnail, when the file has one' }),
    expiresAt: z.number().int().meta({ description: 'ms since the epoch' }),
  })
  .meta({ id: 'FileLink' });
export const LinksSchema = z.object({ links: z.array(FileLinkSchema) }).meta({ id: 'FileLinks' });

/** The default ceiling of one upload: 1 GiB (MUSTER_MAX_UPLOAD_BYTES; the console may lower it). */
export const DEFAULT_MAX_UPLOAD_BYTES = 1_073_741_824;

export const FilesAdminSettingsSchema = z
  .object({
    maxUploadBytes: z.number().int().positive().meta({ description: 'The largest upload accepted (at most the server ceiling, MUSTER_MAX_UPLOAD_BYTES)' }),
    retentionDays: z.number().int().positive().nullable().meta({ description: 'Files no message referenced for this many days are deleted (shown "expired"); null keeps them for ever' }),
    blockedTypes: z.array(z.string()).meta({ description: 'Refused uploads: extensions ("exe") or MIME types ("application/x-msdownload"), matched against the true type and the name' }),
    ceilingBytes: z.number().int().positive().meta({ description: 'The server ceiling (MUSTER_MAX_UPLOAD_BYTES): maxUploadBytes may not be set above it' }),
  })
  .meta({ id: 'FilesAdminSettings' });
export type FilesAdminSettings = z.infer<typeof FilesAdminSettingsSchema>;
const BlockedTypeSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\.?[a-z0-9]{1,16}|[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9*][a-z0-9!#$&^_.+*-]{0,63})$/, 'an extension such as "exe" or a MIME type such as "application/x-msdownload"')
  .transform((value) => value.replace(/^\./, ''));
export const FilesAdminSettingsUpdateSchema = z
  .object({
    maxUploadBytes: z.number().int().positive().optional(),
    retentionDays: z.number().int().min(1).max(36_500).nullable().optional(),
    blockedTypes: z.array(BlockedTypeSchema).max(200).optional(),
  })
  .strict()
  .meta({ id: 'FilesAdminSettingsUpdate' });
export type FilesAdminSettingsUpdate = z.infer<typeof FilesAdminSettingsUpdateSchema>;

export const CACHE_DAYS = [1, 7, 30] as const;
export const DEFAULT_CACHE_DAYS = 7;
export const MyFileSettingsSchema = z
  .object({
    cacheDays: z
      .union([z.literal(1), z.literal(7), z.literal(30), z.null()])
      .meta({ description: 'How many days your devices keep downloaded files cached: 1, 7 (the default) or 30; null keeps them until you clear them' }),
  })
  .strict()
  .meta({ id: 'MyFileSettings' });
export type MyFileSettings = z.infer<typeof MyFileSettingsSchema>;
