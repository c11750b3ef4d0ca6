import { useEffect, useMemo, useState } from 'preact/hooks';
import type { AdminUser } from '@muster/accounts/client';
import {
  accountChange,
  accountForm,
  addEditor,
  canEdit,
  ChannelsConsole,
  consoleErrorText,
  createRequest,
  dailyCapValue,
  editorsChanged,
  emptyAccountForm,
  KIND_LABELS,
  keywordsText,
  MAX_DAILY_CAP,
  MIN_DAILY_CAP,
  parseKeywords,
  removeEditor,
  type AccountForm,
  type DirectoryEntry,
  type PersonView,
  type ServiceAccountKind,
  type ServiceAccountView,
} from '@muster/channels/client';
import { AccountTransport } from '@muster/im/client';
import { Link } from '../app/Link.tsx';
import { uploader, useCachedImage } from '../chats/media/media.ts';
import { accounts } from '../account/session.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';

const PAGE = 50;

type Caller = <T>(run: () => Promise<T>) => Promise<T | undefined>;

/** A console call's runner: a lapsed second factor brings the factor form back, anything else is said through `onError`. */
function caller(onError: (message: string) => void): Caller {
  return async (run) => {
    try {
      return await run();
    } catch (e) {
      if ((e as { code?: string }).code === 'SECOND_FACTOR_REQUIRED') accounts.dropElevation();
      else onError(consoleErrorText(e));
      return undefined;
    }
  };
}

/**
 * The console's Service accounts section: the accounts (searched by name or
 * description), one to create or change (name, description, kind, daily
 * cap, avatar, editors), delete, and the comment keyword list. The form
 * logic is `@muster/channels/client`'s (console.ts); the calls carry the
 * console's elevated token (`accounts.admin.fetch`).
 */
export function ChannelsSection() {
  const sdk = useMemo(() => new ChannelsConsole(new AccountTransport({ fetch: accounts.admin.fetch })), []);
  const [list, setList] = useState<DirectoryEntry[] | null>(null);
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<string | 'new' | null>(null);
  const [created, setCreated] = useState(false);
  // The directory route answers every account at once: the list shows them a page at a time.
  const [shown, setShown] = useState(PAGE);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const call = useMemo(() => caller(setError), []);

  const load = async (q: string) => {
    setError('');
    const found = await call(() => sdk.accounts(q));
    if (found) {
      setList(found);
      setShown(PAGE);
    }
  };
  useEffect(() => {
    void load('');
  }, []);

  if (open !== null) {
    return (
      <AccountEditor
        key={open}
        sdk={sdk}
        accountId={open === 'new' ? null : open}
        notice={created ? 'Created.' : ''}
        onCreated={(id) => (setCreated(true), setOpen(id))}
        onClose={(message) => {
          setOpen(null);
          setCreated(false);
          setInfo(message ?? '');
          void load(query);
        }}
      />
    );
  }
  return (
    <section class="card-section" data-testid="admin-channels" data-state={list ? 'ready' : 'loading'}>
      <p class="muted">Departments publish to everyone through service accounts (公众号 / 服务号). Their editors publish, edit and moderate; you create the accounts and name the editors.</p>
      <form
        class="search-row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void load(query);
        }}
      >
        <input class="input" type="search" placeholder="Name or description" aria-label="Search service accounts" data-testid="admin-sa-search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        <button class="btn btn-ghost" type="submit" data-testid="admin-sa-search-go">
          <Icon name="search" />
          <span>Search</span>
        </button>
        <button class="btn btn-primary" type="button" data-testid="admin-sa-new" onClick={() => (setCreated(false), setOpen('new'), setInfo(''))}>
          <Icon name="plus" />
          <span>New</span>
        </button>
      </form>
      <p class="form-error" role="alert" data-testid="admin-sa-list-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="admin-sa-list-info">
        {info}
      </p>
      {list && list.length === 0 && <p class="muted">{query.trim() ? 'No service account matches.' : 'No service accounts yet.'}</p>}
      <ul class="item-list">
        {(list ?? []).slice(0, shown).map((a) => (
          <li key={a.id} class="item" data-testid="admin-sa-row" data-id={a.id}>
            <AccountPicture name={a.name} fileId={a.avatarFileId} />
            <div class="item-main">
              <span class="item-title">{a.name}</span>
              <span class="item-sub">
                {KIND_LABELS[a.kind]}
                {a.description && ` · ${a.description}`}
              </span>
            </div>
            <div class="item-actions">
              <button class="btn btn-small btn-ghost" type="button" data-testid="admin-sa-edit" onClick={() => (setCreated(false), setOpen(a.id), setInfo(''))}>
                Edit
              </button>
            </div>
          </li>
        ))}
      </ul>
      {list && list.length > shown && (
        <button class="btn btn-ghost" type="button" data-testid="admin-sa-more" onClick={() => setShown(shown + PAGE)}>
          More ({list.length - shown})
        </button>
      )}
      <KeywordList sdk={sdk} />
    </section>
  );
}

