import { useEffect, useState } from 'preact/hooks';
import type { AccountSettings, AdminUser, CreatedGuest, PendingCode, SecurityEvent } from '@muster/accounts/client';
import { accountErrorText } from '../account/errors.ts';
import { accounts, currentUser } from '../account/session.ts';
import { relativeTime, toLocalInput } from '../lib/time.ts';
import { CopyButton } from '../ui/CopyButton.tsx';
import { Icon } from '../ui/Icon.tsx';
import { DEFAULT_GUEST_DAYS, eventLine, guestRequest, guestUrl, userRow, type GuestForm, type GuestMode, type UserActionEntry } from './console.ts';
import { FilesSection } from './FilesSection.tsx';
import { ImSection } from './ImSection.tsx';
import { ChannelsSection } from './ChannelsSection.tsx';
import { MomentsReportsSection } from './MomentsReportsSection.tsx';
import './admin.css';

type Section = 'users' | 'guests' | 'codes' | 'events' | 'settings' | 'im' | 'files' | 'channels' | 'moments';
const SECTIONS: { id: Section; label: string }[] = [
  { id: 'users', label: 'Users' },
  { id: 'guests', label: 'Guests' },
  { id: 'codes', label: 'Codes' },
  { id: 'events', label: 'Security log' },
  { id: 'settings', label: 'Settings' },
  { id: 'im', label: 'Chats' },
  { id: 'files', label: 'Files' },
  { id: 'channels', label: 'Service accounts' },
  { id: 'moments', label: 'Moments reports' },
];

/**
 * /admin, the console (its own chunk). It opens after the second factor (a
 * TOTP code or the console password), which gives an access token that
 * carries it (the elevation lasts 30 minutes, the token itself 15, like any
 * access token: whichever ends first ends it); when the server asks for it again
 * (SECOND_FACTOR_REQUIRED), the form comes back.
 */
export default function AdminPage() {
  const user = currentUser.value;
  const [elevated, setElevated] = useState(() => accounts.elevation !== null);
  const [section, setSection] = useState<Section>('users');
  useEffect(() => {
    document.title = 'Admin · Muster';
    return accounts.on('elevationChanged', (e) => setElevated(e !== null));
  }, []);
  if (!user || user.role !== 'admin') {
    return (
      <div class="tab-page" data-testid="admin-forbidden">
        <h1>Nothing here</h1>
        <p class="muted">The admin console is for administrators.</p>
      </div>
    );
  }
  if (!elevated) return <SecondFactor />;
  return (
    <div class="tab-page admin-page" data-testid="admin-console">
      <header class="tab-header admin-header">
        <h1>Admin</h1>
        <button class="link-btn" type="button" data-testid="admin-lock" onClick={() => accounts.dropElevation()}>
          Close the console
        </button>
      </header>
      <nav class="segmented admin-sections" aria-label="Console sections">
        {SECTIONS.map((s) => (
          <button key={s.id} type="button" class={s.id === section ? 'active' : ''} aria-pressed={s.id === section} data-testid={`admin-tab-${s.id}`} onClick={() => setSection(s.id)}>
            {s.label}
          </button>
        ))}
      </nav>
      {section === 'users' && <UsersSection />}
      {section === 'guests' && <GuestsSection />}
      {section === 'codes' && <CodesSection />}
      {section === 'events' && <EventsSection />}
      {section === 'settings' && <SettingsSection />}
      {section === 'im' && <ImSection />}
      {section === 'files' && <FilesSection />}
      {section === 'channels' && <ChannelsSection />}
      {section === 'moments' && <MomentsReportsSection />}
    </div>
  );
}

/** Runs a console call; a lapsed second factor brings its form back, anything else is said. */
async function consoleCall<T>(call: () => Promise<T>, onError: (message: string) => void): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if ((error as { code?: string }).code === 'SECOND_FACTOR_REQUIRED') accounts.dropElevation();
    else onError(accountErrorText(error));
    return undefined;
  }
}

