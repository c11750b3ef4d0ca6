import { useEffect, useState } from 'preact/hooks';
import { Link } from '../app/Link.tsx';
import { navigate } from '../app/router.ts';
import { AuthLayout } from './AuthLayout.tsx';
import { accountErrorText } from './errors.ts';
import { accounts } from './session.ts';

/**
 * Takes the token of a one-time link out of the address bar at once: the
 * fragment is never sent to a server, but it would stay on screen, in the
 * tab's history and in a bookmark.
 */
export function takeFragmentToken(): string {
  const token = decodeURIComponent(location.hash.replace(/^#/, ''));
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  return token;
}

/** /guest#<token>: a guest's one-time link signs them in, once. */
export function GuestPage() {
  const [error, setError] = useState('');
  useEffect(() => {
    const token = takeFragmentToken();
    if (!token) {
      setError('This link has no guest token in it. Ask for a new link.');
      return;
    }
    accounts.guestLogin(token).then(
      () => navigate('/', { replace: true }),
      (e) => setError(accountErrorText(e)),
    );
  }, []);
  return (
    <AuthLayout title={error ? 'This link did not work' : 'Signing you in…'} testId="guest-page">
      <p class="form-error" role="alert" data-testid="guest-error">
        {error}
      </p>
      {!error && <span class="spinner spinner-lg" aria-hidden="true" />}
      {error && (
        <Link class="btn btn-ghost btn-block" href="/">
          Go to the start page
        </Link>
      )}
    </AuthLayout>
  );
}
