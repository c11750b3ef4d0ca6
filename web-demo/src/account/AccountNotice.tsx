import { Link } from '../app/Link.tsx';
import { formatDateTime } from '../lib/time.ts';
import { accountNotice, announcement } from './session.ts';

/**
 * A notice for the signed-in person that arrived on the account socket: so
 * far, that password log-in was locked after wrong passwords (which may
 * have been someone else trying).
 */
export function AccountNoticeBanner() {
  const notice = accountNotice.value;
  if (!notice) return null;
  const text =
    notice.kind === 'password-locked'
      ? `Too many wrong passwords were entered for your account, so logging in with a password is locked${notice.until ? ` until ${formatDateTime(notice.until)}` : ''}. If that was not you, change your password.`
      : 'There is news about your account.';
  return (
    <div class="account-notice" role="alert" data-testid="account-notice" data-kind={notice.kind}>
      <span>{text}</span>
      {notice.kind === 'password-locked' && (
        <Link class="link-btn" href="/settings" onClick={() => (accountNotice.value = null)}>
          Settings
        </Link>
      )}
      <button class="link-btn" type="button" data-testid="account-notice-close" onClick={() => (accountNotice.value = null)}>
        Dismiss
      </button>
    </div>
  );
}

/** The organisation's announcement to everyone connected ("the system restarts at 22:00"), until dismissed. */
export function AnnouncementBanner() {
  const current = announcement.value;
  if (!current) return null;
  return (
    <div class="account-notice" role="status" data-testid="announcement">
      <span>
        {current.text} <small>({formatDateTime(current.sentAt)})</small>
      </span>
      <button class="link-btn" type="button" data-testid="announcement-close" onClick={() => (announcement.value = null)}>
        Dismiss
      </button>
    </div>
  );
}
