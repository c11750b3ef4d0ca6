import { MeetingTokens } from '../auth/MeetingTokens.ts';
import { isModerator } from '../controls/policy.ts';
import { MusterError, type ClientRequest, type Role } from '../protocol.ts';
import { constantTimeEqual } from '@muster/kit/constant-time';
import { MemoryLimits, retryText, type Limit, type LimitStore } from '@muster/kit/limits';

/**
 * What admission needs to know of a meeting. A running Room answers from its
 * live state; a meeting that is not running yet answers from its stored
 * configuration with nobody in it, so a join that would be refused is refused
 * before any room or media router exists for it.
 */
/**
 * A joiner who is signed in: the server's accounts vouch for them. Their
 * identity in every meeting is their account, their name comes from their
 * profile, and the meeting's owner hosts it on any device.
 */
export interface SignedInUser {
  userId: string;
  name: string;
  /** Path of their avatar (256 px), or null. */
  avatar: string | null;
  /** A temporary (guest) account. */
  guest: boolean;
}

/** The identity a signed-in person has in every meeting. */
export function userIdentity(userId: string): string {
  return `user:${userId}`;
}

export interface AdmissionState {
  readonly roomId: string;
  /** The account that owns the meeting (created or scheduled it while signed in), or null. */
  readonly ownerId: string | null;
  /** API-created or scheduled: the first joiner is not made host. */
  readonly persistent: boolean;
  /** Nobody is in the meeting: the first joiner of an ad-hoc meeting hosts it. */
  readonly empty: boolean;
  readonly locked: boolean;
  readonly lobbyEnabled: boolean;
  readonly defaultRole: Role;
  readonly passcode: string | null;
  readonly hostKey: string;
  isBanned(identity: string): boolean;
  /** Let in earlier in this meeting: comes back without passcode or lobby. */
  isMember(identity: string): boolean;
  /** A role given earlier in this meeting. */
  roleOf(identity: string): Role | undefined;
  /** A private room (a call): only these signed-in accounts may join. */
  readonly allowedUserIds?: readonly string[] | null;
}

export interface AdmissionDecision {
  identity: string;
  role: Role;
  /**
   * Whether this person may be shown the meeting's host key: they came with
   * it, or they created this ad-hoc meeting (its key was made for them).
   * Someone who becomes host later (the host left, a host handed over the
   * role of a scheduled meeting) hosts this session only and never sees the
   * permanent key.
   */
  holdsHostKey: boolean;
  /** Let in only through the lobby. */
  waiting: boolean;
}

/** How many wrong passcodes an address, and a meeting, may see before a lockout, and how long the first lockout lasts. */
export interface PasscodeLimits {
  perAddress: { attempts: number; perSeconds: number; lockSeconds: number; maxLockSeconds: number };
  perMeeting: { attempts: number; perSeconds: number; lockSeconds: number; maxLockSeconds: number };
}

export const DEFAULT_PASSCODE_LIMITS: PasscodeLimits = {
  // Ten tries in five minutes covers typos; a guesser then waits 1 min, 2, 4, … up to an hour.
  perAddress: { attempts: 10, perSeconds: 300, lockSeconds: 60, maxLockSeconds: 3_600 },
  // Many addresses against one meeting (a botnet, or a NAT of many guessers): 50 in five minutes, then 30 s, 60 s, … up to 15 min.
  perMeeting: { attempts: 50, perSeconds: 300, lockSeconds: 30, maxLockSeconds: 900 },
};

/**
 * Decides who a joiner is and whether they may come in: identity from a
 * meeting token, role from the host key, an invite, the meeting's earlier
 * record or its settings; then the ban list, passcode, lock and lobby, in that
 * order. Passcode tries are counted per address and per meeting, and a run of
 * wrong ones locks the address (or the meeting) out for a time that doubles.
 */
export class Admission {
  readonly #tokens: MeetingTokens;
  readonly #byAddress: Limit;
  readonly #byMeeting: Limit;

