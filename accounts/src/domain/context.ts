import crypto from 'node:crypto';
import type { Logger } from '@muster/kit/log';
import type { LimitStore } from '@muster/kit/limits';
import type { AuditLog, Database } from '@muster/db';
import { AccountRepository, type StoredAccount } from '../store/AccountRepository.ts';
import { CodeRepository } from '../store/CodeRepository.ts';
import { LinkRepository } from '../store/LinkRepository.ts';
import { SecurityEventRepository, type SecurityEventKind } from '../store/SecurityEventRepository.ts';
import { SessionRepository } from '../store/SessionRepository.ts';
import { SettingsRepository } from '../store/SettingsRepository.ts';
import type { AccountSettings } from '../protocol.ts';
import type { CodeChannel } from './CodeChannel.ts';
import type { Passwords } from './passwords.ts';
import type { PhoneNumbers } from './phone.ts';
import type { SessionGuard } from './SessionGuard.ts';
import type { TokenService } from './TokenService.ts';

export const SETTINGS_KEY = 'accounts.settings';
export const DEFAULT_SETTINGS: AccountSettings = { signupPolicy: 'code', anonymousJoins: true, boardsSignedInOnly: false };

/** Everything the account services share: stores, policies, the clock. */
export interface AccountsContext {
  db: Database;
  accounts: AccountRepository;
  sessions: SessionRepository;
  codes: CodeRepository;
  links: LinkRepository;
  events: SecurityEventRepository;
  settings: SettingsRepository;
  audit: AuditLog;
  tokens: TokenService;
  guard: SessionGuard;
  passwords: Passwords;
  phones: PhoneNumbers;
  channel: CodeChannel;
  limits: LimitStore;
  logger: Logger;
  now: () => number;
  /** Where links printed or shown point (PUBLIC_URL), without a trailing slash; '' for relative paths. */
  publicUrl: string;
  /** Key of the signed avatar URLs (see Profiles). */
  avatarKey: Buffer;
  /** The organisation's settings, cached; the setter stores them. */
  readSettings(): Promise<AccountSettings>;
  writeSettings(settings: AccountSettings): Promise<void>;
  securityEvent(kind: SecurityEventKind, accountId: string | null, details: Record<string, unknown>): Promise<void>;
}

export function newId(prefix: string): string {
  return `${prefix}${crypto.randomBytes(12).toString('base64url')}`;
}

/** A default Muster ID: "mu" and 8 random letters and digits; its owner may choose their own. */
export function defaultMusterId(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = crypto.randomBytes(8);
  return `mu${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export function isExpired(account: StoredAccount, now: number): boolean {
  return account.expiresAt !== null && account.expiresAt <= now;
}

export function repositories(db: Database) {
  return {
    accounts: new AccountRepository(db),
    sessions: new SessionRepository(db),
    codes: new CodeRepository(db),
    links: new LinkRepository(db),
    events: new SecurityEventRepository(db),
    settings: new SettingsRepository(db),
  };
}
