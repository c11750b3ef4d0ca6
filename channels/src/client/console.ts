/**
 * The admin console's service-accounts part (`@muster/channels/client`),
 * framework-free: the console's REST calls (`ChannelsConsole`) and the pure
 * form logic its view uses (the account form and the change to send, the
 * daily cap's floor, the editors list, the keyword list, readable words for
 * the server's refusals).
 *
 * Give it a transport whose REST calls carry the console's elevated token
 * (in the web client: IM's AccountTransport over `accounts.admin`); a lapsed
 * second factor rejects with SECOND_FACTOR_REQUIRED, as the other consoles do.
 * It imports only types from the protocol (its zod schemas, built at import,
 * probe for eval, which the page's CSP refuses), and the limits from their
 * zod-free module.
 */
import type { ChannelsSettings, CreateServiceAccount, DirectoryEntry, PersonView, ServiceAccountKind, ServiceAccountView, UpdateServiceAccount } from '../protocol.ts';
import type { ChannelsTransport } from './transport.ts';

export type { ChannelsSettings, CreateServiceAccount, PersonView, ServiceAccountKind, UpdateServiceAccount };

import { DEFAULT_DAILY_CAP, MAX_DAILY_CAP, MAX_DESCRIPTION_CHARS, MAX_EDITORS, MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_NAME_CHARS, MIN_DAILY_CAP } from '../limits.ts';

export { DEFAULT_DAILY_CAP, MAX_DAILY_CAP, MAX_DESCRIPTION_CHARS, MAX_EDITORS, MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_NAME_CHARS, MIN_DAILY_CAP };

/** The kinds as the console names them. */
export const KIND_LABELS: Record<ServiceAccountKind, string> = { subscription: 'Subscription account (订阅号)', service: 'Service account (服务号)' };

const id = (value: string) => encodeURIComponent(value);

export class ChannelsConsole {
  readonly #t: Pick<ChannelsTransport, 'request'>;

  constructor(transport: Pick<ChannelsTransport, 'request'>) {
    this.#t = transport;
  }

