import { hash, verify } from '@node-rs/argon2';

/** @node-rs/argon2's Algorithm.Argon2id (a const enum, which isolated modules cannot read). */
const ARGON2ID = 2;
import { dictionary } from '@zxcvbn-ts/language-common';
import { AccountError } from '../errors.ts';

export const MIN_PASSWORD_LENGTH = 8;

/**
 * Argon2id with the OWASP baseline (19 MiB, 2 passes, 1 lane): about 30 ms
 * per hash on one core here, so 50 log-ins at once stay well inside a
 * second on the 2-core machines (see the accounts benchmark).
 */
export interface PasswordCost {
  memoryCost: number;
  timeCost: number;
}
export const DEFAULT_PASSWORD_COST: PasswordCost = { memoryCost: 19_456, timeCost: 2 };
/** Tests only: the cheapest Argon2id that still is Argon2id. */
export const TEST_PASSWORD_COST: PasswordCost = { memoryCost: 1_024, timeCost: 1 };

// The 49k most common passwords of zxcvbn's list (npm: @zxcvbn-ts/language-common), lower-cased.
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  return common;
}

export class Passwords {
  readonly #cost: PasswordCost;

  constructor(cost: PasswordCost = DEFAULT_PASSWORD_COST) {
    this.#cost = cost;
  }

  /** PASSWORD_WEAK with the reason, or nothing. */
  check(password: string, context: { phone?: string | null; nickname?: string } = {}): void {
    if ([...password].length < MIN_PASSWORD_LENGTH) throw new AccountError('PASSWORD_WEAK', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    const lower = password.toLowerCase();
    if (commonPasswords().has(lower)) throw new AccountError('PASSWORD_WEAK', 'this password is one of the most common ones; choose another');
    if (/^(.)\1+$/.test(password)) throw new AccountError('PASSWORD_WEAK', 'a password of one repeated character is too easy to guess');
    const digits = context.phone?.replace(/\D/g, '');
    if (digits && digits.length >= 6 && lower.replace(/\D/g, '').length >= 6 && digits.includes(lower.replace(/\D/g, '')) && /^\d+$/.test(lower)) {
      throw new AccountError('PASSWORD_WEAK', 'a password must not be part of the phone number');
    }
  }

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, memoryCost: this.#cost.memoryCost, timeCost: this.#cost.timeCost, parallelism: 1 });
  }

  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }

  /**
   * A hash to verify against when there is no account: a log-in for an
   * unknown number costs as much as one for a known number, so timing does
   * not tell which numbers have accounts.
   */
  #dummy: Promise<string> | undefined;
  async verifyNothing(password: string): Promise<false> {
    this.#dummy ??= this.hash('muster-no-such-account');
    await this.verify(await this.#dummy, password);
    return false;
  }
}
