import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compact JWS, HS256 only (RFC 7519): all Muster needs to sign its own
 * meeting tokens. Accepting exactly one algorithm closes the classic
 * `alg: none` / algorithm-confusion holes by construction.
 */
export interface JwtClaims {
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function mac(secret: Buffer, input: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function signJwt(claims: Record<string, unknown>, secret: Buffer, ttlSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const payload = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds })).toString('base64url');
  const input = `${HEADER}.${payload}`;
  return `${input}.${mac(secret, input).toString('base64url')}`;
}

/** The claims of a valid, unexpired token signed with `secret`; null for anything else. */
export function verifyJwt(token: string, secret: Buffer, now = Date.now()): JwtClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [header, payload, signature] = parts as [string, string, string];
  if (header !== HEADER) return null;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, `${header}.${payload}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return null;
  const { exp, iat } = claims as Record<string, unknown>;
  if (typeof exp !== 'number' || typeof iat !== 'number' || exp * 1000 <= now) return null;
  return claims as JwtClaims;
}
