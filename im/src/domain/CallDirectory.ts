import type { Principal } from '@muster/accounts';
import type { CallView } from '../callProtocol.ts';

/**
 * What may be asked of a call by its id. `live` is what GET /calls asks about
 * one call: its view while it rings or runs for this person, NOT_FOUND otherwise.
 */
export const CALL_OPS = ['get', 'live', 'accept', 'decline', 'cancel', 'hangup'] as const;
export type CallOp = (typeof CALL_OPS)[number];

/** A request on a call, as it travels to the process that holds the call: the person asking goes with it. */
export interface CallRequest {
  op: CallOp;
  callId: string;
  principal: Principal;
}

/** A new one-to-one call's claim on its two people: both free, or who of them is in a call already. */
export type CallClaim = 'claimed' | 'caller-busy' | 'callee-busy';

/**
 * Calls shared by several server processes (the server's Redis
 * implementation; without one, a process keeps its calls to itself). A call
 * belongs to the process that started it, its owner, which runs its timers;
 * requests on it that reach another process are carried to the owner and
 * answered there. Who is in a call is known to every process, so that busy
 * holds across them. What the owner records stays while it lives and lapses
 * by itself when the owner dies.
 *
 * Its methods throw ImErrors (UNAVAILABLE when the shared store or the owner
 * does not answer), except `ended`, which never throws.
 */
export interface CallDirectory {
  /**
   * A new one-to-one call of this process: both people are claimed as in
   * this call, in one step, unless either is in a call already (held by any
   * process). Unless the caller is busy, the call is recorded as this
   * process's (a busy call is `ended` at once).
   */
  claim(call: { id: string; callerId: string; calleeId: string }): Promise<CallClaim>;
  /** A new group call (an invitation) of this process: recorded as this process's, and as ringing its invitees until `ringsUntil`. */
  hold(call: { id: string; invitees: readonly string[]; ringsUntil: number }): Promise<void>;
  /** The call is over: its people's claims go (only those still naming it); requests on it still reach this process for `keepMs`. */
  ended(callId: string, keepMs: number): Promise<void>;
  /** Calls some process may hold that `accountId` is in or is rung by now (ids; a call held here may be among them). */
  callsOf(accountId: string): Promise<string[]>;
  /**
   * Answers `request` at the process that holds the call: its view, or its
   * refusal. NOT_FOUND when no live process holds the call (unknown, ended
   * long ago, or its owner is gone); UNAVAILABLE when the owner did not answer in time.
   */
  forward(request: CallRequest): Promise<CallView>;
  /** Requests other processes forward here are answered by `handler` (Calls registers it). */
  serve(handler: (request: CallRequest) => Promise<CallView>): void;
}
