import { describe, expect, it } from 'vitest';
import type { Database } from '@muster/db';
import { FileRetention } from '../domain/FileRetention.ts';
import { parse } from '../http/routing.ts';
import { FilesAdminSettingsUpdateSchema, type FilesAdminSettings } from '../protocol.ts';
import {
  addBlockedTypes,
  blockedTypeLabel,
  blockedTypeProblem,
  DEFAULT_UPLOAD_CEILING_BYTES,
  FilesConsole,
  formatBytes,
  parseRetentionDays,
  parseSize,
  removeBlockedType,
  retentionWarning,
  settingsChange,
  settingsErrorText,
  settingsForm,
  sizeFields,
} from './filesConsole.ts';

const GB = 1_073_741_824;
const MB = 1_048_576;

/** A fetch answering the console's two routes from memory, recording the calls. */
function fakeServer(initial: FilesAdminSettings) {
  let settings = initial;
  const calls: { path: string; method: string; body: unknown; contentType: string | null }[] = [];
  let refuse: { status: number; code: string; message: string } | null = null;
  const fetch = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const method = init.method ?? 'GET';
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ path, method, body, contentType: new Headers(init.headers).get('content-type') });
    if (refuse) return Response.json({ error: { code: refuse.code, message: refuse.message } }, { status: refuse.status });
    if (path !== '/admin/files/settings') return Response.json({ error: { code: 'NOT_FOUND', message: 'no such API route' } }, { status: 404 });
    if (method === 'PUT') settings = { ...settings, ...body };
    return Response.json(settings);
  };
  return { fetch, calls, refuseWith: (r: typeof refuse) => (refuse = r) };
}

describe('FilesConsole', () => {
  it('reads the settings, sends a partial change as JSON, and passes refusals on with their code and status', async () => {
    const server = fakeServer({ maxUploadBytes: GB, retentionDays: null, blockedTypes: [], ceilingBytes: GB });
    const console = new FilesConsole({ fetch: server.fetch });
    expect(await console.settings()).toEqual({ maxUploadBytes: GB, retentionDays: null, blockedTypes: [], ceilingBytes: GB });
    expect(await console.updateSettings({ retentionDays: 30, blockedTypes: ['exe'] })).toEqual({ maxUploadBytes: GB, retentionDays: 30, blockedTypes: ['exe'], ceilingBytes: GB });
    expect(server.calls.at(-1)).toEqual({ path: '/admin/files/settings', method: 'PUT', body: { retentionDays: 30, blockedTypes: ['exe'] }, contentType: 'application/json' });
    expect(server.calls[0]!.contentType).toBeNull();

    server.refuseWith({ status: 403, code: 'SECOND_FACTOR_REQUIRED', message: 'enter your TOTP code or console password to open the console' });
    await expect(console.settings()).rejects.toMatchObject({ name: 'FilesConsoleError', code: 'SECOND_FACTOR_REQUIRED', status: 403 });
    server.refuseWith({ status: 400, code: 'BAD_REQUEST', message: 'body: retentionDays: Too small' });
    await expect(console.updateSettings({ retentionDays: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST', status: 400, message: 'body: retentionDays: Too small' });
  });

  it('says NETWORK when the server cannot be reached, keeps the account client’s own coded refusals, and copes with a reply that is not JSON', async () => {
    const down = new FilesConsole({ fetch: () => Promise.reject(new TypeError('fetch failed')) });
    await expect(down.settings()).rejects.toMatchObject({ code: 'NETWORK', status: 0 });
    const signedOut = Object.assign(new Error('sign in first'), { code: 'UNAUTHORIZED' });
    await expect(new FilesConsole({ fetch: () => Promise.reject(signedOut) }).settings()).rejects.toBe(signedOut);
    const proxy = new FilesConsole({ fetch: async () => new Response('<html>Bad gateway</html>', { status: 502 }) });
    await expect(proxy.settings()).rejects.toMatchObject({ code: 'HTTP_502', status: 502 });
  });
});

describe('sizes', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(DEFAULT_UPLOAD_CEILING_BYTES)).toBe('1 GB');
    expect(formatBytes(500 * MB)).toBe('500 MB');
    expect(formatBytes(1.5 * GB)).toBe('1.5 GB');
    expect(formatBytes(12 * 1024)).toBe('12 KB');
    expect(formatBytes(800)).toBe('800 bytes');
    expect(formatBytes(1)).toBe('1 byte');
  });

  it('fills the form with whole GB when the limit is, else MB', () => {
    expect(sizeFields(GB)).toEqual({ amount: '1', unit: 'GB' });
    expect(sizeFields(2.5 * GB)).toEqual({ amount: '2.5', unit: 'GB' });
    expect(sizeFields(500 * MB)).toEqual({ amount: '500', unit: 'MB' });
    expect(sizeFields(1_500_000)).toEqual({ amount: '1.43', unit: 'MB' });
  });

  it('parses what the admin typed, within 1 MB and the ceiling', () => {
    expect(parseSize('500', 'MB')).toEqual({ ok: true, bytes: 500 * MB });
    expect(parseSize(' 0,5 ', 'GB')).toEqual({ ok: true, bytes: GB / 2 });
    expect(parseSize('1', 'GB', GB)).toEqual({ ok: true, bytes: GB });
    expect(parseSize('2', 'GB', GB)).toEqual({ ok: false, error: 'The upload limit can be at most 1 GB, the server’s ceiling (MUSTER_MAX_UPLOAD_BYTES).' });
    expect(parseSize('0.5', 'MB')).toMatchObject({ ok: false, error: 'The upload limit must be at least 1 MB.' });
    for (const bad of ['', 'lots', '-1', '1e3', '5 MB']) expect(parseSize(bad, 'MB').ok, bad).toBe(false);
  });
});

