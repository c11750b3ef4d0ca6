import { useEffect, useRef, useState } from 'preact/hooks';
import type { Device, User } from '@muster/accounts/client';
import { formatDateTime } from '../lib/time.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { deviceRows } from './devices.ts';
import { accountErrorText } from './errors.ts';
import { firstProblem, passwordProblem } from './forms.ts';
import { musterIdStatus, profileChange, profileForm, type ProfileForm } from './profile.ts';
import { accounts, currentUser, logOut } from './session.ts';
import { PrivacySection } from './PrivacySection.tsx';
import { NotificationsSection } from './NotificationsSection.tsx';
import { StorageSection } from './StorageSection.tsx';

/** /settings: profile and avatar, password, and the devices signed in to this account. */
export function SettingsPage() {
  const user = currentUser.value;
  useEffect(() => {
    document.title = 'Settings · Muster';
  }, []);
  if (!user) return null;
  return (
    <div class="tab-page settings-page" data-testid="settings-page">
      <header class="tab-header">
        <h1>Settings</h1>
        {user.role === 'guest' && user.expiresAt !== null && <p class="tab-sub">Guest account: it stops working on {formatDateTime(user.expiresAt)}.</p>}
      </header>
      <ProfileSection user={user} />
      {user.role !== 'guest' && <PasswordSection user={user} />}
      {user.role !== 'guest' && <PrivacySection />}
      <NotificationsSection user={user} />
      <StorageSection />
      <DevicesSection />
      <section class="card-section">
        <button class="btn btn-ghost" type="button" data-testid="logout" onClick={() => void logOut()}>
          <Icon name="logout" />
          <span>Log out of this device</span>
        </button>
      </section>
    </div>
  );
}

