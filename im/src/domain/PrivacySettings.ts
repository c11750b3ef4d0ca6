import type { Principal } from '@muster/accounts';
import type { ImSettings } from '../protocol.ts';
import type { ImSettingsRepository } from '../store/ImSettingsRepository.ts';

/**
 * A person's IM privacy settings, both off by default: `hideLastSeen` (their
 * contacts see online or offline, never when they were last online) and
 * `acceptFromNonFriends` (people who are not their contacts may open a
 * conversation with them; a block still refuses). Conversations asks
 * acceptsStrangers (its StrangerRule); Presence reads hideLastSeen.
 */
export class PrivacySettings {
  readonly #store: ImSettingsRepository;
  readonly #now: () => number;

  constructor(options: { settings: ImSettingsRepository; now?: () => number }) {
    this.#store = options.settings;
    this.#now = options.now ?? Date.now;
  }

  async get(principal: Principal): Promise<ImSettings> {
    return view(await this.#store.get(principal.accountId));
  }

  async update(principal: Principal, change: Partial<ImSettings>): Promise<ImSettings> {
    return view(await this.#store.update(principal.accountId, change, this.#now()));
  }

  /** Whether `userId` takes conversations from people who are not their contacts. */
  async acceptsStrangers(userId: string): Promise<boolean> {
    return (await this.#store.get(userId)).acceptFromNonFriends;
  }
}

function view(stored: { hideLastSeen: boolean; acceptFromNonFriends: boolean }): ImSettings {
  return { hideLastSeen: stored.hideLastSeen, acceptFromNonFriends: stored.acceptFromNonFriends };
}