describe('retention', () => {
  it('takes a whole number of days from 1 to 36,500', () => {
    expect(parseRetentionDays('30')).toEqual({ ok: true, days: 30 });
    expect(parseRetentionDays(' 36500 ')).toEqual({ ok: true, days: 36_500 });
    for (const bad of ['0', '36501', '1.5', '', 'thirty', '-3']) expect(parseRetentionDays(bad).ok, bad).toBe(false);
  });

  it('warns plainly that old files are deleted for good and show “expired”', () => {
    expect(retentionWarning(30)).toContain('older than 30 days are deleted for good');
    expect(retentionWarning(30)).toContain('“expired”');
    expect(retentionWarning(1)).toContain('older than 1 day ');
    expect(retentionWarning(null)).toBe('Files are kept for ever (until the storage is full).');
  });
});

describe('blocked types', () => {
  it('accepts what the server accepts, and the same entries (the server’s schema as the judge)', () => {
    const samples = ['exe', '.EXE', ' bat ', 'application/x-msdownload', 'application/*', 'image/svg+xml', 'x'.repeat(16), 'x'.repeat(17), 'ex e', '*.exe', 'application/', '/exe', 'a/b/c', 'exé', ''];
    for (const sample of samples) {
      const server = FilesAdminSettingsUpdateSchema.safeParse({ blockedTypes: [sample] });
      expect(blockedTypeProblem(sample) === null, `“${sample}”`).toBe(server.success);
    }
    expect(blockedTypeProblem('*.exe')).toBe('Write the extension without “*.”: “exe”.');
    expect(blockedTypeProblem('application/')).toContain('is not a MIME type');
  });

  it('adds one or several entries, normalised, skipping what is already there; removes one', () => {
    expect(addBlockedTypes([], '.EXE')).toEqual({ ok: true, list: ['exe'], added: ['exe'], skipped: [] });
    expect(addBlockedTypes(['exe'], 'exe, bat application/x-msdownload')).toEqual({ ok: true, list: ['exe', 'bat', 'application/x-msdownload'], added: ['bat', 'application/x-msdownload'], skipped: ['exe'] });
    expect(addBlockedTypes(['exe'], 'bat, what?')).toMatchObject({ ok: false });
    expect(addBlockedTypes(['exe'], '  ')).toMatchObject({ ok: false });
    expect(addBlockedTypes(Array.from({ length: 200 }, (_, i) => `e${i}`), 'exe')).toEqual({ ok: false, error: 'At most 200 blocked types.' });
    expect(removeBlockedType(['exe', 'bat'], 'exe')).toEqual(['bat']);
    expect(blockedTypeLabel('exe')).toBe('Files named *.exe');
    expect(blockedTypeLabel('application/x-msdownload')).toBe('Files of type application/x-msdownload');
    expect(blockedTypeLabel('video/*')).toBe('Every video type (video/*)');
  });
});

