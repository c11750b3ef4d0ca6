import crypto from 'node:crypto';
import { isAccountError, type Accounts } from '@muster/accounts';
import type { AuditLog } from '@muster/db';
import { compareNames, matchesName, nameIndex, type NameIndex } from '@muster/im';
import { ChannelsError } from '../errors.ts';
import {
  DEFAULT_DAILY_CAP,
  type CreateServiceAccount,
  type DirectoryEntry,
  type PersonView,
  type ServiceAccountView,
  type UpdateServiceAccount,
} from '../protocol.ts';
import type { ServiceAccountRepository, StoredServiceAccount } from '../store/ServiceAccountRepository.ts';
import type { SubscriptionRepository } from '../store/SubscriptionRepository.ts';
import { auditActor, type Actor } from './Actor.ts';
import type { FileAccess } from './FileAccess.ts';
import { foldForKeywords } from './KeywordContentCheck.ts';

export interface ServiceAccountsOptions {
  store: ServiceAccountRepository;
  subscriptions: SubscriptionRepository;
  accounts: Accounts;
  files: FileAccess;
  audit: AuditLog;
  now: () => number;
}

const newId = () => `sa${crypto.randomBytes(16).toString('base64url')}`;

/**
 * Service accounts and who runs them. Admins (from the console: elevated,
 * as every console route) and the organisation's token create, change and
 * delete accounts and name their editors; every change is audited. Anyone
 * signed in sees the directory and an account's page; a deleted or unknown
 * account is NOT_FOUND.
 */
export class ServiceAccounts {
  readonly #o: ServiceAccountsOptions;
  /** Name indexes by name: pinyin is worked out once per distinct name (as IM's contacts do). */
  readonly #indexes = new Map<string, NameIndex>();

  constructor(options: ServiceAccountsOptions) {
    this.#o = options;
  }

  // ------------------------------------------------------------ access

  /**
   * The console's check, as IM's console routes make it: an admin whose
   * elevation is current (SECOND_FACTOR_REQUIRED otherwise), or the
   * organisation's token. Anyone else: FORBIDDEN (the directory is theirs
   * to see, not to change).
   */
  assertConsole(actor: Actor): void {
    if (actor.kind === 'organisation') return;
    const { principal } = actor;
    if (principal.role !== 'admin') throw new ChannelsError('FORBIDDEN', 'only an admin (from the console) creates and changes service accounts');
    try {
      this.#o.accounts.admin.assertConsole(principal);
    } catch (error) {
      if (isAccountError(error, 'SECOND_FACTOR_REQUIRED')) throw new ChannelsError('SECOND_FACTOR_REQUIRED', error.message);
      if (isAccountError(error)) throw new ChannelsError('FORBIDDEN', 'only an admin (from the console) creates and changes service accounts');
      throw error;
    }
  }

  /** A live account, or NOT_FOUND. */
  async live(id: string): Promise<StoredServiceAccount> {
    const account = await this.#o.store.get(id);
    if (!account) throw new ChannelsError('NOT_FOUND', 'no such service account');
    return account;
  }

  /** Whether the actor publishes and moderates for the account: one of its editors, or the organisation. */
  async isEditor(actor: Actor, serviceAccountId: string): Promise<boolean> {
    return actor.kind === 'organisation' || this.#o.store.isEditor(serviceAccountId, actor.principal.accountId);
  }

  /** The account (live) when the actor is its editor; NOT_FOUND when it is gone, FORBIDDEN for anyone else. */
  async asEditor(actor: Actor, serviceAccountId: string): Promise<StoredServiceAccount> {
    const account = await this.live(serviceAccountId);
    if (!(await this.isEditor(actor, serviceAccountId))) throw new ChannelsError('FORBIDDEN', 'only the account’s editors may do this');
    return account;
  }

  editors(serviceAccountId: string): Promise<string[]> {
    return this.#o.store.editors(serviceAccountId);
  }

  // ------------------------------------------------------------ the console

