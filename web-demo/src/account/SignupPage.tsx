import { useEffect, useState } from 'preact/hooks';
import type { SignupPolicy } from '@muster/accounts/protocol';
import { Link } from '../app/Link.tsx';
import { AuthLayout, Field } from './AuthLayout.tsx';
import { CodeButton } from './CodeButton.tsx';
import { accountErrorText } from './errors.ts';
import { codeProblem, firstProblem, nicknameProblem, passwordProblem, phoneProblem } from './forms.ts';
import { accounts } from './session.ts';

/**
 * /signup: phone, the code sent to it, a password and the name others see.
 * The organisation's sign-up policy decides what is needed (a code; a
 * password alone; or an admin's approval), and the server says so with a
 * coded error (CODE_REQUIRED…) that the form shows. Under "approval" the
 * account is made but nobody is signed in until an admin approves it.
 */
export function SignupPage({ next }: { next: string | null }) {
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [nickname, setNickname] = useState('');
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState(false);
  const [policy, setPolicy] = useState<SignupPolicy | null>(null);
  // Say up front what this organisation asks for; the form still works (and the server still decides) without it.
  useEffect(() => {
    accounts.signupPolicy().then(setPolicy, () => undefined);
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = firstProblem(
      phoneProblem(phone),
      code.trim() ? codeProblem(code) : null,
      password ? passwordProblem(password) : code.trim() ? null : 'Enter the code sent to your phone, or choose a password.',
      nicknameProblem(nickname),
    );
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      const result = await accounts.signup({ phone: phone.trim(), nickname: nickname.trim(), ...(password ? { password } : {}), ...(code.trim() ? { code: code.trim() } : {}) });
      if (result.status === 'pending') setPending(true);
    } catch (e) {
      setError(accountErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (pending) {
    return (
      <AuthLayout title="Almost there" testId="signup-pending">
        <p class="auth-text">Your account has been created. An administrator approves new accounts here: you can log in once they have.</p>
        <Link class="btn btn-primary btn-block" href="/login">
          Go to log in
        </Link>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Create an account" testId="signup-page">
      {policy && (
        <p class="auth-text" data-testid="signup-policy" data-policy={policy}>
          {POLICY_TEXT[policy]}
        </p>
      )}
      <form class="auth-form" noValidate onSubmit={(e) => void submit(e)}>
        <Field label="Phone number" testId="signup-phone" type="tel" autocomplete="tel" inputMode="tel" placeholder="+86 138 0013 8000" value={phone} onInput={(v) => (setPhone(v), setError(''))} />
        <Field label="Code" testId="signup-code" autocomplete="one-time-code" inputMode="numeric" maxLength={6} placeholder="6 digits" value={code} onInput={(v) => (setCode(v), setError(''))}>
          <CodeButton phone={phone} purpose="signup" testId="signup-send-code" onSent={() => setInfo('A code is on its way to your phone.')} onError={setError} />
        </Field>
        <Field label="Password" testId="signup-password" type="password" autocomplete="new-password" hint="At least 8 characters; not a common password." value={password} onInput={(v) => (setPassword(v), setError(''))} />
        <Field label="Your name" testId="signup-nickname" autocomplete="name" maxLength={40} hint="What others see in meetings. You can change it later." value={nickname} onInput={(v) => (setNickname(v), setError(''))} />
        <p class="form-info" role="status">
          {info}
        </p>
        <p class="form-error" role="alert" data-testid="signup-error">
          {error}
        </p>
        <button class="btn btn-primary btn-lg btn-block" type="submit" data-testid="signup-submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p class="auth-links">
        <Link href={next ? `/login?next=${encodeURIComponent(next)}` : '/login'} data-testid="to-login">
          I have an account
        </Link>
      </p>
    </AuthLayout>
  );
}

const POLICY_TEXT: Record<SignupPolicy, string> = {
  code: 'You need the code we send to your phone. A password is optional: without one, you log in with a code.',
  password: 'A password is enough; with the code sent to your phone, your number is also verified.',
  approval: 'An administrator approves new accounts here before they can be used.',
};
