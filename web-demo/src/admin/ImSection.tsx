import { useEffect, useMemo, useState } from 'preact/hooks';
import { AccountTransport, ImConsole, type TemporaryGroupView } from '@muster/im/client';
import { accountErrorText } from '../account/errors.ts';
import { accounts } from '../account/session.ts';
import { idleDaysValue, temporaryGroupRow } from './console.ts';

/**
 * The console's Chats section: how many idle days clear a temporary group,
 * and the temporary groups not yet cleared, soonest first. Its calls carry
 * the console's elevated token (`accounts.admin.fetch`); a lapsed second
 * factor brings the factor form back, as in the other sections.
 */
export function ImSection() {
  const imConsole = useMemo(() => new ImConsole(new AccountTransport({ fetch: accounts.admin.fetch })), []);
  const [days, setDays] = useState('');
  const [groups, setGroups] = useState<TemporaryGroupView[] | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const call = async <T,>(run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (e) {
      if ((e as { code?: string }).code === 'SECOND_FACTOR_REQUIRED') accounts.dropElevation();
      else setError(accountErrorText(e));
      return undefined;
    }
  };
  const load = async () => {
    const [settings, list] = await Promise.all([call(() => imConsole.settings()), call(() => imConsole.temporaryGroups())]);
    if (settings) setDays(String(settings.temporaryGroupIdleDays));
    if (list) setGroups(list);
  };
  useEffect(() => {
    void load();
  }, []);
  const save = async (event: Event) => {
    event.preventDefault();
    setInfo('');
    const value = idleDaysValue(days);
    if (!value.ok) return setError(value.error);
    setError('');
    const saved = await call(() => imConsole.updateSettings({ temporaryGroupIdleDays: value.days }));
    if (saved) {
      setDays(String(saved.temporaryGroupIdleDays));
      setInfo('Saved.');
      const list = await call(() => imConsole.temporaryGroups());
      if (list) setGroups(list);
    }
  };
  const now = Date.now();
  return (
    <section class="card-section" data-testid="admin-im" data-state={groups ? 'ready' : 'loading'}>
      <form noValidate onSubmit={(e) => void save(e)}>
        <label class="field">
          <span class="field-label">Clear a temporary group after this many days without a message</span>
          <input class="input" type="number" min={1} max={3650} inputMode="numeric" value={days} data-testid="admin-im-idle-days" onInput={(e) => setDays(e.currentTarget.value)} />
        </label>
        <p class="muted">Members are told three days before; clearing deletes the group's messages.</p>
        <p class="form-error" role="alert">
          {error}
        </p>
        <p class="form-info" role="status" data-testid="admin-im-saved">
          {info}
        </p>
        <div class="form-actions">
          <button class="btn btn-primary" type="submit" data-testid="admin-im-save">
            Save
          </button>
        </div>
      </form>
      <h2>Temporary groups</h2>
      {groups && groups.length === 0 && <p class="muted">No temporary groups.</p>}
      <ul class="item-list">
        {(groups ?? []).map((g) => {
          const row = temporaryGroupRow(g, now);
          return (
            <li key={row.id} class="item" data-testid="admin-temporary-group">
              <div class="item-main">
                <span class="item-title">{row.name}</span>
                <span class="item-sub">
                  {row.detail} · {row.clears}
                  {row.warned && ' · members warned'}
                </span>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
