import { useEffect, useState } from 'preact/hooks';
import type { CodePurpose } from '@muster/accounts/client';
import { accountErrorText } from './errors.ts';
import { codeButtonLabel, phoneProblem, RESEND_SECONDS, secondsUntil } from './forms.ts';
import { accounts } from './session.ts';

/**
 * "Send code": asks the server to text a one-time code to the phone number,
 * then counts down before another may be asked for (the server limits them
 * too, and says how long when it does).
 */
export function CodeButton(props: { phone: string; purpose: CodePurpose; testId: string; onSent(): void; onError(message: string): void }) {
  const [until, setUntil] = useState(0);
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  const left = secondsUntil(until, now);

  useEffect(() => {
    if (left <= 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [left > 0]);

  const send = async () => {
    const problem = phoneProblem(props.phone);
    if (problem) return props.onError(problem);
    setBusy(true);
    try {
      await accounts.requestCode(props.phone.trim(), props.purpose);
      setSent(true);
      setUntil(Date.now() + RESEND_SECONDS * 1000);
      setNow(Date.now());
      props.onSent();
    } catch (error) {
      const retry = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retry) {
        setUntil(Date.now() + retry * 1000);
        setNow(Date.now());
      }
      props.onError(accountErrorText(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <button class="btn btn-ghost code-btn" type="button" data-testid={props.testId} disabled={busy || left > 0} onClick={() => void send()}>
      {busy ? 'Sending…' : codeButtonLabel(left, sent)}
    </button>
  );
}