describe('the settings form', () => {
  const saved: FilesAdminSettings = { maxUploadBytes: GB, retentionDays: null, blockedTypes: [], ceilingBytes: GB };

  it('sends only what changed, and nothing when nothing did', () => {
    const form = settingsForm(saved);
    expect(form).toEqual({ amount: '1', unit: 'GB', keep: 'forever', days: '30', blockedTypes: [] });
    expect(settingsChange(saved, form)).toEqual({ ok: true, change: {} });
    expect(settingsChange(saved, { ...form, keep: 'days', blockedTypes: ['exe'] })).toEqual({ ok: true, change: { retentionDays: 30, blockedTypes: ['exe'] } });
    expect(settingsChange({ ...saved, retentionDays: 30 }, { ...form, keep: 'forever' })).toEqual({ ok: true, change: { retentionDays: null } });
    expect(settingsChange(saved, { ...form, amount: '200', unit: 'MB' })).toEqual({ ok: true, change: { maxUploadBytes: 200 * MB } });
    // Written another way but the same bytes: no change.
    expect(settingsChange(saved, { ...form, amount: '1024', unit: 'MB' })).toEqual({ ok: true, change: {} });
  });

  it('leaves a limit the form rounds alone unless it was edited', () => {
    const odd = { ...saved, maxUploadBytes: 1_500_000 };
    expect(settingsChange(odd, { ...settingsForm(odd), keep: 'days', days: '7' })).toEqual({ ok: true, change: { retentionDays: 7 } });
  });

  it('says what is wrong before sending', () => {
    const form = settingsForm(saved);
    expect(settingsChange(saved, { ...form, keep: 'days', days: '0' })).toMatchObject({ ok: false });
    expect(settingsChange(saved, { ...form, amount: '2', unit: 'GB' }, GB)).toMatchObject({ ok: false, error: expect.stringContaining('at most 1 GB') });
    // The ceiling unknown, the server judges (and its answer is made readable below).
    expect(settingsChange(saved, { ...form, amount: '2', unit: 'GB' })).toEqual({ ok: true, change: { maxUploadBytes: 2 * GB } });
  });
});

describe('the server’s refusals, in words', () => {
  /** What the route answers for a body its schema refuses (the same parse the route runs). */
  function refusal(body: unknown): unknown {
    try {
      parse(FilesAdminSettingsUpdateSchema, body);
    } catch (error) {
      return error;
    }
    throw new Error('the schema took it');
  }

  it('names the ceiling when the limit is above it (the server’s own message)', async () => {
    const retention = new FileRetention({ db: {} as Database, files: {} as never, prefs: {} as never, storage: {} as never, logger: {} as never, now: Date.now, ceiling: GB });
    const error = await retention.updateSettings('admin', { maxUploadBytes: 2 * GB }).catch((e: unknown) => e);
    expect(settingsErrorText(error, { maxUploadBytes: 2 * GB })).toBe('The upload limit can be at most 1 GB, the server’s ceiling (MUSTER_MAX_UPLOAD_BYTES).');
  });

  it('names the field, and the blocked type by its entry', () => {
    const sent = { blockedTypes: ['exe', 'not a type'] };
    expect(settingsErrorText(refusal(sent), sent)).toBe('Blocked type “not a type”: write an extension such as "exe" or a MIME type such as "application/x-msdownload".');
    expect(settingsErrorText(refusal({ blockedTypes: Array.from({ length: 201 }, (_, i) => `e${i}`) }))).toBe('Blocked types: at most 200 entries.');
    expect(settingsErrorText(refusal({ retentionDays: 40_000 }))).toBe('Retention period: must be at most 36500.');
    expect(settingsErrorText(refusal({ maxUploadBytes: 1.5 }))).toBe('Upload limit: must be a whole number.');
    expect(settingsErrorText(refusal({ colour: 'red' }))).toBe('The server refused these settings: Unrecognized key: "colour".');
  });

  it('says the usual things for the other codes', () => {
    expect(settingsErrorText({ code: 'NETWORK', message: 'x' })).toBe('The server could not be reached. Check your connection and try again.');
    expect(settingsErrorText({ code: 'INTERNAL', message: 'internal error' })).toBe('Something went wrong on the server. Try again.');
    expect(settingsErrorText({ code: 'HTTP_502', message: 'GET /admin/files/settings: 502' })).toBe('GET /admin/files/settings: 502');
    expect(settingsErrorText(null)).toBe('That did not work. Try again.');
  });
});
