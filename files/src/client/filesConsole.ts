/**
 * The admin console's Files part (`@muster/files/client`), framework-free:
 * the REST calls (`FilesConsole`) and the pure form logic the console's view
 * uses (sizes in MB/GB, the retention period, blocked types, the change to
 * send, and readable words for the server's refusals).
 *
 * `GET/PUT /api/v1/admin/files/settings` want an elevated admin: give the
 * console a `fetch` that carries the console's elevated token (in the web
 * client, `accounts.admin.fetch`); a lapsed second factor rejects with
 * SECOND_FACTOR_REQUIRED (403), as the accounts and IM consoles do.
 */
import type { FilesAdminSettings, FilesAdminSettingsUpdate } from '../protocol.ts';

export type { FilesAdminSettings, FilesAdminSettingsUpdate };

export interface FilesConsoleOptions {
  /** `fetch` with the console's elevated token, paths below /api/v1 (AccountClient.admin.fetch). */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
}

/** A refused console call: the server's stable code (or NETWORK), its message, the HTTP status (0 when none came). */
export class FilesConsoleError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'FilesConsoleError';
    this.code = code;
    this.status = status;
  }
}

const SETTINGS_PATH = '/admin/files/settings';

export class FilesConsole {
  readonly #fetch: FilesConsoleOptions['fetch'];

  constructor(options: FilesConsoleOptions) {
    this.#fetch = options.fetch;
  }

  /** The upload limit, the retention period (null: for ever) and the blocked types. */
  settings(): Promise<FilesAdminSettings> {
    return this.#request('GET', SETTINGS_PATH);
  }

