import { useState } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { AuthLayout, Field } from './AuthLayout.tsx';
import { CodeButton } from './CodeButton.tsx';
import { accountErrorText } from './errors.ts';
import { codeProblem, firstProblem, passwordProblem, phoneProblem } from './forms.ts';
import { accounts, signInNotice } from './session.ts';

type Mode = 'password' | 'code';

/**
 * /login: phone and password, or phone and a one-time code. Once signed in
 * the app goes on by itself (app/App.tsx sends a signed-in person away from
 * this page, to `?next=` or the start page).
 */
export function LoginPage({ next }: { next: string | null }) {
  const [mode, setMode] = useState<Mode>('password');
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState(false);
  const notice = signInNotice.value;

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = firstProblem(phoneProblem(phone), mode === 'password' ? (password ? null : 'Enter your password.') : codeProblem(code));
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      await accounts.login(mode === 'password' ? { phone: phone.trim(), password } : { phone: phone.trim(), code: code.trim() });
    } catch (e) {
      setError(accountErrorText(e));
      // Locked out of password log-in: a code still works.
      if ((e as { code?: string }).code === 'ACCOUNT_LOCKED') setMode('code');
      setBusy(false);
    }
  };

  const switchTo = (m: Mode) => {
    setMode(m);
    setError('');
    setInfo('');
  };

  return (
    <AuthLayout title="Log in" testId="login-page">
      <p class="form-notice" role="status" data-testid="login-notice">
        {notice ?? ''}
      </p>
      <div class="segmented" role="tablist" aria-label="How to log in">
        <button type="button" role="tab" aria-selected={mode === 'password'} class={mode === 'password' ? 'active' : ''} data-testid="login-mode-password" onClick={() => switchTo('password')}>
          Password
        </button>
        <button type="button" role="tab" aria-selected={mode === 'code'} class={mode === 'code' ? 'active' : ''} data-testid="login-mode-code" onClick={() => switchTo('code')}>
          Code by SMS
        </button>
      </div>
      <form class="auth-form" noValidate onSubmit={(e) => void submit(e)}>
        <Field label="Phone number" testId="login-phone" type="tel" autocomplete="tel" inputMode="tel" placeholder="+86 138 0013 8000" value={phone} onInput={(v) => (setPhone(v), setError(''))} />
        {mode === 'password' ? (
          // Keyed: one input element per kind (a reused code input would keep a maxLength of 6 as 0 once unset).
          <Field key="password" label="Password" testId="login-password" type="password" autocomplete="current-password" value={password} onInput={(v) => (setPassword(v), setError(''))} />
        ) : (
          <Field key="code" label="Code" testId="login-code" autocomplete="one-time-code" inputMode="numeric" maxLength={6} placeholder="6 digits" value={code} onInput={(v) => (setCode(v), setError(''))}>
            <CodeButton phone={phone} purpose="login" testId="login-send-code" onSent={() => setInfo('A code is on its way to your phone.')} onError={setError} />
          </Field>
        )}
        <p class="form-info" role="status">
          {info}
        </p>
        <p class="form-error" role="alert" data-testid="login-error">
          {error}
        </p>
        <button class="btn btn-primary btn-lg btn-block" type="submit" data-testid="login-submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p class="auth-links">
        <Link href={next ? `/signup?next=${encodeURIComponent(next)}` : '/signup'} data-testid="to-signup">
          Create an account
        </Link>
        <Link href="/reset" data-testid="to-reset">
          Forgot your password?
        </Link>
        <Link href="/">Join a meeting without an account</Link>
      </p>
    </AuthLayout>
  );
}