  constructor(tokens: MeetingTokens, limits: LimitStore = new MemoryLimits(), passcodeLimits: PasscodeLimits = DEFAULT_PASSCODE_LIMITS) {
    this.#tokens = tokens;
    this.#byAddress = limits.lockout({ name: 'passcode-address', ...passcodeLimits.perAddress });
    this.#byMeeting = limits.lockout({ name: 'passcode-meeting', ...passcodeLimits.perMeeting });
  }

  async decide(state: AdmissionState, request: ClientRequest<'join'>, address: string, user: SignedInUser | null = null): Promise<AdmissionDecision> {
    // A private room (a call) is for the accounts it names: to anyone else it does not exist.
    if (state.allowedUserIds && (!user || !state.allowedUserIds.includes(user.userId))) throw new MusterError('NOT_FOUND', 'no such meeting');
    const token = request.token ? this.#tokens.verifyMeetingToken(request.token, state.roomId) : null;
    // A signed-in person is their account on every device; a link joiner is whoever their meeting token says.
    const identity = user ? userIdentity(user.userId) : (token?.sub ?? MeetingTokens.newIdentity());
    const owner = user !== null && state.ownerId !== null && state.ownerId === user.userId;
    if (state.isBanned(identity)) throw new MusterError('FORBIDDEN', 'you were removed from this meeting and may not rejoin');
    const member = state.isMember(identity);
    // A key or invite that does not fit (an old link of a meeting that was
    // recreated, an expired invite) counts as none: the person still gets in
    // as anyone would, and sees from their role that the link gave them nothing.
    const hostKey = !!request.hostKey && constantTimeEqual(request.hostKey, state.hostKey);
    const invite = request.invite ? this.#tokens.verifyInvite(request.invite, state.roomId) : null;

    let role: Role;
    let holdsHostKey = hostKey;
    if (hostKey) role = 'host';
    else if (owner) {
      // The owner hosts their meeting without a host key, and may see it.
      role = 'host';
      holdsHostKey = true;
    } else if (member && token) role = state.roleOf(identity) ?? token.role;
    else if (member && user) role = state.roleOf(identity) ?? state.defaultRole;
    else if (invite) role = invite.role;
    // Whoever creates a meeting by joining it first hosts it.
    else if (!state.persistent && state.empty) {
      role = 'host';
      holdsHostKey = true;
    } else role = state.defaultRole;

    const trusted = hostKey || owner || member || !!invite;
    if (!trusted && state.passcode !== null) await this.#checkPasscode(state, request.passcode, address);
    if (state.locked && !isModerator(role)) throw new MusterError('LOCKED', 'the meeting is locked');
    return { identity, role, holdsHostKey, waiting: state.lobbyEnabled && !isModerator(role) && !member };
  }

  /** Counts the try against the address and the meeting first, so a locked-out guesser learns nothing from the answer. */
  async #checkPasscode(state: AdmissionState, given: string | undefined, address: string): Promise<void> {
    if (!given) throw new MusterError('PASSCODE_REQUIRED', 'this meeting needs a passcode');
    const meetingKey = state.roomId;
    const taken: [Limit, string][] = [];
    for (const [limit, key] of [
      [this.#byAddress, address],
      [this.#byMeeting, meetingKey],
    ] as const) {
      const verdict = await limit.take(key);
      if (!verdict.allowed) {
        for (const [l, k] of taken) await l.reward(k);
        throw new MusterError('RATE_LIMITED', `too many wrong passcodes; ${retryText(verdict.retryAfterMs)}`);
      }
      taken.push([limit, key]);
    }
    if (!constantTimeEqual(given, state.passcode!)) throw new MusterError('PASSCODE_REQUIRED', 'that passcode is not right');
    // A right passcode is not a guess: it does not count towards a lockout.
    for (const [limit, key] of taken) await limit.reward(key);
  }
}
