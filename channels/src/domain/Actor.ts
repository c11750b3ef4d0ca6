import type { Principal } from '@muster/accounts';

/**
 * Who is asking: a signed-in person (a device's access token), or the
 * organisation itself (its API token: a business system publishing through
 * the REST API). The organisation acts as every account's editor and as the
 * console; it is no person, so it cannot subscribe or comment.
 */
export type Actor = { kind: 'person'; principal: Principal } | { kind: 'organisation' };

export const organisation: Actor = { kind: 'organisation' };
export const person = (principal: Principal): Actor => ({ kind: 'person', principal });

/** The actor's account id, or null for the organisation (what authorship columns store). */
export function actorId(actor: Actor): string | null {
  return actor.kind === 'person' ? actor.principal.accountId : null;
}

/** How the audit log names the actor. */
export function auditActor(actor: Actor): string {
  return actor.kind === 'person' ? actor.principal.accountId : 'api-token';
}