/** An account's avatar (its uploaded image's thumbnail), else its initial. */
function AccountPicture({ name, fileId }: { name: string; fileId: string | null }) {
  const { src } = useCachedImage(fileId, 'thumbnail');
  return <Avatar name={name || '?'} src={src} size="sm" />;
}

// ------------------------------------------------------------------ one account

function AccountEditor({ sdk, accountId, notice, onCreated, onClose }: { sdk: ChannelsConsole; accountId: string | null; notice: string; onCreated: (id: string) => void; onClose: (message?: string) => void }) {
  const [saved, setSaved] = useState<ServiceAccountView | null>(null);
  const [form, setForm] = useState<AccountForm>(emptyAccountForm);
  const [editors, setEditors] = useState<PersonView[]>([]);
  const [error, setError] = useState('');
  const [info, setInfo] = useState(notice);
  const [busy, setBusy] = useState(false);
  const [uploading, setUploading] = useState<number | null>(null);
  const call = useMemo(() => caller(setError), []);

  const show = (account: ServiceAccountView) => {
    setSaved(account);
    setForm(accountForm(account));
    setEditors(account.editors ?? []);
  };
  useEffect(() => {
    if (accountId) void call(() => sdk.account(accountId)).then((a) => a && show(a));
  }, []);

  const set = (change: Partial<AccountForm>) => {
    setForm({ ...form, ...change });
    setError('');
    setInfo('');
  };
  const cap = dailyCapValue(form.dailyCap);

  const pickAvatar = async (file: File | undefined) => {
    if (!file) return;
    if (!file.type.startsWith('image/')) return setError(`${file.name}: the avatar is a picture.`);
    const upload = uploader().start(file, { type: file.type });
    setUploading(0);
    const stop = uploader().on('change', (s) => {
      if (s.id === upload.id) setUploading(s.total ? s.bytesSent / s.total : 0);
    });
    try {
      const fileId = await upload.done;
      setForm((f) => ({ ...f, avatarFileId: fileId }));
      setError('');
    } catch (e) {
      setError(`${file.name}: ${consoleErrorText(e)}`);
    } finally {
      stop();
      setUploading(null);
    }
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setInfo('');
    if (uploading !== null) return setError('Wait for the avatar to finish uploading.');
    if (!saved) {
      const checked = createRequest(form, editors);
      if (!checked.ok) return setError(checked.error);
      setBusy(true);
      const id = await call(() => sdk.create(checked.value));
      setBusy(false);
      if (id) onCreated(id);
      return;
    }
    const checked = accountChange(saved, form);
    if (!checked.ok) return setError(checked.error);
    const change = checked.value;
    const namesChanged = editorsChanged(saved.editors ?? [], editors);
    if (Object.keys(change).length === 0 && !namesChanged) return setInfo('Nothing has changed.');
    setBusy(true);
    setError('');
    let next: ServiceAccountView | undefined = saved;
    if (Object.keys(change).length > 0) next = await call(() => sdk.update(saved.id, change));
    if (next && namesChanged) {
      const named = await call(() => sdk.setEditors(saved.id, editors.map((e) => e.id)));
      next = named ? { ...next, editors: named } : undefined;
    }
    setBusy(false);
    if (next) {
      show(next);
      setInfo('Saved.');
    }
  };

  const remove = async () => {
    if (!saved || !confirm(`Delete “${saved.name}”? Its page, articles and comments are gone for everyone, and its subscribers’ lists drop it.`)) return;
    setBusy(true);
    const done = await call(async () => (await sdk.delete(saved.id), true));
    setBusy(false);
    if (done) onClose(`“${saved.name}” was deleted.`);
  };

  if (accountId && !saved) {
    return (
      <section class="card-section" data-testid="admin-sa-form" data-state="loading">
        <button class="link-btn" type="button" data-testid="admin-sa-back" onClick={() => onClose()}>
          ← All service accounts
        </button>
        <p class="form-error" role="alert" data-testid="admin-sa-error">
          {error}
        </p>
      </section>
    );
  }
  return (
    <form class="card-section" data-testid="admin-sa-form" data-state="ready" data-id={saved?.id ?? ''} noValidate onSubmit={(e) => void save(e)}>
      <div class="admin-sa-head">
        <button class="link-btn" type="button" data-testid="admin-sa-back" onClick={() => onClose()}>
          ← All service accounts
        </button>
        {saved && (
          <Link class="link-btn" href={`/service-accounts/${encodeURIComponent(saved.id)}`} data-testid="admin-sa-open" data-id={saved.id}>
            Open its page
          </Link>
        )}
      </div>
      <h2>{saved ? saved.name : 'New service account'}</h2>
      {saved && (
        <p class="muted" data-testid="admin-sa-stats">
          {saved.subscribers} {saved.subscribers === 1 ? 'subscriber' : 'subscribers'}
        </p>
      )}
      <div class="admin-sa-avatar">
        <AccountPicture name={form.name} fileId={form.avatarFileId} />
        <label class="btn btn-ghost btn-small file-btn">
          {uploading !== null ? `Uploading… ${Math.round(uploading * 100)}%` : form.avatarFileId ? 'Change the avatar' : 'Upload an avatar'}
          <input class="visually-hidden" type="file" accept="image/*" data-testid="admin-sa-avatar-input" disabled={uploading !== null} onChange={(e) => {
              const input = e.currentTarget;
              void pickAvatar(input.files?.[0]).then(() => (input.value = ''));
            }}
          />
        </label>
        {form.avatarFileId && (
          <button class="link-btn" type="button" data-testid="admin-sa-avatar-remove" onClick={() => set({ avatarFileId: null })}>
            No avatar
          </button>
        )}
      </div>
      <div class="form-grid">
        <label class="field">
          <span class="field-label">Name</span>
          <input class="input" type="text" maxLength={30} data-testid="admin-sa-name" value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </label>
        <label class="field">
          <span class="field-label">Kind</span>
          <select class="select" data-testid="admin-sa-kind" value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value as ServiceAccountKind })}>
            {(Object.keys(KIND_LABELS) as ServiceAccountKind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        <label class="field field-wide">
          <span class="field-label">Description</span>
          <textarea class="input textarea" rows={2} maxLength={120} data-testid="admin-sa-description" value={form.description} onInput={(e) => set({ description: e.currentTarget.value })} />
        </label>
        <label class="field">
          <span class="field-label">Daily cap (articles in any 24 hours)</span>
          <input class="input" type="text" inputMode="numeric" data-testid="admin-sa-cap" aria-invalid={!cap.ok} value={form.dailyCap} onInput={(e) => set({ dailyCap: e.currentTarget.value })} />
          <span class={cap.ok ? 'field-hint' : 'field-hint form-error'} role={cap.ok ? undefined : 'alert'} data-testid="admin-sa-cap-hint" data-valid={String(cap.ok)}>
            {cap.ok ? `From ${MIN_DAILY_CAP} (never below) to ${MAX_DAILY_CAP}.` : cap.error}
          </span>
        </label>
      </div>

      <EditorsPicker editors={editors} onChange={(list) => (setEditors(list), setError(''), setInfo(''))} />

      <p class="form-error" role="alert" data-testid="admin-sa-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="admin-sa-saved">
        {info}
      </p>
      <div class="form-actions">
        {saved && (
          <button class="btn btn-outline-danger" type="button" disabled={busy} data-testid="admin-sa-delete" onClick={() => void remove()}>
            Delete
          </button>
        )}
        <button class="btn btn-primary" type="submit" disabled={busy || !cap.ok} data-testid="admin-sa-save">
          {busy ? 'Saving…' : saved ? 'Save' : 'Create'}
        </button>
      </div>
    </form>
  );
}

