import { useState } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { navigate } from '../app/router.ts';
import { AuthLayout, Field } from './AuthLayout.tsx';
import { CodeButton } from './CodeButton.tsx';
import { accountErrorText } from './errors.ts';
import { codeProblem, firstProblem, passwordProblem, phoneProblem } from './forms.ts';
import { accounts, signInNotice } from './session.ts';

/** /reset: a new password with a code sent to the phone. Every device is signed out; log in afterwards. */
export function ResetPage() {
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = firstProblem(phoneProblem(phone), codeProblem(code), passwordProblem(password));
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      await accounts.resetPassword({ phone: phone.trim(), code: code.trim(), password });
      signInNotice.value = 'Your password has been changed. Log in with the new one.';
      navigate('/login', { replace: true });
    } catch (e) {
      setError(accountErrorText(e));
      setBusy(false);
    }
  };

  return (
    <AuthLayout title="Reset your password" testId="reset-page">
      <form class="auth-form" noValidate onSubmit={(e) => void submit(e)}>
        <Field label="Phone number" testId="reset-phone" type="tel" autocomplete="tel" inputMode="tel" value={phone} onInput={(v) => (setPhone(v), setError(''))} />
        <Field label="Code" testId="reset-code" autocomplete="one-time-code" inputMode="numeric" maxLength={6} placeholder="6 digits" value={code} onInput={(v) => (setCode(v), setError(''))}>
          <CodeButton phone={phone} purpose="reset" testId="reset-send-code" onSent={() => setInfo('A code is on its way to your phone.')} onError={setError} />
        </Field>
        <Field label="New password" testId="reset-password" type="password" autocomplete="new-password" hint="Every device is signed out; log in again with the new password." value={password} onInput={(v) => (setPassword(v), setError(''))} />
        <p class="form-info" role="status">
          {info}
        </p>
        <p class="form-error" role="alert" data-testid="reset-error">
          {error}
        </p>
        <button class="btn btn-primary btn-lg btn-block" type="submit" data-testid="reset-submit" disabled={busy}>
          {busy ? 'Saving…' : 'Set new password'}
        </button>
      </form>
      <p class="auth-links">
        <Link href="/login">Back to log in</Link>
      </p>
    </AuthLayout>
  );
}
