import crypto from 'node:crypto';
import type { Limit } from '@muster/kit/limits';
import { AccountError } from '../errors.ts';
import type { Avatar, PublicProfile, User } from '../protocol.ts';
import type { AvatarImages, StoredAccount } from '../store/AccountRepository.ts';
import { avatarImages, type AvatarSize } from './avatarImages.ts';
import { isExpired, type AccountsContext } from './context.ts';
import type { Principal } from './SessionGuard.ts';

/** Look-ups by phone or Muster ID one person may make in an hour. */
export const LOOKUPS_PER_HOUR = 60;
/** A Muster ID may be changed again this long after its owner last set it. */
export const MUSTER_ID_CHANGE_MS = 365 * 24 * 3600_000;
export { AVATAR_MAX_BYTES, AVATAR_SIZES, type AvatarSize } from './avatarImages.ts';

/** Finds an avatar that is not a person's (a group's) by its id, for the signed avatar route. */
export type AvatarSource = (id: string) => Promise<AvatarImages | null>;

export interface ProfileChange {
  nickname?: string;
  musterId?: string;
  gender?: User['gender'];
  region?: string;
  signature?: string;
}

/**
 * What a person shows of themselves: their own full view (`User`), what
 * others see (`PublicProfile`), the profile settings, and the avatar.
 */
export class Profiles {
  readonly #c: AccountsContext;
  readonly #lookups: Limit;
  #source: AvatarSource | undefined;

  constructor(context: AccountsContext) {
    this.#c = context;
    this.#lookups = context.limits.rate({ name: 'user-lookups', points: LOOKUPS_PER_HOUR, perSeconds: 3600 });
  }

  async userOf(account: StoredAccount): Promise<User> {
    const changedAt = account.profile.musterIdChangedAt;
    const changeableAt = changedAt === null ? null : changedAt + MUSTER_ID_CHANGE_MS;
    return {
      ...this.publicOf(account),
      phone: account.profile.phone,
      phoneVerified: account.profile.phoneVerified,
      role: account.role,
      status: account.status,
      gender: account.profile.gender,
      region: account.profile.region,
      signature: account.profile.signature,
      createdAt: account.createdAt,
      expiresAt: account.expiresAt,
      musterIdChangeableAt: changeableAt !== null && changeableAt > this.#c.now() ? changeableAt : null,
      hasPassword: account.credentials.passwordHash !== undefined,
    };
  }

  publicOf(account: StoredAccount): PublicProfile {
    const version = account.profile.avatarVersion;
    return {
      id: account.id,
      nickname: account.profile.nickname,
      musterId: account.musterId,
      avatar: version === null ? null : { small: this.avatarPath(account.id, version, 'small'), large: this.avatarPath(account.id, version, 'large') },
    };
  }