  /** Changes the fields given (the others stay); answers the settings as they now are. */
  updateSettings(change: FilesAdminSettingsUpdate): Promise<FilesAdminSettings> {
    return this.#request('PUT', SETTINGS_PATH, change);
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.#fetch(path, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      // The account client's own refusals (not signed in…) keep their code; anything else is the network.
      if (typeof (error as { code?: unknown } | null)?.code === 'string') throw error;
      throw new FilesConsoleError('NETWORK', `could not reach the server (${(error as Error)?.message ?? String(error)})`, 0);
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      throw new FilesConsoleError(
        typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`,
        typeof error?.message === 'string' ? error.message : `${method} ${path}: ${res.status}`,
        res.status,
      );
    }
    if (parsed === null) throw new FilesConsoleError('INTERNAL', `${method} ${path}: the reply was not JSON`, res.status);
    return parsed as T;
  }
}

// ------------------------------------------------------------------ sizes

/** The server's ceiling of one upload unless MUSTER_MAX_UPLOAD_BYTES says otherwise (1 GiB; the same as protocol.ts). */
export const DEFAULT_UPLOAD_CEILING_BYTES = 1_073_741_824;

export type SizeUnit = 'MB' | 'GB';
/** Binary units, as the server's default ceiling (1 GiB) is counted: 1 MB = 1024 × 1024 bytes. */
export const SIZE_UNITS: Record<SizeUnit, number> = { MB: 1_048_576, GB: 1_073_741_824 };

/** "1 GB", "500 MB", "1.5 GB", "12 KB", "800 bytes" (binary units, at most two decimals). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const [unit, size] = bytes >= SIZE_UNITS.GB ? ['GB', SIZE_UNITS.GB] : bytes >= SIZE_UNITS.MB ? ['MB', SIZE_UNITS.MB] : ['KB', 1024];
  return `${trimDecimals(bytes / size)} ${unit}`;
}

/** The limit as the form's amount and unit: whole GB when it is, else MB (two decimals at most). */
export function sizeFields(bytes: number): { amount: string; unit: SizeUnit } {
  if (bytes >= SIZE_UNITS.GB && bytes % (SIZE_UNITS.GB / 4) === 0) return { amount: trimDecimals(bytes / SIZE_UNITS.GB), unit: 'GB' };
  return { amount: trimDecimals(bytes / SIZE_UNITS.MB), unit: 'MB' };
}

/**
 * The form's amount and unit as bytes, checked: a positive number ("1,5" is
 * read as 1.5), at least 1 MB, at most `ceiling` when the ceiling is known.
 */
export function parseSize(amount: string, unit: SizeUnit, ceiling?: number): { ok: true; bytes: number } | { ok: false; error: string } {
  const text = amount.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(text)) return { ok: false, error: `Enter the upload limit as a number of ${unit}, such as ${unit === 'GB' ? '1 or 0.5' : '500'}.` };
  const bytes = Math.round(Number(text) * SIZE_UNITS[unit]);
  if (bytes < SIZE_UNITS.MB) return { ok: false, error: 'The upload limit must be at least 1 MB.' };
  if (ceiling !== undefined && bytes > ceiling) return { ok: false, error: `The upload limit can be at most ${formatBytes(ceiling)}, the server’s ceiling (MUSTER_MAX_UPLOAD_BYTES).` };
  return { ok: true, bytes };
}

function trimDecimals(value: number): string {
  return String(Math.round(value * 100) / 100);
}

// ------------------------------------------------------------------ retention

/** The longest retention period the server takes (100 years). */
export const MAX_RETENTION_DAYS = 36_500;

/** The retention field: a whole number of days from 1 to 36,500. */
export function parseRetentionDays(input: string): { ok: true; days: number } | { ok: false; error: string } {
  const text = input.trim();
  const days = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    return { ok: false, error: `Enter how many days to keep files: a whole number from 1 to ${MAX_RETENTION_DAYS.toLocaleString('en')}.` };
  }
  return { ok: true, days };
}

/** What a retention period means, said plainly (the console shows it under the field). */
export function retentionWarning(days: number | null): string {
  if (days === null) return 'Files are kept for ever (until the storage is full).';
  const period = days === 1 ? '1 day' : `${days.toLocaleString('en')} days`;
  return `Files whose newest message is older than ${period} are deleted for good: they cannot be recovered, and the messages that carried them show “expired”. The check runs every hour.`;
}

// ------------------------------------------------------------------ blocked types

/** At most this many blocked types (the server's limit). */
export const MAX_BLOCKED_TYPES = 200;
/** Shown as examples next to the field. */
export const BLOCKED_TYPE_EXAMPLES = ['exe', 'bat', 'application/x-msdownload'] as const;

// The server's rule (protocol.ts, BlockedTypeSchema): an extension, or a MIME type (with `*` for a family).
const EXTENSION = /^[a-z0-9]{1,16}$/;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9*][a-z0-9!#$&^_.+*-]{0,63}$/;

/** One entry as the server stores it: trimmed, lower case, without a leading dot (".EXE" → "exe"). */
export function normaliseBlockedType(entry: string): string {
  return entry.trim().toLowerCase().replace(/^\./, '');
}

/** Why an entry cannot be blocked, or null when it can (after `normaliseBlockedType`). */
export function blockedTypeProblem(entry: string): string | null {
  const value = normaliseBlockedType(entry);
  if (value === '') return 'Enter an extension or a MIME type.';
  if (value.includes('/')) {
    return MIME_TYPE.test(value) ? null : `“${value}” is not a MIME type: it looks like “application/x-msdownload” (or “application/*” for a whole family).`;
  }
  if (value.startsWith('*.')) return `Write the extension without “*.”: “${value.replace(/^\*\.?/, '')}”.`;
  return EXTENSION.test(value) ? null : `“${value}” is not an extension: letters and digits only, at most 16, such as “exe” or “bat”.`;
}

/**
 * What the admin typed in the add field (one entry or several, separated by
 * commas or spaces), added to `list`: the new list, or what is wrong (nothing
 * is added then). Entries already blocked are skipped, and said so.
 */
export function addBlockedTypes(list: readonly string[], input: string): { ok: true; list: string[]; added: string[]; skipped: string[] } | { ok: false; error: string } {
  const entries = input.split(/[\s,;]+/).map(normaliseBlockedType).filter(Boolean);
  if (entries.length === 0) return { ok: false, error: 'Enter an extension such as “exe”, or a MIME type such as “application/x-msdownload”.' };
  for (const entry of entries) {
    const problem = blockedTypeProblem(entry);
    if (problem) return { ok: false, error: problem };
  }
  const next = [...list];
  const added: string[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    if (next.includes(entry)) skipped.push(entry);
    else {
      next.push(entry);
      added.push(entry);
    }
  }
  if (next.length > MAX_BLOCKED_TYPES) return { ok: false, error: `At most ${MAX_BLOCKED_TYPES} blocked types.` };
  return { ok: true, list: next, added, skipped };
}

/** The list without `entry`. */
export function removeBlockedType(list: readonly string[], entry: string): string[] {
  return list.filter((e) => e !== entry);
}

/** How an entry reads in the list: "Files named *.exe" or "Files of type application/x-msdownload". */
export function blockedTypeLabel(entry: string): string {
  if (!entry.includes('/')) return `Files named *.${entry}`;
  return entry.endsWith('/*') ? `Every ${entry.slice(0, -2)} type (${entry})` : `Files of type ${entry}`;
}

// ------------------------------------------------------------------ the form

export interface FilesSettingsForm {
  /** The upload limit: amount and unit. */
  amount: string;
  unit: SizeUnit;
  /** Keep for ever, or delete after `days`. */
  keep: 'forever' | 'days';
  days: string;
  blockedTypes: string[];
}

/** The form filled from the server's settings (30 days offered when switching from for ever). */
export function settingsForm(settings: FilesAdminSettings): FilesSettingsForm {
  return {
    ...sizeFields(settings.maxUploadBytes),
    keep: settings.retentionDays === null ? 'forever' : 'days',
    days: String(settings.retentionDays ?? 30),
    blockedTypes: [...settings.blockedTypes],
  };
}

/**
 * The PUT body for what changed between `saved` (the server's settings) and
 * the form, checked; an empty change when nothing did. The upload limit is
 * sent only when its fields were edited, so a limit the form rounds (e.g.
 * 1,500,000 bytes shown as 1.43 MB) is not changed by saving something else.
 */
export function settingsChange(saved: FilesAdminSettings, form: FilesSettingsForm, ceiling?: number): { ok: true; change: FilesAdminSettingsUpdate } | { ok: false; error: string } {
  const change: FilesAdminSettingsUpdate = {};
  const shown = sizeFields(saved.maxUploadBytes);
  if (form.amount.trim() !== shown.amount || form.unit !== shown.unit) {
    const size = parseSize(form.amount, form.unit, ceiling);
    if (!size.ok) return size;
    if (size.bytes !== saved.maxUploadBytes) change.maxUploadBytes = size.bytes;
  }
  let retentionDays: number | null = null;
  if (form.keep === 'days') {
    const days = parseRetentionDays(form.days);
    if (!days.ok) return days;
    retentionDays = days.days;
  }
  if (retentionDays !== saved.retentionDays) change.retentionDays = retentionDays;
  const blocked = form.blockedTypes.map(normaliseBlockedType);
  for (const entry of blocked) {
    const problem = blockedTypeProblem(entry);
    if (problem) return { ok: false, error: problem };
  }
  if (blocked.length > MAX_BLOCKED_TYPES) return { ok: false, error: `At most ${MAX_BLOCKED_TYPES} blocked types.` };
  if (blocked.length !== saved.blockedTypes.length || blocked.some((e, i) => e !== saved.blockedTypes[i])) change.blockedTypes = [...new Set(blocked)];
  return { ok: true, change };
}

const FIELD_NAMES: Record<string, string> = {
  maxUploadBytes: 'Upload limit',
  retentionDays: 'Retention period',
  blockedTypes: 'Blocked types',
};

/**
 * Words for a refused save, from the server's code and message. A limit above
 * the server's ceiling names the ceiling; a field the server refused is named
 * as the form names it (a blocked type by its entry in `sent`).
 * SECOND_FACTOR_REQUIRED is the caller's to handle (the factor form comes back).
 */
export function settingsErrorText(error: unknown, sent: FilesAdminSettingsUpdate = {}): string {
  const e = error as { code?: string; message?: string; status?: number } | null;
  const message = (e?.message ?? '').trim();
  switch (e?.code) {
    case 'NETWORK':
      return 'The server could not be reached. Check your connection and try again.';
    case 'SECOND_FACTOR_REQUIRED':
      return 'The console’s second factor has lapsed: confirm it is you again.';
    case 'RATE_LIMITED':
      return 'Too many changes at once. Wait a moment and try again.';
    case 'INTERNAL':
      return 'Something went wrong on the server. Try again.';
    case 'NOT_FOUND':
      return 'This server has no file settings (or you are not an administrator).';
    case 'PAYLOAD_TOO_LARGE':
      return 'Too many blocked types to save at once.';
    case 'BAD_REQUEST': {
      const ceiling = /ceiling, (\d+) bytes/.exec(message);
      if (ceiling) return `The upload limit can be at most ${formatBytes(Number(ceiling[1]))}, the server’s ceiling (MUSTER_MAX_UPLOAD_BYTES).`;
      const field = /^(?:body: )?(maxUploadBytes|retentionDays|blockedTypes)(?:\.(\d+))?: (.+)$/s.exec(message);
      if (field) {
        const [, name, index, why] = field;
        const entry = index !== undefined ? sent.blockedTypes?.[Number(index)] : undefined;
        if (entry !== undefined) return `Blocked type “${entry}”: write ${why}.`.replace(/\.\.$/, '.');
        return `${FIELD_NAMES[name!]}: ${plainZod(why!)}.`.replace(/\.\.$/, '.');
      }
      const rest = message.replace(/^body: /, '');
      return rest ? `The server refused these settings: ${rest}.`.replace(/\.\.$/, '.') : 'The server refused these settings.';
    }
    default:
      return message ? capitalise(message) : 'That did not work. Try again.';
  }
}

/** zod's wording, for people: "Too big: expected number to be <=36500" → "must be at most 36500". */
function plainZod(why: string): string {
  const bound = /expected \w+ to (be|have) (<=|>=|<|>)\s*(-?\d+)/.exec(why);
  if (bound) {
    const words = { '<=': 'at most', '>=': 'at least', '<': 'fewer than', '>': 'more than' }[bound[2]!];
    return bound[1] === 'have' ? `${words} ${bound[3]} entries` : `must be ${words} ${bound[3]}`;
  }
  if (/expected int\b/.test(why)) return 'must be a whole number';
  if (/expected number\b/.test(why)) return 'must be a number';
  return why;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
