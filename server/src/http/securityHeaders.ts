import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Browser hardening headers for everything the server answers: the web
 * client's shell and assets, the REST API (cheap and harmless on JSON) and
 * the health/metrics endpoints. Built on helmet, with its defaults replaced
 * where they do not fit a self-hosted meetings server:
 *
 * - A strict Content-Security-Policy: the client is one same-origin bundle
 *   (web-demo/dist), so scripts, styles, fonts and fetches are 'self' only,
 *   with no 'unsafe-inline' and no 'unsafe-eval'. helmet's default
 *   `upgrade-insecure-requests` is left out: closed networks often run plain
 *   http on a LAN, where upgrading every request to https breaks the page.
 * - No framing (`frame-ancestors 'none'` and X-Frame-Options DENY), so no
 *   other page can wrap a meeting and its host buttons.
 * - HSTS only when configured: sent over plain http it is ignored anyway,
 *   and pinning a LAN host name to https is the operator's decision.
 */
export interface SecurityHeadersOptions {
  /**
   * Strict-Transport-Security max-age in seconds; 0 or unset sends no HSTS.
   * Only for deployments served over https (directly or behind a TLS proxy).
   */
  hstsMaxAgeSeconds?: number;
  /** Adds `includeSubDomains` to HSTS (only with hstsMaxAgeSeconds). */
  hstsIncludeSubDomains?: boolean;
}

/**
 * Reads the options from the environment:
 * `MUSTER_HSTS_MAX_AGE` (seconds, e.g. 31536000; unset or 0: no HSTS) and
 * `MUSTER_HSTS_INCLUDE_SUBDOMAINS=1`.
 */
export function securityHeadersOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SecurityHeadersOptions {
  const raw = env.MUSTER_HSTS_MAX_AGE?.trim();
  let hstsMaxAgeSeconds = 0;
  if (raw) {
    hstsMaxAgeSeconds = Number(raw);
    if (!Number.isInteger(hstsMaxAgeSeconds) || hstsMaxAgeSeconds < 0) {
      throw new Error(`MUSTER_HSTS_MAX_AGE must be a whole number of seconds, got "${raw}"`);
    }
  }
  return { hstsMaxAgeSeconds, hstsIncludeSubDomains: env.MUSTER_HSTS_INCLUDE_SUBDOMAINS === '1' };
}

/**
 * The browser features the client uses are its own only: camera, microphone
 * and screen sharing, full screen. Features it never uses are off.
 */
export const PERMISSIONS_POLICY = [
  'camera=(self)',
  'microphone=(self)',
  'display-capture=(self)',
  'fullscreen=(self)',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'serial=()',
].join(', ');

/**
 * A DNS name or IPv4 address with an optional port, as CSP's host-source
 * grammar accepts it (no IPv6 literals, no underscores, nothing that could
 * end the directive).
 */
const CSP_HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/i;

/**
 * socket.io's WebSocket to the page's own host. CSP3 makes 'self' cover
 * ws:/wss: of the same host, and current Chromium, Firefox and Safari
 * (16+) do so; Chromium before 71 and Safari before 16 did not. Naming the
 * request's host explicitly keeps those working. A Host header that is not
 * a plain host name (IPv6 literal, or anything odd) only gets 'self'.
 */
function connectSources(req: IncomingMessage): string {
  const host = req.headers.host;
  return host && host.length <= 260 && CSP_HOST.test(host) ? `'self' ws://${host} wss://${host}` : "'self'";
}

export const CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  // 'report-sample' only puts the first characters of refused inline code in violation reports.
  'script-src': ["'self'", "'report-sample'"],
  // No inline <style>, style="" or <link> to other origins; CSSOM (el.style.x = …) is not affected.
  'style-src': ["'self'", "'report-sample'"],
  // data: for the favicon and the military symbols (milsymbol SVG as data: images). blob: URLs can only
  // be minted by the page's own scripts: allowed for images made in the page (board exports, pastes).
  'img-src': ["'self'", 'data:', 'blob:'],
  // Recordings and chat media play from same-origin URLs; live media is attached with srcObject, which CSP
  // does not govern. blob: (only the page's own scripts mint them): voice and video played from the device's
  // media cache, and a video previewed while it uploads.
  'media-src': ["'self'", 'blob:'],
  'font-src': ["'self'"],
  'connect-src': [(req: IncomingMessage, _res: ServerResponse) => connectSources(req)],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Express middleware setting the hardening headers on every response. */
export function securityHeaders(options: SecurityHeadersOptions = {}): RequestHandler {
  const maxAge = options.hstsMaxAgeSeconds ?? 0;
  const headers = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // Cross-origin isolation is not needed (no SharedArrayBuffer), and
    // require-corp would block any cross-origin resource an operator adds.
    crossOriginEmbedderPolicy: false,
    // A meeting window shares no browsing context group with other sites' windows.
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    // Nothing here is meant to be embedded by other sites (no-cors reads of the API, assets or recordings).
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // Page URLs can carry credentials (?key=, ?invite=, ?pwd=) until the client strips them.
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: maxAge > 0 ? { maxAge, includeSubDomains: options.hstsIncludeSubDomains ?? false } : false,
    xContentTypeOptions: true,
    xFrameOptions: { action: 'deny' },
  });
  return (req, res, next) => {
    res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
    headers(req, res, next);
  };
}
