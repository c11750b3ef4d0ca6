/**
 * Signed download links: `?sig=` on GET /files/:id (or /thumbnail) lets a
 * media element or a download manager fetch one file, one variant, as one
 * person, for at most 5 minutes, without the Bearer token. The signature is
 * an HMAC under a key derived from the database's data key
 * (Sealer.blindIndex "file-link"), so every process of the installation
 * checks it and no extra secret is kept; it is never logged. Access is still
 * checked on every request (canRead of the person the link names).
 */
import type { Sealer } from '@muster/db';
import { constantTimeEqual } from '@muster/kit/constant-time';
import { LINK_TTL_MS } from '../protocol.ts';

export type LinkVariant = 'file' | 'thumbnail';

const ACCOUNT = /^[A-Za-z0-9_-]{1,64}$/;

export class SignedLinks {
  readonly #sealer: Sealer;
  readonly #now: () => number;

  constructor(sealer: Sealer, now: () => number) {
    this.#sealer = sealer;
    this.#now = now;
  }

  /** `<expiry, base 36>.<account id>.<HMAC>` */
  sign(fileId: string, accountId: string, variant: LinkVariant): { sig: string; expiresAt: number } {
    if (!ACCOUNT.test(accountId)) throw new Error('an account id of unexpected form');
    const expiresAt = this.#now() + LINK_TTL_MS;
    const exp = Math.floor(expiresAt / 1000);
    return { sig: `${exp.toString(36)}.${accountId}.${this.#sealer.blindIndex('file-link', signed(fileId, variant, accountId, exp))}`, expiresAt: exp * 1000 };
  }

  /** The account a valid, current signature names for this file and variant; undefined otherwise. */
  verify(fileId: string, variant: LinkVariant, sig: string): string | undefined {
    const parts = sig.split('.');
    if (parts.length !== 3 || sig.length > 200) return undefined;
    const [expText, accountId, mac] = parts as [string, string, string];
    if (!/^[0-9a-z]{1,10}$/.test(expText) || !ACCOUNT.test(accountId)) return undefined;
    const exp = parseInt(expText, 36);
    const now = this.#now();
    // Expired, or valid for longer than any link this server issues (a forged expiry would not verify anyway).
    if (exp * 1000 <= now || exp * 1000 > now + LINK_TTL_MS + 1000) return undefined;
    // Under every data key held: a link issued just before a key rotation still works.
    const valid = this.#sealer.blindIndexCandidates('file-link', signed(fileId, variant, accountId, exp)).some((candidate) => constantTimeEqual(candidate, mac));
    return valid ? accountId : undefined;
  }
}

function signed(fileId: string, variant: LinkVariant, accountId: string, exp: number): string {
  return JSON.stringify(['muster-file-link', fileId, variant, accountId, exp]);
}
