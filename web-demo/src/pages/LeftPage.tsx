import { useEffect, useRef, useState } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { loginPath } from '../app/routes.ts';
import type { MeetingEnd } from '../meeting/store.ts';
import { Brand } from '../ui/Brand.tsx';
import { describeEnd } from './leftReason.ts';

/** After the meeting: say why it ended and offer the way back in. */
export function LeftPage({ end, onRejoin }: { end: MeetingEnd; onRejoin(passcode?: string): void }) {
  const { title, detail, action } = describeEnd(end);
  const needsCode = action === 'passcode';
  const [code, setCode] = useState('');
  const codeInput = useRef<HTMLInputElement>(null);
  const rejoin = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    document.title = `${title} · Muster`;
    if (matchMedia('(pointer: fine)').matches) rejoin.current?.focus();
  }, []);

  const withCode = () => {
    if (code.trim()) onRejoin(code.trim());
    else codeInput.current?.focus();
  };

  return (
    <div class="center-page" data-testid="left-screen" data-reason={end.reason}>
      <header class="home-header">
        <Brand />
      </header>
      <main class="notice-card">
        <h1>{title}</h1>
        <p>{detail}</p>
        {needsCode && (
          <form
            class="passcode-form"
            onSubmit={(event) => {
              event.preventDefault();
              if (code.trim()) onRejoin(code.trim());
            }}
          >
            <input
              ref={codeInput}
              class="input"
              type="password"
              autocomplete="off"
              aria-label="Passcode"
              placeholder="Passcode"
              maxLength={64}
              data-testid="passcode-input"
              value={code}
              onInput={(event) => setCode(event.currentTarget.value)}
            />
          </form>
        )}
        <div class="notice-actions">
          <button
            ref={rejoin}
            class="btn btn-primary"
            type={needsCode ? 'submit' : 'button'}
            data-testid="rejoin"
            hidden={action === 'none' || action === 'sign-in'}
            onClick={(event) => {
              event.preventDefault();
              if (needsCode) withCode();
              else onRejoin();
            }}
          >
            {needsCode ? 'Join' : action === 'retry' ? 'Try again' : 'Rejoin'}
          </button>
          {action === 'sign-in' && (
            <Link class="btn btn-primary" href={loginPath(location.pathname)} data-testid="left-sign-in">
              Log in
            </Link>
          )}
          <Link class="btn btn-ghost" href="/" data-testid="home-link">
            Back to start
          </Link>
        </div>
      </main>
    </div>
  );
}
