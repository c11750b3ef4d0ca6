import { useState } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { AuthLayout, Field } from '../account/AuthLayout.tsx';
import { accountErrorText } from '../account/errors.ts';
import { firstProblem, nicknameProblem, passwordProblem } from '../account/forms.ts';
import { takeFragmentToken } from '../account/GuestPage.tsx';
import { accounts } from '../account/session.ts';
import { CopyButton } from '../ui/CopyButton.tsx';

/**
 * /admin/setup#<token>: the link `npm run admin -- create-admin <phone>`
 * prints. The admin sets a log-in password and the console's second factor
 * (a console password, a TOTP app, or both); the TOTP secret is shown here
 * once.
 */
export function SetupPage() {
  const [token] = useState(takeFragmentToken);
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');
  const [consolePassword, setConsolePassword] = useState('');
  const [totp, setTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<{ secret: string; uri: string } | null>(null);
  const [done, setDone] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = firstProblem(
      token ? null : 'This link has no set-up token in it. Run create-admin again for a new link.',
      nickname.trim() ? nicknameProblem(nickname) : null,
      passwordProblem(password),
      consolePassword ? passwordProblem(consolePassword) : null,
      consolePassword && consolePassword === password ? 'The console password must differ from the log-in password.' : null,
      !consolePassword && !totp ? 'Choose a console password, a TOTP app, or both: the console needs a second factor.' : null,
    );
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      const result = await accounts.adminSetup({ token, password, ...(nickname.trim() ? { nickname: nickname.trim() } : {}), ...(consolePassword ? { consolePassword } : {}), ...(totp ? { enableTotp: true } : {}) });
      setSecret(result.totp ?? null);
      setDone(true);
    } catch (e) {
      setError(accountErrorText(e));
      setBusy(false);
    }
  };

  if (done) {
    return (
      <AuthLayout title="You are an administrator" testId="admin-setup-done">
        {secret && (
          <div class="secret-box" data-testid="admin-totp">
            <p class="auth-text">Add this key to your authenticator app now: it is shown only once.</p>
            <code class="secret" data-testid="admin-totp-secret">
              {secret.secret}
            </code>
            <CopyButton class="link-btn" icon="copy" label="Copy the otpauth link" promptLabel="Copy this otpauth link" text={() => secret.uri} />
          </div>
        )}
        <Link class="btn btn-primary btn-block" href="/admin" data-testid="admin-setup-open">
          Open the console
        </Link>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Set up the admin account" testId="admin-setup">
      <form class="auth-form" noValidate onSubmit={(e) => void submit(e)}>
        <Field label="Your name (optional)" testId="setup-nickname" autocomplete="name" maxLength={40} value={nickname} onInput={(v) => (setNickname(v), setError(''))} />
        <Field label="Log-in password" testId="setup-password" type="password" autocomplete="new-password" hint="At least 8 characters; not a common password." value={password} onInput={(v) => (setPassword(v), setError(''))} />
        <Field label="Console password" testId="setup-console-password" type="password" autocomplete="off" hint="A second password, asked before the admin console opens." value={consolePassword} onInput={(v) => (setConsolePassword(v), setError(''))} />
        <label class="check">
          <input type="checkbox" data-testid="setup-totp" checked={totp} onChange={(e) => (setTotp(e.currentTarget.checked), setError(''))} />
          <span>Also use an authenticator app (TOTP)</span>
        </label>
        <p class="form-error" role="alert" data-testid="setup-error">
          {error}
        </p>
        <button class="btn btn-primary btn-lg btn-block" type="submit" disabled={busy} data-testid="setup-submit">
          {busy ? 'Setting up…' : 'Set up'}
        </button>
      </form>
    </AuthLayout>
  );
}
