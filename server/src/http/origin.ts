import type { IncomingMessage } from 'node:http';
import type { TrustProxy } from '@muster/kit/client-address';

/**
 * Whether a browser page of `Origin` may open a socket here: the server's own
 * origin (the Host it was reached at, or the `X-Forwarded-Host` of a trusted
 * proxy), or one of `allowed`. A request without Origin is no browser page
 * (Node clients, bots, the recorder) and has no visitor's browser to abuse;
 * `Origin: null` (sandboxed frames, file: pages) is refused.
 */
export function originAllowed(request: IncomingMessage, allowed: readonly string[], trust: TrustProxy): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (origin === 'null' || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  if (allowed.includes(url.origin)) return true;
  const forwarded = request.headers['x-forwarded-host'];
  const viaProxy = typeof forwarded === 'string' && trust(request.socket?.remoteAddress ?? '', 0);
  const host = viaProxy ? forwarded.split(',')[0]!.trim() : request.headers.host;
  return !!host && url.host.toLowerCase() === host.toLowerCase();
}
