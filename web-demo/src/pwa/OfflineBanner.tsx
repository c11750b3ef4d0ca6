import { online } from './start.ts';
import './pwa.css';

/**
 * "Offline" while the browser has no network: what the Chats tab shows is
 * then what this device kept (pwa/offlineChats.ts), and nothing is sent.
 * Signed in only (App renders it beside the account notice).
 */
export function OfflineBanner() {
  if (online.value) return null;
  return (
    <div class="offline-banner" role="status" aria-live="polite" data-testid="offline-banner">
      <span class="offline-dot" aria-hidden="true" />
      <span>Offline: showing what this device saved. New messages come in when the connection is back.</span>
    </div>
  );
}