  /** Every live account by name, or those whose name (its pinyin) or description match `q`. */
  async accounts(q = ''): Promise<DirectoryEntry[]> {
    const query = q.trim();
    return (await this.#t.request<{ accounts: DirectoryEntry[] }>('GET', `/service-accounts${query ? `?q=${encodeURIComponent(query)}` : ''}`)).accounts;
  }
  /** One account, with its editors (admins see them). */
  account(serviceAccountId: string): Promise<ServiceAccountView> {
    return this.#t.request('GET', `/service-accounts/${id(serviceAccountId)}`);
  }
  async create(request: CreateServiceAccount): Promise<string> {
    return (await this.#t.request<{ id: string }>('POST', '/service-accounts', request)).id;
  }
  update(serviceAccountId: string, change: UpdateServiceAccount): Promise<ServiceAccountView> {
    return this.#t.request('PATCH', `/service-accounts/${id(serviceAccountId)}`, change);
  }
  delete(serviceAccountId: string): Promise<void> {
    return this.#t.request('DELETE', `/service-accounts/${id(serviceAccountId)}`);
  }
  /** Names the editors (the whole list); answers them as people. */
  async setEditors(serviceAccountId: string, editors: readonly string[]): Promise<PersonView[]> {
    return (await this.#t.request<{ editors: PersonView[] }>('PUT', `/service-accounts/${id(serviceAccountId)}/editors`, { editors })).editors;
  }
  /** The comment keyword list of the built-in content check. */
  settings(): Promise<ChannelsSettings> {
    return this.#t.request('GET', '/admin/channels/settings');
  }
  updateSettings(settings: ChannelsSettings): Promise<ChannelsSettings> {
    return this.#t.request('PUT', '/admin/channels/settings', settings);
  }
}

// ------------------------------------------------------------------ the account form

export interface AccountForm {
  name: string;
  description: string;
  kind: ServiceAccountKind;
  /** As typed. */
  dailyCap: string;
  avatarFileId: string | null;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export function emptyAccountForm(): AccountForm {
  return { name: '', description: '', kind: 'subscription', dailyCap: String(DEFAULT_DAILY_CAP), avatarFileId: null };
}

export function accountForm(account: Pick<ServiceAccountView, 'name' | 'description' | 'kind' | 'dailyCap' | 'avatarFileId'>): AccountForm {
  return { name: account.name, description: account.description, kind: account.kind, dailyCap: String(account.dailyCap), avatarFileId: account.avatarFileId };
}

const chars = (s: string) => Array.from(s).length;

/** The daily cap as typed: a whole number from 10 (never below: the organisation's minimum) to 1000. */
export function dailyCapValue(input: string): Checked<number> {
  const text = input.trim();
  if (!/^\d+$/.test(text)) return { ok: false, error: `The daily cap is a whole number of articles, from ${MIN_DAILY_CAP} to ${MAX_DAILY_CAP}.` };
  const n = Number(text);
  if (n < MIN_DAILY_CAP) return { ok: false, error: `The daily cap is at least ${MIN_DAILY_CAP} articles a day.` };
  if (n > MAX_DAILY_CAP) return { ok: false, error: `The daily cap is at most ${MAX_DAILY_CAP} articles a day.` };
  return { ok: true, value: n };
}

/** The form's fields checked as the server checks them: the name, the description, the cap. */
function checkForm(form: AccountForm): Checked<{ name: string; description: string; dailyCap: number }> {
  const name = form.name.trim();
  if (name === '') return { ok: false, error: 'Give the account a name.' };
  if (chars(name) > MAX_NAME_CHARS) return { ok: false, error: `A name is at most ${MAX_NAME_CHARS} characters.` };
  const description = form.description.trim();
  if (chars(description) > MAX_DESCRIPTION_CHARS) return { ok: false, error: `A description is at most ${MAX_DESCRIPTION_CHARS} characters.` };
  const cap = dailyCapValue(form.dailyCap);
  if (!cap.ok) return cap;
  return { ok: true, value: { name, description, dailyCap: cap.value } };
}

/** The body of POST /service-accounts, or what is wrong with the form. */
export function createRequest(form: AccountForm, editors: readonly Pick<PersonView, 'id'>[]): Checked<CreateServiceAccount> {
  const checked = checkForm(form);
  if (!checked.ok) return checked;
  if (editors.length > MAX_EDITORS) return { ok: false, error: `At most ${MAX_EDITORS} editors.` };
  const { name, description, dailyCap } = checked.value;
  const request: CreateServiceAccount = { name, kind: form.kind, dailyCap, editors: editors.map((e) => e.id) };
  if (description) request.description = description;
  if (form.avatarFileId) request.avatarFileId = form.avatarFileId;
  return { ok: true, value: request };
}

/** The PATCH body: only the fields that differ from the saved account (empty: nothing changed), or what is wrong. */
export function accountChange(saved: Pick<ServiceAccountView, 'name' | 'description' | 'kind' | 'dailyCap' | 'avatarFileId'>, form: AccountForm): Checked<UpdateServiceAccount> {
  const checked = checkForm(form);
  if (!checked.ok) return checked;
  const { name, description, dailyCap } = checked.value;
  const change: UpdateServiceAccount = {};
  if (name !== saved.name) change.name = name;
  if (description !== saved.description) change.description = description;
  if (form.kind !== saved.kind) change.kind = form.kind;
  if (dailyCap !== saved.dailyCap) change.dailyCap = dailyCap;
  if (form.avatarFileId !== saved.avatarFileId) change.avatarFileId = form.avatarFileId;
  return { ok: true, value: change };
}

// ------------------------------------------------------------------ editors

/** A person the console may name as an editor (from the Users search). */
export interface Candidate {
  id: string;
  nickname: string;
  role: string;
  status: string;
}

/** Whether the server would take this person as an editor: an active account, not a guest. */
export function canEdit(person: Pick<Candidate, 'role' | 'status'>): boolean {
  return person.role !== 'guest' && person.status === 'active';
}

/** The list with this person added (once, at the end), or why not. */
export function addEditor(list: readonly PersonView[], person: Candidate & { avatar?: PersonView['avatar'] }): Checked<PersonView[]> {
  if (list.some((e) => e.id === person.id)) return { ok: false, error: `${person.nickname} is already an editor.` };
  if (!canEdit(person)) return { ok: false, error: `${person.nickname} cannot be an editor: editors are active accounts, not guests.` };
  if (list.length >= MAX_EDITORS) return { ok: false, error: `At most ${MAX_EDITORS} editors.` };
  return { ok: true, value: [...list, { id: person.id, nickname: person.nickname, avatar: person.avatar ?? null }] };
}

export function removeEditor(list: readonly PersonView[], personId: string): PersonView[] {
  return list.filter((e) => e.id !== personId);
}

/** Whether the list names other people than the saved one (order aside). */
export function editorsChanged(saved: readonly Pick<PersonView, 'id'>[], list: readonly Pick<PersonView, 'id'>[]): boolean {
  const before = new Set(saved.map((e) => e.id));
  return before.size !== new Set(list.map((e) => e.id)).size || list.some((e) => !before.has(e.id));
}

// ------------------------------------------------------------------ keywords

export function keywordsText(keywords: readonly string[]): string {
  return keywords.join('\n');
}

/** The keyword list from the text box (one a line, or comma-separated): trimmed, blanks and repeats dropped, or what is wrong. */
export function parseKeywords(text: string): Checked<string[]> {
  const seen = new Set<string>();
  const list: string[] = [];
  for (const raw of text.split(/[\n,，]/)) {
    const word = raw.trim();
    if (word === '' || seen.has(word)) continue;
    if (chars(word) > MAX_KEYWORD_CHARS) return { ok: false, error: `“${word}” is too long: a keyword is at most ${MAX_KEYWORD_CHARS} characters.` };
    seen.add(word);
    list.push(word);
  }
  if (list.length > MAX_KEYWORDS) return { ok: false, error: `At most ${MAX_KEYWORDS} keywords.` };
  return { ok: true, value: list };
}

// ------------------------------------------------------------------ refusals

/** Readable words for a refused console call (the server's code, else its message). */
export function consoleErrorText(error: unknown): string {
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'NAME_TAKEN':
      return 'Another service account has this name.';
    case 'NOT_FOUND':
      return 'That service account is gone (deleted meanwhile?).';
    case 'FORBIDDEN':
      return 'Only an administrator, from the console, may do this.';
    case 'NETWORK':
      return 'The server cannot be reached. Try again.';
    case 'RATE_LIMITED':
      return 'Too many attempts. Wait a little.';
    case 'BAD_REQUEST':
      return e.message ? `Refused: ${e.message}` : 'The server refused this.';
    default:
      return e.message || 'Something went wrong. Try again.';
  }
}
