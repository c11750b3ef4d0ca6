import crypto from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { SettingsRepository } from '../store/SettingsRepository.ts';
import type { AccountRole } from '../protocol.ts';

/** Access tokens live this long; revocation does not wait for them to expire (see SessionGuard). */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** An admin's elevated console session, after the second factor. */
export const ADMIN_ELEVATION_TTL_SECONDS = 30 * 60;

const SIGNING_KEY_SETTING = 'accounts.signing-key';
/**
 * Tokens verified lately, remembered until they expire. A device presents
 * the same access token for 15 minutes (every REST call, every socket it
 * opens, every reconnection after a gateway restarts), and an Ed25519
 * verification through WebCrypto was a fifth of the app's CPU per sign-in
 * in the connections load test. Keyed by a hash of the whole token: a hit
 * needs the very bytes that were verified (never the signature alone, which
 * a forged payload could carry).
 */
const VERIFIED_CACHE_SIZE = 50_000;
const ISSUER = 'muster';

interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
}

export interface AccessClaims {
  accountId: string;
  sessionId: string;
  role: AccountRole;
  /** Until when (s since epoch) this token carries the admin console's second factor; absent otherwise. */
  elevatedUntil?: number;
  expiresAt: number;
}

/**
 * Access tokens: JWTs signed with one Ed25519 key per installation, kept
 * sealed in the settings table (every process of a cluster signs and
 * verifies with the same key). A token names its account, its device
 * session and the role it had when issued.
 */
export class TokenService {
  #kid = '';
  #private: CryptoKey | undefined;
  #public: CryptoKey | undefined;
  readonly #verified = new Map<string, AccessClaims>();

  static async open(settings: SettingsRepository): Promise<TokenService> {
    const service = new TokenService();
    let stored = await settings.get<StoredSigningKey>(SIGNING_KEY_SETTING);
    if (!stored) {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      stored = await settings.putIfAbsent<StoredSigningKey>(SIGNING_KEY_SETTING, { kid: crypto.randomBytes(6).toString('hex'), privateJwk: await exportJWK(privateKey) });
    }
    service.#kid = stored.kid;
    service.#private = (await importJWK(stored.privateJwk, 'EdDSA')) as CryptoKey;
    const { d: _d, ...publicJwk } = stored.privateJwk;
    service.#public = (await importJWK(publicJwk, 'EdDSA')) as CryptoKey;
    return service;
  }

  async signAccess(claims: Omit<AccessClaims, 'expiresAt'>, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(now / 1000);
    // An elevated token lasts as long as its elevation (the console's 30 minutes); any other, 15 minutes.
    const exp = claims.elevatedUntil !== undefined ? Math.max(iat + 1, claims.elevatedUntil) : iat + ACCESS_TOKEN_TTL_SECONDS;
    const payload: Record<string, unknown> = { sid: claims.sessionId, role: claims.role };
    if (claims.elevatedUntil !== undefined) payload.elv = claims.elevatedUntil;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: this.#kid, typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setSubject(claims.accountId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.#private!);
    return { token, expiresAt: exp * 1000 };
  }

  /** The claims of a valid, unexpired token; null for anything else. */
  async verifyAccess(token: string): Promise<AccessClaims | null> {
    if (token.length > 2000) return null;
    const key = crypto.createHash('sha256').update(token).digest('base64url');
    const known = this.#verified.get(key);
    if (known) {
      if (known.expiresAt > Date.now()) return { ...known };
      this.#verified.delete(key);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, this.#public!, { algorithms: ['EdDSA'], issuer: ISSUER, typ: 'at+jwt' });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') return null;
      const role = payload.role;
      if (role !== 'user' && role !== 'admin' && role !== 'guest') return null;
      const claims: AccessClaims = { accountId: payload.sub, sessionId: payload.sid, role, expiresAt: payload.exp * 1000 };
      if (typeof payload.elv === 'number') claims.elevatedUntil = payload.elv;
      this.#verified.set(key, claims);
      // The oldest entry goes (a Map iterates in insertion order); it is verified again if it comes back.
      if (this.#verified.size > VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!);
      return { ...claims };
    } catch {
      return null;
    }
  }
}

/**
 * Refresh tokens: `r1.<session>.<generation>.<mac>`, the mac an HMAC of the
 * session and generation under the session's sealed secret. Only the
 * generation is stored, yet every token the session ever had can be told
 * apart from a forgery: an old generation presented again is a reuse (a
 * stolen token), not a typo, and revokes the session.
 */
export const RefreshTokens = {
  newSecret(): Buffer {
    return crypto.randomBytes(32);
  },

  make(sessionId: string, generation: number, secret: Buffer): string {
    return `r1.${sessionId}.${generation}.${mac(secret, sessionId, generation)}`;
  },

  parse(token: string): { sessionId: string; generation: number; mac: string } | null {
    const match = /^r1\.([A-Za-z0-9_-]{6,64})\.(\d{1,9})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    return { sessionId: match[1]!, generation: Number(match[2]), mac: match[3]! };
  },

  /** Whether `parsed` was made with this secret (constant time). */
  authentic(parsed: { sessionId: string; generation: number; mac: string }, secret: Buffer): boolean {
    const expected = Buffer.from(mac(secret, parsed.sessionId, parsed.generation));
    const given = Buffer.from(parsed.mac);
    return expected.length === given.length && crypto.timingSafeEqual(expected, given);
  },
};

function mac(secret: Buffer, sessionId: string, generation: number): string {
  return crypto.createHmac('sha256', secret).update(`${sessionId}.${generation}`).digest('base64url');
}