function SecondFactor() {
  const [mode, setMode] = useState<'consolePassword' | 'totp'>('consolePassword');
  const [value, setValue] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (mode === 'totp' && !/^\d{6}$/.test(value.trim())) return setError('The code from your authenticator app is 6 digits.');
    if (mode === 'consolePassword' && !value) return setError('Enter the console password.');
    setBusy(true);
    setError('');
    try {
      await accounts.elevate(mode === 'totp' ? { totp: value.trim() } : { consolePassword: value });
    } catch (e) {
      setError(accountErrorText(e));
      setBusy(false);
    }
  };
  return (
    <div class="tab-page" data-testid="admin-factor">
      <header class="tab-header">
        <h1>Admin console</h1>
        <p class="tab-sub">Confirm it is you: the console asks for its second factor before it opens, and again once that has lapsed (within 30 minutes).</p>
      </header>
      <form class="card-section factor-form" noValidate onSubmit={(e) => void submit(e)}>
        <div class="segmented" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'consolePassword'} class={mode === 'consolePassword' ? 'active' : ''} data-testid="admin-factor-password" onClick={() => (setMode('consolePassword'), setValue(''), setError(''))}>
            Console password
          </button>
          <button type="button" role="tab" aria-selected={mode === 'totp'} class={mode === 'totp' ? 'active' : ''} data-testid="admin-factor-totp" onClick={() => (setMode('totp'), setValue(''), setError(''))}>
            Authenticator code
          </button>
        </div>
        <label class="field">
          <span class="field-label">{mode === 'totp' ? 'Code from your authenticator app' : 'Console password'}</span>
          {mode === 'totp' ? (
            <input key="totp" class="input" type="text" inputMode="numeric" maxLength={6} autocomplete="one-time-code" data-testid="admin-factor-input" value={value} onInput={(e) => (setValue(e.currentTarget.value), setError(''))} />
          ) : (
            <input key="password" class="input" type="password" maxLength={256} autocomplete="off" data-testid="admin-factor-input" value={value} onInput={(e) => (setValue(e.currentTarget.value), setError(''))} />
          )}
        </label>
        <p class="form-error" role="alert" data-testid="admin-factor-error">
          {error}
        </p>
        <button class="btn btn-primary" type="submit" disabled={busy} data-testid="admin-elevate">
          {busy ? 'Checking…' : 'Open the console'}
        </button>
      </form>
    </div>
  );
}

// ------------------------------------------------------------------ users

const DONE = { approve: 'approved', enable: 'enabled', disable: 'disabled', unlock: 'unlocked' } as const;

