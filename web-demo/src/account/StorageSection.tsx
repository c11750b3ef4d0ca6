import { useEffect, useState } from 'preact/hooks';
import { clear, usage } from '../lib/mediaCache.ts';
import { cacheDays, pushApi, setCacheDays } from '../pwa/start.ts';
import { accountErrorText } from './errors.ts';
import { bytesText, CACHE_DAY_CHOICES, cacheDaysFromValue, cacheDaysValue, clearedText, usageText } from './notifications.ts';
import '../pwa/pwa.css';

/**
 * Me → Settings → Storage: how long pictures, voice messages and files
 * opened on this device stay here (the person's setting, for all their
 * devices), what the cache holds now, and "Clear cache".
 */
export function StorageSection() {
  const [u, setUsage] = useState<{ entries: number; bytes: number; estimate: boolean } | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState(false);
  const days = cacheDays.value;

  const measure = async () => setUsage(await usage());
  useEffect(() => {
    void measure();
  }, [days]);

  const choose = async (value: string) => {
    const next = cacheDaysFromValue(value);
    const before = cacheDays.peek();
    setError('');
    setInfo('');
    // Shown at once; media is deleted by it only once the server has it.
    cacheDays.value = next;
    try {
      setCacheDays((await pushApi.updateFileSettings({ cacheDays: next })).cacheDays);
      setInfo('Saved.');
    } catch (e) {
      cacheDays.value = before;
      setError(`Not saved: ${accountErrorText(e)}`);
    }
  };

  const clearNow = async () => {
    setBusy(true);
    setError('');
    try {
      const freed = await clear();
      setInfo(clearedText(freed));
      await measure();
    } catch (e) {
      setError((e as Error)?.message ?? String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card-section storage-section" data-testid="storage-section">
      <h2>Storage</h2>
      <label class="field">
        <span class="field-label">Keep downloaded pictures, voice messages and files for</span>
        <select class="select" value={cacheDaysValue(days)} data-testid="storage-cache-days" onChange={(e) => void choose(e.currentTarget.value)}>
          {CACHE_DAY_CHOICES.map((c) => (
            <option key={cacheDaysValue(c.value)} value={cacheDaysValue(c.value)}>
              {c.label}
            </option>
          ))}
        </select>
        <span class="field-hint">On every device you use. They download again when opened later, while the server still has them.</span>
      </label>
      <p class="muted" data-testid="storage-usage" data-bytes={u ? String(u.bytes) : undefined} data-entries={u ? String(u.entries) : undefined}>
        {u ? usageText(u) : 'Measuring…'}
      </p>
      <p class="form-error" role="alert" data-testid="storage-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="storage-info">
        {info}
      </p>
      <div class="form-actions">
        <button class="btn btn-ghost" type="button" disabled={busy || !u || (u.entries === 0 && !u.estimate)} data-testid="storage-clear" onClick={() => void clearNow()}>
          {u && u.entries > 0 ? `Clear cache (${bytesText(u.bytes)})` : 'Clear cache'}
        </button>
      </div>
    </section>
  );
}
