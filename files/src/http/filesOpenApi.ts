/** The files routes in the OpenAPI document (server/src/http/openapi.ts adds them), from the zod schemas they parse with. */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  FilesAdminSettingsSchema,
  FilesAdminSettingsUpdateSchema,
  FilesErrorSchema,
  LinksRequestSchema,
  LinksSchema,
  MyFileSettingsSchema,
} from '../protocol.ts';

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const none = (description: string) => ({ description });
const err = (description: string) => ({ description, content: json(FilesErrorSchema) });
const binary = { schema: z.string().meta({ format: 'binary' }) };
/** A download: its true type for images, audio and video (inline), application/octet-stream for anything else. */
const download = (description: string) => ({ description, content: { 'application/octet-stream': binary, 'image/*': binary, 'audio/*': binary, 'video/*': binary } });
/** tus's own refusals (protocol errors) are a line of text; the server's are FilesError JSON. */
const tusText = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });
const tusOrJson = (description: string) => ({ description, content: { ...json(FilesErrorSchema), 'text/plain': { schema: z.string() } } });
const E = {
  400: err('BAD_REQUEST: the body, query or Upload-Metadata does not match (filename is required); a finished upload takes no more bytes'),
  429: err('RATE_LIMITED: too many requests from this account (Retry-After: seconds); uploads started: 120 an hour, link requests: 600 a minute'),
  401: err('UNAUTHORIZED: no valid access token (downloads: nor a valid signed link)'),
  403: err('SECOND_FACTOR_REQUIRED: the console wants an elevated admin'),
  404: err('NOT_FOUND: no such file or upload, or not one you may read (the same reply either way)'),
  409: tusText('tus: Upload-Offset is not where the upload is (HEAD it and resume from there)'),
  410: err('FILE_EXPIRED: the retention period deleted the file'),
  413: err('PAYLOAD_TOO_LARGE: Upload-Length (or the bytes sent) over the largest upload accepted, refused before anything is stored; or a JSON body too large'),
  415: err('FILE_TYPE_BLOCKED: the administrator blocked this type (by its name, its declared or its true type; a finished upload of it is deleted); UNSUPPORTED_MEDIA_TYPE: a JSON body without Content-Type: application/json'),
  416: err('RANGE_NOT_SATISFIABLE: the Range is invalid or outside the file (Content-Range: bytes */size)'),
  507: err('STORAGE_FULL: the server has no room left; the bytes stored so far are kept, resume later'),
} as const;
const errors = (...codes: (keyof typeof E)[]) => Object.fromEntries(codes.map((c) => [c, E[c]]));
const FileParams = z.object({ id: z.string().meta({ description: 'File id (fl…)' }) });
const TusHeaders = z.object({ 'tus-resumable': z.literal('1.0.0').meta({ description: 'Required on every tus request but OPTIONS (412 without it)' }) });
const TUS_RESUMABLE = z.string().meta({ description: '1.0.0' });
/** Replies every tus request can give besides its own. */
const tusCommon = {
  412: tusText('tus: Tus-Resumable missing or not 1.0.0'),
} as const;