// ------------------------------------------------------------------ editors

/** The account's editors, and people found by the console's user search to add. */
function EditorsPicker({ editors, onChange }: { editors: PersonView[]; onChange: (list: PersonView[]) => void }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<AdminUser[] | null>(null);
  const [error, setError] = useState('');
  const call = useMemo(() => caller(setError), []);
  const search = async () => {
    setError('');
    const people = await call(() => accounts.admin.users(q.trim()));
    if (people) setFound(people);
  };
  const add = (person: AdminUser) => {
    const result = addEditor(editors, person);
    if (!result.ok) return setError(result.error);
    setError('');
    onChange(result.value);
  };
  return (
    <fieldset class="field admin-sa-editors" data-testid="admin-sa-editors">
      <legend class="field-label">Editors</legend>
      <span class="field-hint">They publish, edit and delete articles and moderate comments. Saved with the account.</span>
      {editors.length === 0 && <p class="muted">No editors yet.</p>}
      <ul class="item-list">
        {editors.map((e) => (
          <li key={e.id} class="item" data-testid="admin-sa-editor" data-user-id={e.id}>
            <Avatar name={e.nickname} src={e.avatar?.small} />
            <div class="item-main">
              <span class="item-title">{e.nickname}</span>
            </div>
            <button class="btn btn-small btn-ghost" type="button" aria-label={`Remove ${e.nickname}`} data-testid="admin-sa-editor-remove" onClick={() => onChange(removeEditor(editors, e.id))}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <div class="search-row">
        <input
          class="input"
          type="search"
          placeholder="Find people: name, phone or Muster ID"
          aria-label="Find people to add as editors"
          data-testid="admin-sa-editor-search"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              void search();
            }
          }}
        />
        <button class="btn btn-ghost" type="button" data-testid="admin-sa-editor-search-go" onClick={() => void search()}>
          <Icon name="search" />
          <span>Find</span>
        </button>
      </div>
      <p class="form-error" role="alert" data-testid="admin-sa-editor-error">
        {error}
      </p>
      {found && found.length === 0 && <p class="muted">No one matches.</p>}
      {found && found.length > 0 && (
        <ul class="item-list admin-sa-candidates">
          {found.slice(0, 20).map((p) => {
            const named = editors.some((e) => e.id === p.id);
            return (
              <li key={p.id} class="item" data-testid="admin-sa-candidate" data-user-id={p.id}>
                <Avatar name={p.nickname} src={p.avatar?.small} />
                <div class="item-main">
                  <span class="item-title">{p.nickname}</span>
                  <span class="item-sub">{[p.phone, p.musterId, canEdit(p) ? null : p.role === 'guest' ? 'a guest' : p.status].filter(Boolean).join(' · ')}</span>
                </div>
                <button class="btn btn-small btn-ghost" type="button" disabled={named || !canEdit(p)} data-testid="admin-sa-candidate-add" onClick={() => add(p)}>
                  {named ? 'Editor' : 'Add'}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </fieldset>
  );
}

// ------------------------------------------------------------------ keywords

/** The built-in content check's keywords: comments with any of them are flagged for the editors. */
function KeywordList({ sdk }: { sdk: ChannelsConsole }) {
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState(false);
  const call = useMemo(() => caller(setError), []);
  useEffect(() => {
    void call(() => sdk.settings()).then((s) => s && setText(keywordsText(s.keywords)));
  }, []);
  const save = async (event: Event) => {
    event.preventDefault();
    if (text === null) return;
    const parsed = parseKeywords(text);
    if (!parsed.ok) return setError(parsed.error);
    setBusy(true);
    setError('');
    const saved = await call(() => sdk.updateSettings({ keywords: parsed.value }));
    setBusy(false);
    if (saved) {
      setText(keywordsText(saved.keywords));
      setInfo(`Saved: ${saved.keywords.length} ${saved.keywords.length === 1 ? 'keyword' : 'keywords'}.`);
    }
  };
  return (
    <form class="admin-sa-keywords" noValidate data-testid="admin-sa-keywords" data-state={text === null ? 'loading' : 'ready'} onSubmit={(e) => void save(e)}>
      <h2>Comment keywords</h2>
      <label class="field">
        <span class="field-label">Comments containing any of these (case and width aside) are flagged for the editors’ review. One a line.</span>
        <textarea class="input textarea" rows={6} data-testid="admin-sa-keywords-input" disabled={text === null} value={text ?? ''} onInput={(e) => (setText(e.currentTarget.value), setError(''), setInfo(''))} />
      </label>
      <p class="form-error" role="alert" data-testid="admin-sa-keywords-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="admin-sa-keywords-saved">
        {info}
      </p>
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={busy || text === null} data-testid="admin-sa-keywords-save">
          {busy ? 'Saving…' : 'Save keywords'}
        </button>
      </div>
    </form>
  );
}