  async me(principal: Principal): Promise<User> {
    return this.userOf(await this.#own(principal));
  }

  /** Public profiles of active accounts, by id (unknown or disabled ones left out). */
  async publicProfiles(ids: readonly string[]): Promise<Map<string, PublicProfile>> {
    const accounts = await this.#c.accounts.getMany([...new Set(ids)]);
    return new Map(accounts.filter((a) => a.status === 'active').map((a) => [a.id, this.publicOf(a)]));
  }

  /** Whether an account may befriend, message and be found: active, and not a guest (temporary) account. */
  async isRegularUser(id: string): Promise<boolean> {
    const account = await this.#c.accounts.get(id);
    return account !== null && account.status === 'active' && account.role !== 'guest' && !isExpired(account, this.#c.now());
  }

  /** Anyone signed in may see a person's public profile; an unknown id is NOT_FOUND. */
  async publicProfile(id: string): Promise<PublicProfile> {
    const account = await this.#c.accounts.get(id);
    if (!account || account.status !== 'active') throw new AccountError('NOT_FOUND', 'no such user');
    return this.publicOf(account);
  }

  /**
   * Finds a person by exact phone number or Muster ID (never by a part of
   * one: no enumeration). Counted per asker: a crawler of numbers is slowed
   * to a person's pace.
   */
  async lookup(principal: Principal, by: { phone?: string; musterId?: string }): Promise<PublicProfile> {
    const verdict = await this.#lookups.take(principal.accountId);
    if (!verdict.allowed) throw new AccountError('RATE_LIMITED', 'too many look-ups; try again later', verdict.retryAfterMs / 1000);
    let account: StoredAccount | null = null;
    if (by.phone !== undefined) {
      let phone: string | null = null;
      try {
        phone = this.#c.phones.normalise(by.phone);
      } catch {
        phone = null;
      }
      account = phone === null ? null : await this.#c.accounts.findByPhone(phone);
    } else if (by.musterId !== undefined) {
      account = await this.#c.accounts.findByMusterId(by.musterId);
    }
    if (!account || account.status !== 'active' || account.role === 'guest') throw new AccountError('NOT_FOUND', 'nobody has that number or Muster ID');
    return this.publicOf(account);
  }

  async update(principal: Principal, change: ProfileChange): Promise<User> {
    const now = this.#c.now();
    const updated = await this.#c.accounts.update(principal.accountId, (account) => {
      const next = { ...account, updatedAt: now, profile: { ...account.profile } };
      if (change.nickname !== undefined) next.profile.nickname = change.nickname;
      if (change.gender !== undefined) next.profile.gender = change.gender;
      if (change.region !== undefined) next.profile.region = change.region;
      if (change.signature !== undefined) next.profile.signature = change.signature;
      if (change.musterId !== undefined && change.musterId.toLowerCase() !== account.musterId) {
        const last = account.profile.musterIdChangedAt;
        if (last !== null && last + MUSTER_ID_CHANGE_MS > now) {
          const date = new Date(last + MUSTER_ID_CHANGE_MS).toISOString().slice(0, 10);
          throw new AccountError('MUSTER_ID_TOO_SOON', `a Muster ID can be changed once a year; next on ${date}`);
        }
        next.musterId = change.musterId.toLowerCase();
        next.profile.musterIdChangedAt = now;
      }
      return next;
    });
    if (!updated) throw new AccountError('UNAUTHORIZED', 'sign in again');
    return this.userOf(updated);
  }

  /**
   * Any image sharp reads (JPEG, PNG, WebP, GIF, AVIF, HEIF…): turned
   * upright, cropped to the middle square, and stored as 64 and 256 px WebP.
   * Metadata (GPS position in a phone photo) is dropped.
   */
  async setAvatar(principal: Principal, image: Buffer): Promise<User> {
    const { small, large } = await avatarImages(image);
    const account = await this.#own(principal);
    const version = (account.profile.avatarVersion ?? 0) + 1;
    await this.#c.accounts.putAvatar(account.id, { version, small, large });
    const updated = await this.#c.accounts.update(account.id, (a) => ({ ...a, updatedAt: this.#c.now(), profile: { ...a.profile, avatarVersion: version } }));
    return this.userOf(updated ?? account);
  }

  /**
   * The image behind a signed avatar path. Image elements cannot send a
   * Bearer token, so the path carries a signature instead: only someone the
   * server showed the profile to has it, and a new avatar gets a new path.
   */
  async avatar(id: string, version: number, size: AvatarSize, signature: string): Promise<Buffer> {
    const expected = Buffer.from(this.#sign(id, version, size));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) throw new AccountError('NOT_FOUND', 'no such avatar');
    const images = (await this.#c.accounts.getAvatar(id)) ?? (await this.#source?.(id)) ?? null;
    if (!images || images.version !== version) throw new AccountError('NOT_FOUND', 'no such avatar');
    return images[size];
  }

  /**
   * Serves avatars kept elsewhere (a group's, by its id) at the same signed
   * paths: ids never collide (a group's starts with `cv`).
   */
  useAvatarSource(source: AvatarSource): void {
    this.#source = source;
  }

  /** The signed paths of an avatar at a version (a group's: see useAvatarSource). */
  avatarPaths(id: string, version: number): NonNullable<Avatar> {
    return { small: this.avatarPath(id, version, 'small'), large: this.avatarPath(id, version, 'large') };
  }

  avatarPath(id: string, version: number, size: AvatarSize): string {
    return `/api/v1/avatars/${id}/${version}/${size}.webp?sig=${this.#sign(id, version, size)}`;
  }

  #sign(id: string, version: number, size: AvatarSize): string {
    return crypto.createHmac('sha256', this.#c.avatarKey).update(`${id}/${version}/${size}`).digest('base64url').slice(0, 32);
  }

  async #own(principal: Principal): Promise<StoredAccount> {
    const account = await this.#c.accounts.get(principal.accountId);
    if (!account) throw new AccountError('UNAUTHORIZED', 'sign in again');
    return account;
  }
}
