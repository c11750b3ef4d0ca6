import type { SettingsRepository } from '@muster/accounts';
import type { AuditLog } from '@muster/db';
import type { ChannelsSettings } from '../protocol.ts';
import { auditActor, type Actor } from './Actor.ts';

/** The console's channels settings: one sealed value in the organisation's settings table (as IM keeps its own). */
export const CHANNELS_SETTINGS_KEY = 'channels.settings';
export const DEFAULT_CHANNELS_SETTINGS: ChannelsSettings = { keywords: [] };

/**
 * The keyword list of the built-in content check, as admins set it at run
 * time (GET/PUT /admin/channels/settings), beside the list the server was
 * started with (ChannelsOptions.keywords), which the console does not show
 * or change. Sealed at rest: a keyword list says what an organisation
 * watches for.
 */
export class ModerationSettings {
  readonly #settings: SettingsRepository;
  readonly #audit: AuditLog;
  readonly #configured: readonly string[];

  constructor(options: { settings: SettingsRepository; audit: AuditLog; configured?: readonly string[] }) {
    this.#settings = options.settings;
    this.#audit = options.audit;
    this.#configured = options.configured ?? [];
  }

  async get(): Promise<ChannelsSettings> {
    return { ...DEFAULT_CHANNELS_SETTINGS, ...((await this.#settings.get<Partial<ChannelsSettings>>(CHANNELS_SETTINGS_KEY)) ?? {}) };
  }

  /** The caller has checked the console; the change is audited (how many keywords, never which). */
  async put(actor: Actor, settings: ChannelsSettings): Promise<ChannelsSettings> {
    const next = { keywords: [...new Set(settings.keywords)] };
    await this.#settings.put(CHANNELS_SETTINGS_KEY, next);
    await this.#audit.append({ actor: auditActor(actor), action: 'channels.settings.update', target: 'channels', details: { keywords: next.keywords.length } });
    return next;
  }

  /** Every keyword in force: the configured ones and the console's. */
  async keywords(): Promise<string[]> {
    return [...new Set([...this.#configured, ...(await this.get()).keywords])];
  }
}
