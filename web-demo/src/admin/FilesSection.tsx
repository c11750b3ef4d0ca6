import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  addBlockedTypes,
  BLOCKED_TYPE_EXAMPLES,
  blockedTypeLabel,
  FilesConsole,
  formatBytes,
  MAX_RETENTION_DAYS,
  parseRetentionDays,
  removeBlockedType,
  retentionWarning,
  settingsChange,
  settingsErrorText,
  settingsForm,
  type FilesAdminSettings,
  type FilesAdminSettingsUpdate,
  type FilesSettingsForm,
  type SizeUnit,
} from '@muster/files/client';
import { accounts } from '../account/session.ts';

/**
 * The console's Files section: the largest upload (in MB or GB, at most the
 * server's ceiling, MUSTER_MAX_UPLOAD_BYTES), how long files are kept (for
 * ever, or N days after their newest message: then they are deleted for
 * good and show "expired"), and the blocked types (extensions or MIME
 * types). The form logic is `@muster/files/client`'s (filesConsole.ts);
 * the calls carry the console's elevated token (`accounts.admin.fetch`), and
 * a lapsed second factor brings the factor form back, as in the other sections.
 */
export function FilesSection() {
  const filesConsole = useMemo(() => new FilesConsole({ fetch: accounts.admin.fetch }), []);
  const [saved, setSaved] = useState<FilesAdminSettings | null>(null);
  const [form, setForm] = useState<FilesSettingsForm | null>(null);
  const [adding, setAdding] = useState('');
  const [addError, setAddError] = useState('');
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState(false);

  /** Runs a console call; SECOND_FACTOR_REQUIRED brings the factor form back, anything else is said. */
  const call = async <T,>(run: () => Promise<T>, sent?: FilesAdminSettingsUpdate): Promise<T | undefined> => {
    try {
      return await run();
    } catch (e) {
      if ((e as { code?: string }).code === 'SECOND_FACTOR_REQUIRED') accounts.dropElevation();
      else setError(settingsErrorText(e, sent));
      return undefined;
    }
  };
  const show = (settings: FilesAdminSettings) => {
    setSaved(settings);
    setForm(settingsForm(settings));
  };
  useEffect(() => {
    void call(() => filesConsole.settings()).then((s) => s && show(s));
  }, []);

  if (!saved || !form) {
    return (
      <section class="card-section" data-testid="admin-files" data-state="loading">
        <p class="form-error" role="alert" data-testid="admin-files-error">
          {error}
        </p>
      </section>
    );
  }

  const set = (change: Partial<FilesSettingsForm>) => {
    setForm({ ...form, ...change });
    setError('');
    setInfo('');
  };
  const add = (input: string) => {
    const result = addBlockedTypes(form.blockedTypes, input);
    if (!result.ok) return setAddError(result.error);
    set({ blockedTypes: result.list });
    setAdding('');
    setAddError(result.skipped.length > 0 ? `Already blocked: ${result.skipped.join(', ')}.` : '');
  };
  const save = async (event: Event) => {
    event.preventDefault();
    const checked = settingsChange(saved, form, saved.ceilingBytes);
    if (!checked.ok) return setError(checked.error);
    const { change } = checked;
    if (Object.keys(change).length === 0) return setInfo('Nothing has changed.');
    // Deleting files cannot be undone: asked when a period starts or gets shorter.
    const days = change.retentionDays;
    if (typeof days === 'number' && (saved.retentionDays === null || days < saved.retentionDays) && !confirm(`${retentionWarning(days)}\n\nSave this retention period?`)) return;
    setBusy(true);
    setError('');
    const next = await call(() => filesConsole.updateSettings(change), change);
    setBusy(false);
    if (next) {
      show(next);
      setInfo('Saved.');
    }
  };

  const days = form.keep === 'days' ? parseRetentionDays(form.days) : null;
  const examples = BLOCKED_TYPE_EXAMPLES.filter((e) => !form.blockedTypes.includes(e));
  return (
    <form class="card-section" data-testid="admin-files" data-state="ready" noValidate onSubmit={(e) => void save(e)}>
      <div class="field">
        <label class="field-label" for="admin-files-limit">
          Largest upload
        </label>
        <div class="field-row">
          <input id="admin-files-limit" class="input" type="text" inputMode="decimal" value={form.amount} data-testid="admin-files-limit" onInput={(e) => set({ amount: e.currentTarget.value })} />
          <select class="select" style={{ width: '96px', flex: 'none' }} aria-label="Unit" value={form.unit} data-testid="admin-files-limit-unit" onChange={(e) => set({ unit: e.currentTarget.value as SizeUnit })}>
            <option value="MB">MB</option>
            <option value="GB">GB</option>
          </select>
        </div>
        <span class="field-hint" data-testid="admin-files-limit-hint">
          Now {formatBytes(saved.maxUploadBytes)}. It cannot be more than this server’s ceiling, {formatBytes(saved.ceilingBytes)} (set by MUSTER_MAX_UPLOAD_BYTES).
        </span>
      </div>

      <fieldset class="field" style={{ border: 'none', padding: 0, margin: 0 }}>
        <legend class="field-label">Keep files</legend>
        <label class="check">
          <input type="radio" name="admin-files-keep" checked={form.keep === 'forever'} data-testid="admin-files-keep-forever" onChange={() => set({ keep: 'forever' })} />
          <span>For ever</span>
        </label>
        <label class="check">
          <input type="radio" name="admin-files-keep" checked={form.keep === 'days'} data-testid="admin-files-keep-days" onChange={() => set({ keep: 'days' })} />
          <span>A number of days after their newest message, then delete them</span>
        </label>
        {form.keep === 'days' && (
          <label class="check">
            <input
              class="input input-sm"
              style={{ width: '120px', height: '38px' }}
              type="number"
              min={1}
              max={MAX_RETENTION_DAYS}
              inputMode="numeric"
              aria-label="Days to keep files"
              value={form.days}
              data-testid="admin-files-days"
              onInput={(e) => set({ days: e.currentTarget.value })}
            />
            <span>days</span>
          </label>
        )}
        <p class="field-hint" role="note" style={days?.ok ? { color: 'var(--warn)' } : undefined} data-testid="admin-files-retention-warning">
          {days === null ? retentionWarning(null) : days.ok ? retentionWarning(days.days) : `From 1 to ${MAX_RETENTION_DAYS.toLocaleString('en')} days.`}
        </p>
      </fieldset>

      <div class="field">
        <label class="field-label" for="admin-files-blocked-input">
          Blocked types
        </label>
        <span class="field-hint">Uploads with one of these extensions, or of one of these types (by the name, the type the app declares, or the type found in the bytes), are refused.</span>
        <div class="search-row">
          <input
            id="admin-files-blocked-input"
            class="input"
            type="text"
            placeholder="exe, bat or application/x-msdownload"
            autocomplete="off"
            value={adding}
            data-testid="admin-files-blocked-input"
            onInput={(e) => (setAdding(e.currentTarget.value), setAddError(''))}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add(adding);
              }
            }}
          />
          <button class="btn btn-ghost" type="button" data-testid="admin-files-blocked-add" onClick={() => add(adding)}>
            Add
          </button>
        </div>
        {examples.length > 0 && (
          <p class="muted">
            For example:{' '}
            {examples.map((e, i) => (
              <span key={e}>
                {i > 0 && ', '}
                <button class="link-btn" type="button" data-testid={`admin-files-example-${e}`} onClick={() => add(e)}>
                  {e}
                </button>
              </span>
            ))}
          </p>
        )}
        <p class="form-error" role="alert" data-testid="admin-files-blocked-error">
          {addError}
        </p>
        {form.blockedTypes.length === 0 && <p class="muted">Nothing is blocked.</p>}
        <ul class="item-list">
          {form.blockedTypes.map((entry) => (
            <li key={entry} class="item" data-testid="admin-files-blocked" data-entry={entry}>
              <div class="item-main">
                <span class="item-title">{entry}</span>
                <span class="item-sub">{blockedTypeLabel(entry)}</span>
              </div>
              <button class="btn btn-small btn-ghost" type="button" aria-label={`Unblock ${entry}`} data-testid="admin-files-blocked-remove" onClick={() => set({ blockedTypes: removeBlockedType(form.blockedTypes, entry) })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      </div>

      <p class="form-error" role="alert" data-testid="admin-files-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="admin-files-saved">
        {info}
      </p>
      <div class="form-actions">
        <button class="btn btn-ghost" type="button" disabled={busy} data-testid="admin-files-reset" onClick={() => (setForm(settingsForm(saved)), setError(''), setInfo(''), setAddError(''))}>
          Undo changes
        </button>
        <button class="btn btn-primary" type="submit" disabled={busy} data-testid="admin-files-save">
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