function UsersSection() {
  const [query, setQuery] = useState('');
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [temporary, setTemporary] = useState<{ name: string; password: string } | null>(null);

  const search = async (q: string) => {
    const found = await consoleCall(() => accounts.admin.users(q.trim()), setError);
    if (found) setUsers(found);
  };
  useEffect(() => {
    void search('');
  }, []);

  const replace = (updated: AdminUser) => setUsers((list) => list?.map((u) => (u.id === updated.id ? updated : u)) ?? null);

  const act = async (user: AdminUser, entry: UserActionEntry) => {
    if (entry.confirm && !confirm(entry.confirm)) return;
    setError('');
    setInfo('');
    setTemporary(null);
    const a = accounts.admin;
    switch (entry.action) {
      case 'approve':
      case 'enable':
      case 'disable':
      case 'unlock': {
        const call = entry.action === 'approve' ? a.approve : entry.action === 'enable' ? a.enable : entry.action === 'disable' ? a.disable : a.unlock;
        const updated = await consoleCall(() => call(user.id), setError);
        if (updated) {
          replace(updated);
          setInfo(`${updated.nickname}: ${DONE[entry.action]}.`);
        }
        return;
      }
      case 'reset-password': {
        const reply = await consoleCall(() => a.resetPassword(user.id), setError);
        if (reply) {
          replace(reply.user);
          setTemporary({ name: reply.user.nickname, password: reply.temporaryPassword });
        }
        return;
      }
      case 'sign-out': {
        const reply = await consoleCall(() => a.signOut(user.id), setError);
        if (reply) {
          setInfo(`${user.nickname}: ${reply.devices} ${reply.devices === 1 ? 'device' : 'devices'} signed out.`);
          const updated = await consoleCall(() => a.user(user.id), setError);
          if (updated) replace(updated);
        }
        return;
      }
      case 'delete': {
        const done = await consoleCall(async () => (await a.deleteUser(user.id), true), setError);
        if (done) {
          setUsers((list) => list?.filter((u) => u.id !== user.id) ?? null);
          setInfo(`${user.nickname}'s account was deleted.`);
        }
        return;
      }
    }
  };

  const now = Date.now();
  return (
    <section class="card-section" data-testid="admin-users" data-state={users ? 'ready' : 'loading'}>
      <form
        class="search-row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void search(query);
        }}
      >
        <input class="input" type="search" placeholder="Name, phone, Muster ID or id" aria-label="Search users" data-testid="admin-user-search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        <button class="btn btn-ghost" type="submit" data-testid="admin-user-search-go">
          <Icon name="search" />
          <span>Search</span>
        </button>
      </form>
      {temporary && (
        <div class="secret-box" data-testid="admin-temp-password-box">
          <p>
            Temporary password for <strong>{temporary.name}</strong>, shown once. Give it to them in person; they choose their own after logging in.
          </p>
          <code class="secret" data-testid="admin-temp-password">
            {temporary.password}
          </code>
          <CopyButton class="link-btn" icon="copy" label="Copy" promptLabel="Copy the temporary password" text={() => temporary.password} />
        </div>
      )}
      <p class="form-error" role="alert" data-testid="admin-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="admin-info">
        {info}
      </p>
      {users && users.length === 0 && <p class="muted">No one matches.</p>}
      <ul class="item-list">
        {(users ?? []).map((u) => {
          const row = userRow(u, now, {}, currentUser.peek()?.id);
          return (
            <li key={u.id} class="item admin-user" data-testid="admin-user" data-user-id={u.id} data-status={u.status} data-locked={String(row.locked)}>
              <div class="item-main">
                <span class="item-title">{row.name}</span>
                <span class="item-sub">{row.detail}</span>
                <span class={`item-sub status-${row.status}`} data-testid="admin-user-status">
                  {row.statusText}
                </span>
              </div>
              <div class="item-actions wrap">
                {row.actions.map((entry) => (
                  <button key={entry.action} class={`btn btn-small ${entry.danger ? 'btn-outline-danger' : 'btn-ghost'}`} type="button" data-testid={`admin-${entry.action}`} onClick={() => void act(u, entry)}>
                    {entry.label}
                  </button>
                ))}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

// ------------------------------------------------------------------ guests

function GuestsSection() {
  const [form, setForm] = useState<GuestForm>(() => ({ mode: 'single', nickname: '', list: '', csv: '', expires: toLocalInput(Date.now() + DEFAULT_GUEST_DAYS * 86_400_000) }));
  const [created, setCreated] = useState<CreatedGuest[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<GuestForm>) => {
    setForm({ ...form, ...change });
    setError('');
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = guestRequest(form, Date.now());
    if (!checked.ok) return setError(checked.error);
    setBusy(true);
    const guests = await consoleCall(() => accounts.admin.createGuests(checked.request), setError);
    setBusy(false);
    if (guests) {
      setCreated(guests);
      setForm({ ...form, nickname: '', list: '', csv: '' });
    }
  };

  const readFile = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > 100_000) return setError('That file is too large (100 kB at most).');
    set({ csv: await file.text() });
  };

  const links = created.map((g) => ({ name: g.user.nickname, url: guestUrl(location.origin, g.link) }));
  return (
    <section class="card-section" data-testid="admin-guests">
      <form class="guest-form" noValidate onSubmit={(e) => void submit(e)}>
        <p class="muted">Guests sign in with a one-time link, without a phone number or password, until their account expires.</p>
        <div class="form-grid">
          <label class="field">
            <span class="field-label">Create</span>
            <select class="select" data-testid="admin-guest-mode" value={form.mode} onChange={(e) => set({ mode: e.currentTarget.value as GuestMode })}>
              <option value="single">One guest</option>
              <option value="list">A list of names</option>
              <option value="csv">From a CSV</option>
            </select>
          </label>
          <label class="field">
            <span class="field-label">Expires</span>
            <input class="input" type="datetime-local" data-testid="admin-guest-expires" value={form.expires} onInput={(e) => set({ expires: e.currentTarget.value })} />
          </label>
          {form.mode === 'single' && (
            <label class="field field-wide">
              <span class="field-label">Name</span>
              <input class="input" type="text" maxLength={40} data-testid="admin-guest-nickname" value={form.nickname} onInput={(e) => set({ nickname: e.currentTarget.value })} />
            </label>
          )}
          {form.mode === 'list' && (
            <label class="field field-wide">
              <span class="field-label">Names, one per line</span>
              <textarea class="input textarea" rows={6} data-testid="admin-guest-list" value={form.list} onInput={(e) => set({ list: e.currentTarget.value })} />
            </label>
          )}
          {form.mode === 'csv' && (
            <div class="field field-wide">
              <span class="field-label">CSV: one guest per line, the name in the first column</span>
              <textarea class="input textarea" rows={6} aria-label="CSV" placeholder={'name,unit\nZhang Wei,Logistics'} data-testid="admin-guest-csv" value={form.csv} onInput={(e) => set({ csv: e.currentTarget.value })} />
              <label class="btn btn-ghost btn-small file-btn">
                <span>Choose a CSV file</span>
                <input class="visually-hidden" type="file" accept=".csv,text/csv,text/plain" data-testid="admin-guest-csv-file" onChange={(e) => void readFile(e.currentTarget.files?.[0])} />
              </label>
            </div>
          )}
        </div>
        <p class="form-error" role="alert" data-testid="admin-guest-error">
          {error}
        </p>
        <div class="form-actions">
          <button class="btn btn-primary" type="submit" disabled={busy} data-testid="admin-guest-create">
            {busy ? 'Creating…' : 'Create guests'}
          </button>
        </div>
      </form>
      {links.length > 0 && (
        <div class="secret-box" data-testid="admin-guest-links">
          <p>
            <strong>These links are shown only now.</strong> Each works once; copy them before leaving this page.
          </p>
          <CopyButton class="link-btn" icon="copy" label="Copy all" promptLabel="Copy the guest links" testId="admin-guest-copy-all" text={() => links.map((l) => `${l.name}\t${l.url}`).join('\n')} />
          <ul class="item-list">
            {links.map((l) => (
              <li key={l.url} class="item" data-testid="admin-guest-link" data-url={l.url}>
                <div class="item-main">
                  <span class="item-title">{l.name}</span>
                  <code class="item-sub link-text">{l.url}</code>
                </div>
                <CopyButton class="link-btn" icon="copy" label="Copy" promptLabel={`Copy ${l.name}'s link`} text={() => l.url} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

// ------------------------------------------------------------------ codes, events

function CodesSection() {
  const [codes, setCodes] = useState<PendingCode[] | null>(null);
  const [error, setError] = useState('');
  const load = async () => {
    const list = await consoleCall(() => accounts.admin.codes(), setError);
    if (list) setCodes(list);
  };
  useEffect(() => {
    void load();
  }, []);
  const now = Date.now();
  return (
    <section class="card-section" data-testid="admin-codes" data-state={codes ? 'ready' : 'loading'}>
      <p class="muted">Codes the log channel holds instead of sending an SMS (networks without an SMS gateway): read them out to the person who asked.</p>
      <button class="btn btn-ghost btn-small" type="button" data-testid="admin-codes-refresh" onClick={() => void load()}>
        Refresh
      </button>
      <p class="form-error" role="alert">
        {error}
      </p>
      {codes && codes.length === 0 && <p class="muted">No codes are waiting.</p>}
      <ul class="item-list">
        {(codes ?? []).map((c) => (
          <li key={`${c.phone}:${c.purpose}:${c.code}`} class="item" data-testid="admin-code" data-phone={c.phone}>
            <div class="item-main">
              <span class="item-title">{c.phone}</span>
              <span class="item-sub">
                {c.purpose} · expires {relativeTime(c.expiresAt, now)}
              </span>
            </div>
            <code class="secret">{c.code}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

function EventsSection() {
  const [events, setEvents] = useState<SecurityEvent[] | null>(null);
  const [error, setError] = useState('');
  const load = async () => {
    const list = await consoleCall(() => accounts.admin.securityEvents({ limit: 100 }), setError);
    if (list) setEvents(list);
  };
  useEffect(() => {
    void load();
  }, []);
  const now = Date.now();
  return (
    <section class="card-section" data-testid="admin-events" data-state={events ? 'ready' : 'loading'}>
      <button class="btn btn-ghost btn-small" type="button" onClick={() => void load()}>
        Refresh
      </button>
      <p class="form-error" role="alert">
        {error}
      </p>
      {events && events.length === 0 && <p class="muted">Nothing yet.</p>}
      <ul class="item-list">
        {(events ?? []).map((e) => {
          const line = eventLine(e, now);
          return (
            <li key={line.id} class="item" data-testid="admin-event" data-kind={e.kind}>
              <div class="item-main">
                <span class="item-title">{line.what}</span>
                <span class="item-sub">
                  {line.when} · {line.who}
                  {line.details && ` · ${line.details}`}
                </span>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

// ------------------------------------------------------------------ settings

function SettingsSection() {
  const [settings, setSettings] = useState<AccountSettings | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  useEffect(() => {
    void consoleCall(() => accounts.admin.settings(), setError).then((s) => s && setSettings(s));
  }, []);
  if (!settings) {
    return (
      <section class="card-section" data-testid="admin-settings" data-state="loading">
        <p class="form-error" role="alert">
          {error}
        </p>
      </section>
    );
  }
  const set = (change: Partial<AccountSettings>) => {
    setSettings({ ...settings, ...change });
    setInfo('');
  };
  const save = async (event: Event) => {
    event.preventDefault();
    const saved = await consoleCall(() => accounts.admin.updateSettings(settings), setError);
    if (saved) {
      setSettings(saved);
      setInfo('Saved.');
    }
  };
  return (
    <form class="card-section" data-testid="admin-settings" data-state="ready" noValidate onSubmit={(e) => void save(e)}>
      <label class="field">
        <span class="field-label">Sign-up</span>
        <select class="select" data-testid="admin-signup-policy" value={settings.signupPolicy} onChange={(e) => set({ signupPolicy: e.currentTarget.value as AccountSettings['signupPolicy'] })}>
          <option value="code">With a code sent to the phone</option>
          <option value="password">With a password alone (the number stays unverified)</option>
          <option value="approval">An administrator approves each account</option>
        </select>
      </label>
      <label class="check">
        <input type="checkbox" data-testid="admin-anonymous-joins" checked={settings.anonymousJoins} onChange={(e) => set({ anonymousJoins: e.currentTarget.checked })} />
        <span>People without an account may join meetings by link</span>
      </label>
      <label class="check">
        <input type="checkbox" data-testid="admin-boards-signed-in" checked={settings.boardsSignedInOnly} onChange={(e) => set({ boardsSignedInOnly: e.currentTarget.checked })} />
        <span>Standalone boards only for signed-in people</span>
      </label>
      <p class="form-error" role="alert">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="admin-settings-saved">
        {info}
      </p>
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" data-testid="admin-settings-save">
          Save settings
        </button>
      </div>
    </form>
  );
}
