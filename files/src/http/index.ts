/** The files REST surface (`@muster/files/rest`): the tus upload handler, the routers, their OpenAPI registration. */
import type { Express, RequestHandler } from 'express';
import type { Logger } from '@muster/kit/log';
import type { Files } from '../Files.ts';
import { filesApi } from './filesApi.ts';

export { filesApi } from './filesApi.ts';
export { registerFilesOpenApi } from './filesOpenApi.ts';

/** Request headers a browser of another origin sends to the tus endpoint (for the server's CORS). */
export const TUS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Tus-Resumable', 'Upload-Length', 'Upload-Metadata', 'Upload-Offset', 'Upload-Defer-Length', 'Upload-Concat', 'X-HTTP-Method-Override', 'X-Requested-With'];
/** Response headers it must be able to read. */
export const TUS_EXPOSED_HEADERS = ['Location', 'Upload-Offset', 'Upload-Length', 'Tus-Resumable', 'Upload-Metadata', 'Upload-Defer-Length', 'Upload-Expires', 'Tus-Version', 'Tus-Extension', 'Tus-Max-Size'];
/** Response headers of a download a script reads (ranged fetches, the name). */
export const DOWNLOAD_EXPOSED_HEADERS = ['Content-Range', 'Content-Disposition', 'Content-Length', 'Accept-Ranges', 'ETag'];

/**
 * The tus endpoint as an Express handler, for `app.use('<api>/uploads', …)`:
 * mount it before any body parser touches the path (tus reads the raw body).
 */
export function uploadsHandler(files: Files): RequestHandler {
  return (req, res, next) => {
    files.uploads.handle(req, res).catch(next);
  };
}

/** Mounts everything under files.publicPath (`/api/v1`): the tus endpoint, then the routers. */
export function mountFiles(app: Express, files: Files, options: { logger: Logger }): void {
  app.use(`${files.publicPath}/uploads`, uploadsHandler(files));
  app.use(files.publicPath, filesApi(files, options));
}
