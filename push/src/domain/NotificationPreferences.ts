import type { Principal } from '@muster/accounts';
import { zodMessage } from '@muster/kit/gateway';
import { PushError } from '../errors.ts';
import { NotificationSettingsSchema, type NotificationSettings } from '../protocol.ts';
import type { NotificationSettingsRepository } from '../store/NotificationSettingsRepository.ts';
import { inQuietHours } from './quietHours.ts';

/**
 * Each person's notification settings (`/me/notifications`): message
 * previews (off by default: a notification says who wrote and how many,
 * never what) and do-not-disturb hours (nothing is pushed then, and nothing
 * is kept to push afterwards).
 */
export class NotificationPreferences {
  readonly #store: NotificationSettingsRepository;
  readonly #now: () => number;

  constructor(options: { store: NotificationSettingsRepository; now?: () => number }) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
  }

  get(principal: Principal): Promise<NotificationSettings> {
    return this.#store.get(principal.accountId);
  }

  /** Replaces the settings (PUT: both fields). */
  async put(principal: Principal, input: unknown): Promise<NotificationSettings> {
    const parsed = NotificationSettingsSchema.safeParse(input ?? {});
    if (!parsed.success) throw new PushError('BAD_REQUEST', `body: ${zodMessage(parsed.error)}`);
    return this.#store.put(principal.accountId, parsed.data, this.#now());
  }

  /** An account's settings (the notifier's read). */
  of(accountId: string): Promise<NotificationSettings> {
    return this.#store.get(accountId);
  }

  /** Whether the account is in its do-not-disturb hours at `at`. */
  static quiet(settings: NotificationSettings, at: number): boolean {
    return inQuietHours(settings.dnd, at);
  }
}
