import { useEffect, useState } from 'preact/hooks';
import type { User } from '@muster/accounts/client';
import { unifiedPushProblem } from '../lib/push.ts';
import { disableWebPush, enableWebPush, permission, pushSupported, registerUnifiedPush, removeUnifiedPush, unifiedPushEndpoint, webPushRegistered } from '../pwa/pushDevice.ts';
import { pushApi } from '../pwa/start.ts';
import { accountErrorText } from './errors.ts';
import { deviceStatus, dndSummary, notificationForm, notificationRequest, type NotificationForm } from './notifications.ts';
import '../pwa/pwa.css';

function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function errorText(error: unknown): string {
  return (error as { code?: string })?.code ? accountErrorText(error) : ((error as Error)?.message ?? String(error));
}

/**
 * Me → Settings → Notifications: this device's push notifications (on, off,
 * or why not), previews and quiet hours for every device (the server's
 * `/me/notifications`), and a UnifiedPush endpoint for organisations that
 * run their own push distributor (ntfy) on a closed network.
 */
export function NotificationsSection({ user }: { user: User }) {
  return (
    <section class="card-section notifications-section" data-testid="notifications-section">
      <h2>Notifications</h2>
      <ThisDevice user={user} />
      <PreviewsAndQuietHours />
      <UnifiedPush user={user} />
    </section>
  );
}

function ThisDevice({ user }: { user: User }) {
  const [subscribed, setSubscribed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    void webPushRegistered(user.id)
      .catch(() => false)
      .then((on) => live && setSubscribed(on));
    return () => {
      live = false;
    };
  }, [user.id]);

  const status = deviceStatus({ supported: pushSupported(), permission: permission(), subscribed });
  const act = async (on: boolean) => {
    setBusy(true);
    setError('');
    try {
      if (on) await enableWebPush(pushApi, user.id);
      else await disableWebPush(pushApi, user.id);
      setSubscribed(on);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
      setTick((n) => n + 1);
    }
  };

  return (
    <div class="settings-block" data-testid="notifications-device" data-state={status.state}>
      <h3>This device</h3>
      <p class="muted" data-testid="notifications-status">
        {status.text}
      </p>
      <div class="form-actions">
        {status.canEnable && (
          <button class="btn btn-primary" type="button" disabled={busy} data-testid="notifications-enable" onClick={() => void act(true)}>
            {busy ? 'Turning on…' : 'Turn on notifications'}
          </button>
        )}
        {status.canDisable && (
          <button class="btn btn-ghost" type="button" disabled={busy} data-testid="notifications-disable" onClick={() => void act(false)}>
            {busy ? 'Turning off…' : 'Turn off on this device'}
          </button>
        )}
      </div>
      <p class="form-error" role="alert" data-testid="notifications-error">
        {error}
      </p>
    </div>
  );
}

function PreviewsAndQuietHours() {
  const [form, setForm] = useState<NotificationForm | null>(null);
  const [loadError, setLoadError] = useState('');
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    pushApi.notificationSettings().then(
      (settings) => live && setForm(notificationForm(settings, localTimeZone())),
      (e: unknown) => live && setLoadError(`Your notification settings could not be loaded. ${errorText(e)}`),
    );
    return () => {
      live = false;
    };
  }, []);

  const set = (change: Partial<NotificationForm>) => {
    if (!form) return;
    setForm({ ...form, ...change });
    setError('');
    setSaved('');
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!form) return;
    const checked = notificationRequest(form);
    if (checked.error !== null) return setError(checked.error);
    setBusy(true);
    try {
      const stored = await pushApi.updateNotificationSettings(checked.settings);
      setForm(notificationForm(stored, localTimeZone()));
      setSaved('Saved.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="settings-block" data-testid="notifications-form" data-state={form ? 'ready' : loadError ? 'error' : 'loading'} noValidate onSubmit={(e) => void save(e)}>
      <h3>On every device</h3>
      {loadError && (
        <p class="form-error" role="alert" data-testid="notifications-load-error">
          {loadError}
        </p>
      )}
      <label class="check privacy-switch">
        <span class="privacy-switch-text">
          <span>Show previews</span>
          <span class="field-hint">Who wrote and what. Off: notifications say “New message” only.</span>
        </span>
        <input type="checkbox" role="switch" checked={form?.previews ?? true} disabled={!form} data-testid="notifications-previews" onChange={(e) => set({ previews: e.currentTarget.checked })} />
      </label>
      <label class="check privacy-switch">
        <span class="privacy-switch-text">
          <span>Do not disturb</span>
          <span class="field-hint" data-testid="notifications-dnd-summary">
            {form ? dndSummary(form) : ''}
          </span>
        </span>
        <input type="checkbox" role="switch" checked={form?.dndOn ?? false} disabled={!form} data-testid="notifications-dnd" onChange={(e) => set({ dndOn: e.currentTarget.checked })} />
      </label>
      {form?.dndOn && (
        <div class="dnd-times">
          <label class="field">
            <span class="field-label">From</span>
            <input class="input" type="time" value={form.start} data-testid="notifications-dnd-start" onInput={(e) => set({ start: e.currentTarget.value })} />
          </label>
          <label class="field">
            <span class="field-label">Until</span>
            <input class="input" type="time" value={form.end} data-testid="notifications-dnd-end" onInput={(e) => set({ end: e.currentTarget.value })} />
          </label>
          <label class="field">
            <span class="field-label">Time zone</span>
            <input class="input" type="text" value={form.timeZone} spellcheck={false} data-testid="notifications-dnd-zone" onInput={(e) => set({ timeZone: e.currentTarget.value.trim() })} />
          </label>
        </div>
      )}
      <p class="form-error" role="alert" data-testid="notifications-form-error">
        {error}
      </p>
      <p class="form-info" role="status" data-testid="notifications-saved">
        {saved}
      </p>
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={!form || busy} data-testid="notifications-save">
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

function UnifiedPush({ user }: { user: User }) {
  const [registered, setRegistered] = useState<string | null>(() => unifiedPushEndpoint(user.id));
  const [endpoint, setEndpoint] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const register = async (event: Event) => {
    event.preventDefault();
    const problem = unifiedPushProblem(endpoint);
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      await registerUnifiedPush(pushApi, user.id, endpoint);
      setRegistered(endpoint.trim());
      setEndpoint('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError('');
    try {
      await removeUnifiedPush(pushApi, user.id);
      setRegistered(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="settings-block" data-testid="unifiedpush" noValidate onSubmit={(e) => void register(e)}>
      <h3>UnifiedPush</h3>
      <p class="muted">For organisations that run their own push distributor (such as ntfy) instead of the browser’s: paste the endpoint URL the distributor app shows for Muster.</p>
      {registered && (
        <p class="form-info" data-testid="unifiedpush-registered">
          Registered: <code>{registered}</code>
        </p>
      )}
      <div class="settings-row">
        <input class="input" type="url" inputMode="url" placeholder="https://ntfy.example.org/up…" spellcheck={false} value={endpoint} data-testid="unifiedpush-endpoint" onInput={(e) => (setEndpoint(e.currentTarget.value), setError(''))} />
        <button class="btn btn-ghost" type="submit" disabled={busy} data-testid="unifiedpush-register">
          {registered ? 'Replace' : 'Register'}
        </button>
        {registered && (
          <button class="btn btn-ghost" type="button" disabled={busy} data-testid="unifiedpush-remove" onClick={() => void remove()}>
            Remove
          </button>
        )}
      </div>
      <p class="form-error" role="alert" data-testid="unifiedpush-error">
        {error}
      </p>
    </form>
  );
}
