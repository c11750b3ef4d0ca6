import { useEffect, useState } from 'preact/hooks';
import type { DirectoryEntry } from '@muster/channels/client';
import { Link } from '../app/Link.tsx';
import { AccountAvatar } from './AccountAvatar.tsx';
import { SERVICE_ACCOUNTS_PATH, accountPath } from './paths.ts';
import { SaPane } from './SaPane.tsx';
import { channels, refreshSummary } from './state.ts';
import { errorText, kindLabel } from './viewModels.ts';

/** The organisation's directory of service accounts: search (debounced, on the server) and subscribe. */
export function Directory() {
  const [q, setQ] = useState('');
  const [list, setList] = useState<DirectoryEntry[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      channels().directory(q).then(
        (l) => live && setList(l),
        (e) => live && setError(errorText(e)),
      );
    }, q ? 250 : 0);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q]);
  const toggle = async (entry: DirectoryEntry) => {
    setError('');
    const subscribed = !entry.subscribed;
    setList((l) => l?.map((x) => (x.id === entry.id ? { ...x, subscribed } : x)) ?? null);
    try {
      await (subscribed ? channels().subscribe(entry.id) : channels().unsubscribe(entry.id));
      refreshSummary();
    } catch (e) {
      setError(errorText(e));
      setList((l) => l?.map((x) => (x.id === entry.id ? { ...x, subscribed: !subscribed } : x)) ?? null);
    }
  };
  return (
    <SaPane title="Find service accounts" back={SERVICE_ACCOUNTS_PATH} testId="sa-directory">
      <input class="input" type="search" placeholder="Search by name or description" value={q} data-testid="sa-directory-search" onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
      <p class="form-error" role="alert">
        {error}
      </p>
      {list === null ? (
        <p class="sa-empty">Loading…</p>
      ) : list.length === 0 ? (
        <p class="sa-empty">No accounts found.</p>
      ) : (
        <ul class="sa-rows">
          {list.map((a) => (
            <li key={a.id} class="sa-row" data-testid="sa-directory-row" data-id={a.id}>
              <Link class="sa-row-link" href={accountPath(a.id)}>
                <span class="chat-row-avatar">
                  <AccountAvatar name={a.name} fileId={a.avatarFileId} />
                </span>
                <span class="sa-row-main">
                  <span class="sa-row-name">{a.name}</span>
                  <span class="sa-row-sub">
                    {kindLabel(a.kind)}
                    {a.description ? ` · ${a.description}` : ''}
                  </span>
                </span>
              </Link>
              <span class="sa-row-tools">
                <button class={`btn ${a.subscribed ? 'btn-ghost' : 'btn-primary'}`} type="button" data-testid="sa-directory-subscribe" onClick={() => void toggle(a)}>
                  {a.subscribed ? 'Unsubscribe' : 'Subscribe'}
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </SaPane>
  );
}
