import { useEffect, useRef, useState } from 'preact/hooks';
import type { ImSettings } from '@muster/im/client';
import { Icon } from '../ui/Icon.tsx';
import { imClient } from './im.ts';

const SWITCHES: readonly { key: keyof ImSettings; label: string; hint: string; testId: string }[] = [
  { key: 'hideLastSeen', label: 'Hide my last seen', hint: 'Your contacts see whether you are online, never when you last were.', testId: 'privacy-hide-last-seen' },
  {
    key: 'acceptFromNonFriends',
    label: 'Accept messages from people who are not my contacts',
    hint: 'Off: only your contacts can start a chat with you. People you block never can.',
    testId: 'privacy-accept-strangers',
  },
];

/**
 * Me → Privacy: my IM privacy settings as two switches, each saved the
 * moment it flips; a failed save flips it back and says so in a toast.
 */
export function PrivacySection() {
  const client = imClient.value;
  const [settings, setSettings] = useState<ImSettings | null>(null);
  const [loadError, setLoadError] = useState('');
  const [toast, setToast] = useState<string | null>(null);
  const toastTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** The value each switch should have once every save in flight lands. */
  const latest = useRef<ImSettings | null>(null);

  useEffect(() => {
    if (!client) return;
    let live = true;
    setLoadError('');
    client.privacy.get().then(
      (s) => {
        if (!live) return;
        latest.current = s;
        setSettings(s);
      },
      () => live && setLoadError('Your privacy settings could not be loaded.'),
    );
    return () => {
      live = false;
    };
  }, [client]);
  useEffect(() => () => clearTimeout(toastTimer.current), []);

  const say = (text: string) => {
    clearTimeout(toastTimer.current);
    setToast(text);
    toastTimer.current = setTimeout(() => setToast(null), 4_000);
  };

  const flip = async (key: keyof ImSettings, value: boolean) => {
    if (!client || !latest.current) return;
    const before = latest.current[key];
    latest.current = { ...latest.current, [key]: value };
    setSettings(latest.current);
    try {
      await client.privacy.update({ [key]: value });
    } catch {
      // Undo, unless another flip of the same switch came after this one.
      if (latest.current[key] !== value) return;
      latest.current = { ...latest.current, [key]: before };
      setSettings(latest.current);
      say('Not saved: the setting is back as it was. Try again.');
    }
  };

  return (
    <section class="card-section privacy-section" data-testid="privacy-section">
      <h2>Privacy</h2>
      {loadError && (
        <p class="form-error" role="alert" data-testid="privacy-error">
          {loadError}
        </p>
      )}
      {SWITCHES.map((s) => (
        <label key={s.key} class="check privacy-switch">
          <span class="privacy-switch-text">
            <span>{s.label}</span>
            <span class="field-hint">{s.hint}</span>
          </span>
          <input
            type="checkbox"
            role="switch"
            checked={settings?.[s.key] ?? false}
            aria-checked={settings?.[s.key] ?? false}
            disabled={!settings}
            data-testid={s.testId}
            onChange={(e) => void flip(s.key, e.currentTarget.checked)}
          />
        </label>
      ))}
      {toast && (
        <div class="toasts privacy-toasts" role="status" aria-live="polite">
          <div class="toast toast-error" data-testid="privacy-toast">
            <Icon name="alert" />
            <span>{toast}</span>
          </div>
        </div>
      )}
    </section>
  );
}