export function registerFilesOpenApi(registry: OpenAPIRegistry): void {
  const route = (config: RouteConfig) => registry.registerPath({ tags: ['files'], security: [{ userToken: [] }], ...config });
  route({
    method: 'post', path: '/uploads', operationId: 'createUpload',
    summary:
      'Start a resumable upload (tus 1.0.0: creation, creation-with-upload, creation-defer-length, termination). Upload-Metadata: filename (required), conversationId, filetype, keepLocation=1. The file id is the last path segment of Location. Encrypted at rest from the first byte.',
    request: {
      headers: TusHeaders.extend({
        'upload-length': z.string().optional().meta({ description: 'Bytes (or Upload-Defer-Length: 1)' }),
        'upload-defer-length': z.literal('1').optional(),
        'upload-metadata': z.string().meta({ description: 'tus metadata: `filename <base64>,conversationId <base64>,filetype <base64>,keepLocation <base64 of 1>`' }),
      }),
    },
    responses: {
      201: {
        description: 'Created (Location: /api/v1/uploads/<file id>). With a body (creation-with-upload, Content-Type: application/offset+octet-stream) its bytes are stored and Upload-Offset says how many; a body that is the whole file finishes it',
        headers: z.object({ Location: z.string().meta({ description: '/api/v1/uploads/<file id> (relative)' }), 'Tus-Resumable': TUS_RESUMABLE, 'Upload-Offset': z.string().optional().meta({ description: 'creation-with-upload: bytes stored' }) }),
      },
      ...errors(401, 404, 413, 415, 429, 507),
      400: tusOrJson('BAD_REQUEST: Upload-Metadata missing or malformed (filename is required; filetype a MIME type); tus: Upload-Length or Upload-Defer-Length malformed or both missing (text)'),
      ...tusCommon,
    },
  });
  route({
    method: 'head', path: '/uploads/{id}', operationId: 'uploadOffset',
    summary: 'How much of your upload is stored (Upload-Offset): resume from there with PATCH',
    request: { params: FileParams, headers: TusHeaders },
    responses: {
      200: {
        description: 'How far the upload is (no body); Upload-Offset = Upload-Length once it is finished and processed',
        headers: z.object({ 'Upload-Offset': z.string(), 'Upload-Length': z.string().optional().meta({ description: 'Absent while the length is deferred' }), 'Upload-Defer-Length': z.string().optional(), 'Tus-Resumable': TUS_RESUMABLE, 'Cache-Control': z.string().meta({ description: 'no-store' }) }),
      },
      401: none('UNAUTHORIZED (a HEAD reply has no body)'),
      404: none('NOT_FOUND: not an upload of yours (no body)'),
      ...tusCommon,
    },
  });
  route({
    method: 'patch', path: '/uploads/{id}', operationId: 'uploadBytes',
    summary: 'Append bytes at Upload-Offset (Content-Type: application/offset+octet-stream). The last byte finishes the upload: it is processed (true type, thumbnail, duration) before the reply',
    request: { params: FileParams, headers: TusHeaders.extend({ 'upload-offset': z.string() }), body: { content: { 'application/offset+octet-stream': { schema: z.string().meta({ format: 'binary' }) } } } },
    responses: {
      204: { description: 'Stored; the PATCH that stores the last byte answers once the file is processed', headers: z.object({ 'Upload-Offset': z.string().meta({ description: 'The new offset' }), 'Tus-Resumable': TUS_RESUMABLE }) },
      ...errors(401, 404, 409, 413, 415, 507),
      400: tusOrJson('BAD_REQUEST: the upload is finished (JSON); tus: Upload-Offset missing or malformed, Upload-Length declared twice (text)'),
      ...tusCommon,
      415: tusOrJson('FILE_TYPE_BLOCKED: the finished file\'s true type is blocked (it is deleted); tus: Content-Type is not application/offset+octet-stream (text)'),
    },
  });
  route({
    method: 'delete', path: '/uploads/{id}', operationId: 'cancelUpload', summary: 'Cancel an unfinished upload of yours (tus termination)',
    request: { params: FileParams, headers: TusHeaders },
    responses: { 204: { description: 'Deleted, bytes and all', headers: z.object({ 'Tus-Resumable': TUS_RESUMABLE }) }, ...errors(400, 401, 404), ...tusCommon },
  });

  const SigQuery = z.object({
    sig: z.string().optional().meta({ description: 'Instead of the Bearer token: a signed link (POST /files/links), 5 minutes, this file, this variant' }),
  });
  route({
    method: 'get', path: '/files/{id}', operationId: 'downloadFile',
    summary:
      'The file, decrypted. Range (one range) → 206 with Content-Range; If-Range and If-None-Match against the ETag. Images, audio and video are served inline with their true type; anything else as an attachment (download=1: always). Cache-Control: private; X-Content-Type-Options: nosniff',
    request: { params: FileParams, query: SigQuery.extend({ download: z.enum(['1']).optional().meta({ description: '1: Content-Disposition attachment whatever the type' }) }) },
    responses: {
      200: download('The whole file (Content-Disposition inline or attachment, ETag, Accept-Ranges: bytes)'),
      206: download('The range asked for (Content-Range: bytes start-end/size)'),
      304: none('Not modified (If-None-Match)'),
      ...errors(401, 404, 410, 416),
    },
  });
  route({
    method: 'get', path: '/files/{id}/thumbnail', operationId: 'fileThumbnail',
    summary: 'The thumbnail (WebP, or a video poster), when FileView.thumbnail says there is one',
    request: { params: FileParams, query: SigQuery },
    responses: { 200: { description: 'The thumbnail', content: { 'image/webp': { schema: z.string().meta({ format: 'binary' }) }, 'image/jpeg': { schema: z.string().meta({ format: 'binary' }) } } }, 304: none('Not modified'), ...errors(401, 404, 410) },
  });
  route({
    method: 'post', path: '/files/links', operationId: 'fileLinks',
    summary: 'Signed links (5 minutes) to files you can read, for media elements and downloads without the token; files you cannot read are left out',
    request: { body: { required: true, content: json(LinksRequestSchema) } },
    responses: { 200: ok('Links', LinksSchema), ...errors(400, 401, 413, 415, 429) },
  });
  route({ method: 'get', path: '/me/files/settings', operationId: 'myFileSettings', summary: 'How long your devices keep downloaded files (days; null: for ever; 7 by default)', responses: { 200: ok('Settings', MyFileSettingsSchema), ...errors(401) } });
  route({
    method: 'put', path: '/me/files/settings', operationId: 'updateMyFileSettings', summary: 'Choose how long your devices keep downloaded files: 1, 7 or 30 days, or null',
    request: { body: { required: true, content: json(MyFileSettingsSchema) } },
    responses: { 200: ok('Settings', MyFileSettingsSchema), ...errors(400, 401, 413, 415) },
  });
  const admin = (config: RouteConfig) => registry.registerPath({ tags: ['admin'], security: [{ userToken: [] }], ...config });
  admin({ method: 'get', path: '/admin/files/settings', operationId: 'adminGetFileSettings', summary: 'The file settings: largest upload, retention period, blocked types', responses: { 200: ok('Settings', FilesAdminSettingsSchema), ...errors(403, 404) } });
  admin({
    method: 'put', path: '/admin/files/settings', operationId: 'adminUpdateFileSettings', summary: 'Change the file settings (audited). maxUploadBytes at most the server ceiling (MUSTER_MAX_UPLOAD_BYTES)',
    request: { body: { required: true, content: json(FilesAdminSettingsUpdateSchema) } },
    responses: { 200: ok('Settings', FilesAdminSettingsSchema), ...errors(400, 403, 404, 413, 415) },
  });
}