  async create(actor: Actor, input: CreateServiceAccount): Promise<{ id: string }> {
    this.assertConsole(actor);
    const editors = await this.#checkEditors(input.editors ?? []);
    if (input.avatarFileId) await this.#checkAvatar(actor, editors, input.avatarFileId);
    const id = newId();
    const account = {
      id,
      name: input.name,
      description: input.description ?? '',
      kind: input.kind ?? 'subscription',
      dailyCap: input.dailyCap ?? DEFAULT_DAILY_CAP,
      avatarFileId: input.avatarFileId ?? null,
      createdAt: this.#o.now(),
    } as const;
    if ((await this.#o.store.create(account, editors)) === 'taken') throw new ChannelsError('NAME_TAKEN', 'another service account has this name');
    await this.#o.audit.append({ actor: auditActor(actor), action: 'channels.account.create', target: id, details: { name: account.name, kind: account.kind, dailyCap: account.dailyCap, editors } });
    return { id };
  }

  async update(actor: Actor, id: string, change: UpdateServiceAccount): Promise<ServiceAccountView> {
    this.assertConsole(actor);
    await this.live(id);
    if (change.avatarFileId) await this.#checkAvatar(actor, await this.editors(id), change.avatarFileId);
    const result = await this.#o.store.update(id, change, this.#o.now());
    if (result === 'taken') throw new ChannelsError('NAME_TAKEN', 'another service account has this name');
    if (result === 'gone') throw new ChannelsError('NOT_FOUND', 'no such service account');
    await this.#o.audit.append({ actor: auditActor(actor), action: 'channels.account.update', target: id, details: change });
    return this.page(actor, id);
  }

  /** Deletes an account: its page, articles and comments are gone for everyone; its subscribers' lists drop it. */
  async delete(actor: Actor, id: string): Promise<void> {
    this.assertConsole(actor);
    if (!(await this.#o.store.delete(id, this.#o.now()))) throw new ChannelsError('NOT_FOUND', 'no such service account');
    await this.#o.audit.append({ actor: auditActor(actor), action: 'channels.account.delete', target: id });
  }

  async setEditors(actor: Actor, id: string, editors: readonly string[]): Promise<PersonView[]> {
    this.assertConsole(actor);
    await this.live(id);
    const checked = await this.#checkEditors(editors);
    await this.#o.store.setEditors(id, checked, this.#o.now());
    await this.#o.audit.append({ actor: auditActor(actor), action: 'channels.account.editors', target: id, details: { editors: checked } });
    return this.#people(checked);
  }

  /** Editors are regular people of the organisation: active, not guests. */
  async #checkEditors(editors: readonly string[]): Promise<string[]> {
    const unique = [...new Set(editors)];
    for (const id of unique) {
      if (!(await this.#o.accounts.profiles.isRegularUser(id))) throw new ChannelsError('BAD_REQUEST', `editors: no such user ${id} (editors are active accounts, not guests)`);
    }
    return unique;
  }

  async #checkAvatar(actor: Actor, editors: readonly string[], fileId: string): Promise<void> {
    const view = (await this.#o.files.attachable(actor, editors, [fileId])).get(fileId);
    if (!view || view.expired) throw new ChannelsError('BAD_REQUEST', 'avatarFileId: not an image you may use (a finished upload of yours, or for the organisation’s token, of an editor’s)');
    if (view.kind !== 'image') throw new ChannelsError('BAD_REQUEST', 'avatarFileId: the avatar must be an image');
  }

  // ------------------------------------------------------------ reading

  /** The directory: every live account, by name (pinyin order), or those whose name or description match `q`. */
  async directory(actor: Actor, q: string | undefined): Promise<DirectoryEntry[]> {
    let accounts = await this.#o.store.list();
    const query = q?.trim() ?? '';
    if (query !== '') {
      const folded = foldForKeywords(query);
      accounts = accounts.filter((a) => matchesName(query, this.#index(a.name)) || foldForKeywords(a.description).includes(folded));
    }
    accounts.sort((a, b) => compareNames(this.#index(a.name), this.#index(b.name)) || (a.id < b.id ? -1 : 1));
    const subscribed = actor.kind === 'person' ? await this.#o.subscriptions.subscribedAmong(actor.principal.accountId, accounts.map((a) => a.id)) : new Set<string>();
    return accounts.map((a) => ({
      id: a.id,
      name: a.name,
      description: a.description,
      kind: a.kind,
      avatarFileId: a.avatarFileId,
      latestArticleAt: a.latestArticleAt,
      subscribed: subscribed.has(a.id),
    }));
  }

  /** An account's page: its profile, subscribers, whether the caller subscribes; its editors for editors and admins. */
  async page(actor: Actor, id: string): Promise<ServiceAccountView> {
    const account = await this.live(id);
    const editor = await this.isEditor(actor, id);
    const subscription = actor.kind === 'person' ? await this.#o.subscriptions.get(actor.principal.accountId, id) : null;
    const view: ServiceAccountView = {
      id: account.id,
      name: account.name,
      description: account.description,
      kind: account.kind,
      avatarFileId: account.avatarFileId,
      dailyCap: account.dailyCap,
      latestArticleAt: account.latestArticleAt,
      createdAt: account.createdAt,
      subscribed: subscription !== null,
      subscribers: await this.#o.subscriptions.count(id),
      editor,
    };
    if (editor || (actor.kind === 'person' && actor.principal.role === 'admin')) view.editors = await this.#people(await this.editors(id));
    return view;
  }

  async #people(ids: readonly string[]): Promise<PersonView[]> {
    const profiles = await this.#o.accounts.profiles.publicProfiles(ids);
    return ids.flatMap((id) => {
      const p = profiles.get(id);
      return p ? [{ id: p.id, nickname: p.nickname, avatar: p.avatar }] : [];
    });
  }

  #index(name: string): NameIndex {
    let index = this.#indexes.get(name);
    if (!index) {
      index = nameIndex(name);
      if (this.#indexes.size > 20_000) this.#indexes.clear();
      this.#indexes.set(name, index);
    }
    return index;
  }
}
