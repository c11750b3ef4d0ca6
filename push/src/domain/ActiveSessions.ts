/**
 * The port through which push asks accounts which signed-in devices still
 * are: a subscription belongs to the device (accounts' session) that
 * registered it, and nothing goes to a device that is no longer signed in.
 * The server's implementation reads accounts' session store
 * (`store/SignedInSessions.ts`), so a revocation on any process, or an
 * account that expired or was disabled, counts at once.
 */
export interface ActiveSessions {
  /** Of these session ids, the ones still signed in (not revoked nor deleted, their account active and not expired). One query. */
  activeSessions(sessionIds: readonly string[]): Promise<Set<string>>;
}