function ProfileSection({ user }: { user: User }) {
  const [form, setForm] = useState<ProfileForm>(() => profileForm(user));
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  const [uploading, setUploading] = useState(false);
  const file = useRef<HTMLInputElement>(null);
  const id = musterIdStatus(user, Date.now());
  const set = (change: Partial<ProfileForm>) => {
    setForm({ ...form, ...change });
    setError('');
    setSaved('');
  };

  const save = async (event: Event) => {
    event.preventDefault();
    const checked = profileChange(user, form);
    if (checked.error !== null) return setError(checked.error);
    if (Object.keys(checked.change).length === 0) return setSaved('Nothing to save.');
    setBusy(true);
    try {
      const updated = await accounts.updateProfile(checked.change);
      setForm(profileForm(updated));
      setSaved('Saved.');
    } catch (e) {
      setError(accountErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  const upload = async (chosen: File | undefined) => {
    if (!chosen) return;
    setUploading(true);
    setError('');
    try {
      await accounts.uploadAvatar(chosen);
      setSaved('New photo saved.');
    } catch (e) {
      setError(accountErrorText(e));
    } finally {
      setUploading(false);
      if (file.current) file.current.value = '';
    }
  };

  return (
    <form class="card-section profile-form" data-testid="profile-form" noValidate onSubmit={(e) => void save(e)}>
      <h2>Profile</h2>
      <div class="profile-head">
        <Avatar name={user.nickname} src={user.avatar?.large} size="lg" testId="profile-avatar" />
        <div class="profile-photo">
          <label class="btn btn-ghost">
            <span>{uploading ? 'Uploading…' : user.avatar ? 'Change photo' : 'Add a photo'}</span>
            <input ref={file} class="visually-hidden" type="file" accept="image/jpeg,image/png,image/webp,image/gif" data-testid="avatar-input" disabled={uploading} onChange={(e) => void upload(e.currentTarget.files?.[0])} />
          </label>
          <span class="field-hint">JPEG, PNG or WebP; shown round, 256 px.</span>
        </div>
      </div>
      <div class="form-grid">
        <label class="field">
          <span class="field-label">Name</span>
          <input class="input" type="text" maxLength={40} autocomplete="name" data-testid="profile-nickname" value={form.nickname} onInput={(e) => set({ nickname: e.currentTarget.value })} />
        </label>
        <label class="field">
          <span class="field-label">Muster ID</span>
          <input class="input" type="text" maxLength={20} autocomplete="username" autocapitalize="off" spellcheck={false} disabled={!id.editable} data-testid="profile-muster-id" value={form.musterId} onInput={(e) => set({ musterId: e.currentTarget.value })} />
          <span class="field-hint" data-testid="muster-id-note">
            {id.note}
          </span>
        </label>
        <label class="field">
          <span class="field-label">Gender</span>
          <select class="select" data-testid="profile-gender" value={form.gender} onChange={(e) => set({ gender: e.currentTarget.value as ProfileForm['gender'] })}>
            <option value="unspecified">Not said</option>
            <option value="female">Female</option>
            <option value="male">Male</option>
            <option value="other">Other</option>
          </select>
        </label>
        <label class="field">
          <span class="field-label">Region</span>
          <input class="input" type="text" maxLength={60} data-testid="profile-region" value={form.region} onInput={(e) => set({ region: e.currentTarget.value })} />
        </label>
        <label class="field field-wide">
          <span class="field-label">Signature</span>
          <input class="input" type="text" maxLength={120} placeholder="A line about you" data-testid="profile-signature" value={form.signature} onInput={(e) => set({ signature: e.currentTarget.value })} />
        </label>
      </div>
      <p class="form-error" role="alert" data-testid="profile-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="profile-saved">
        {saved}
      </p>
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={busy} data-testid="profile-save">
          {busy ? 'Saving…' : 'Save profile'}
        </button>
      </div>
    </form>
  );
}

function PasswordSection({ user }: { user: User }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = firstProblem(user.hasPassword && !current ? 'Enter your current password.' : null, passwordProblem(next), next !== again ? 'The two new passwords differ.' : null);
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      await accounts.changePassword({ ...(user.hasPassword ? { currentPassword: current } : {}), password: next });
      setCurrent('');
      setNext('');
      setAgain('');
      setDone('Password changed. Your other devices have been signed out.');
    } catch (e) {
      setError(accountErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card-section" data-testid="password-form" noValidate onSubmit={(e) => void submit(e)}>
      <h2>{user.hasPassword ? 'Change password' : 'Set a password'}</h2>
      <div class="form-grid">
        {user.hasPassword && (
          <label class="field">
            <span class="field-label">Current password</span>
            <input class="input" type="password" autocomplete="current-password" data-testid="password-current" value={current} onInput={(e) => (setCurrent(e.currentTarget.value), setError(''), setDone(''))} />
          </label>
        )}
        <label class="field">
          <span class="field-label">New password</span>
          <input class="input" type="password" autocomplete="new-password" data-testid="password-new" value={next} onInput={(e) => (setNext(e.currentTarget.value), setError(''), setDone(''))} />
        </label>
        <label class="field">
          <span class="field-label">New password again</span>
          <input class="input" type="password" autocomplete="new-password" data-testid="password-again" value={again} onInput={(e) => (setAgain(e.currentTarget.value), setError(''), setDone(''))} />
        </label>
      </div>
      <p class="form-error" role="alert" data-testid="password-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="password-done">
        {done}
      </p>
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={busy} data-testid="password-submit">
          {busy ? 'Saving…' : 'Change password'}
        </button>
      </div>
    </form>
  );
}

function DevicesSection() {
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');

  const reload = async () => {
    try {
      setDevices(await accounts.devices());
    } catch (e) {
      setError(accountErrorText(e));
    }
  };
  useEffect(() => {
    void reload();
  }, []);

  const signOut = async (id: string, name: string) => {
    if (!confirm(`Sign out “${name}”? It will have to log in again.`)) return;
    try {
      await accounts.signOutDevice(id);
      setInfo(`“${name}” has been signed out.`);
      await reload();
    } catch (e) {
      setError(accountErrorText(e));
    }
  };

  const signOutOthers = async () => {
    if (!confirm('Sign out every other device? They will have to log in again.')) return;
    try {
      const count = await accounts.signOutOthers();
      setInfo(count === 0 ? 'No other device was signed in.' : `${count} ${count === 1 ? 'device has' : 'devices have'} been signed out.`);
      await reload();
    } catch (e) {
      setError(accountErrorText(e));
    }
  };

  const rows = devices ? deviceRows(devices, Date.now()) : [];
  return (
    <section class="card-section" data-testid="devices" data-state={devices ? 'ready' : 'loading'}>
      <h2>Devices</h2>
      <p class="muted">Where your account is signed in. Sign out any you do not recognise, and change your password.</p>
      <ul class="item-list" data-testid="device-list">
        {rows.map((d) => (
          <li key={d.id} class="item" data-testid="device-item" data-device-id={d.id} data-current={String(d.current)}>
            <Icon name="device" />
            <div class="item-main">
              <span class="item-title">{d.name}</span>
              <span class="item-sub">
                <span>{d.detail}</span>
                <span data-testid="device-last-seen">{d.lastSeen}</span>
              </span>
            </div>
            {!d.current && (
              <button class="btn btn-ghost btn-small" type="button" data-testid="device-sign-out" onClick={() => void signOut(d.id, d.name)}>
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      <p class="form-error" role="alert">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="devices-info">
        {info}
      </p>
      <div class="form-actions">
        <button class="btn btn-ghost" type="button" data-testid="devices-sign-out-others" disabled={rows.filter((d) => !d.current).length === 0} onClick={() => void signOutOthers()}>
          Sign out all other devices
        </button>
      </div>
    </section>
  );
}
