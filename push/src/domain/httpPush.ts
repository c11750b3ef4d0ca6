import type { DeliveryResult } from './PushGateway.ts';

/** How long one push request may take, connection included (a push service on a closed network answers in milliseconds). */
export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;

/**
 * POSTs one push message (RFC 8030 §5) and classifies the answer: 2xx
 * delivered; 404 and 410 gone (the subscription expired or was
 * unsubscribed); anything else failed. Redirects are never followed (an
 * endpoint is where the push service said, not where it points to next:
 * a redirect to an internal address must not turn the server into a proxy),
 * and the whole request is bounded by `timeoutMs`. The answer's body is
 * never read beyond its status.
 */
export async function postPush(endpoint: string, request: { headers: Record<string, string>; body: Uint8Array | null; timeoutMs: number }): Promise<DeliveryResult> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: request.headers,
      ...(request.body ? { body: new Uint8Array(request.body) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${request.timeoutMs} ms` : (e.cause?.code ?? e.message);
    return { status: 'failed', reason };
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return { status: 'delivered' };
  if (response.status === 404 || response.status === 410) return { status: 'gone', reason: `the push service answered ${response.status}` };
  if (response.status >= 300 && response.status < 400) return { status: 'failed', reason: `the push service redirected (${response.status}); redirects are not followed` };
  return { status: 'failed', reason: `the push service answered ${response.status}` };
}

/** The host of an endpoint, for logs and listings (the full URL is a secret: whoever holds it can push to that device). */
export function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return '';
  }
}
