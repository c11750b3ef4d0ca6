import crypto from 'node:crypto';
import type { Accounts, Principal } from '@muster/accounts';
import { ImError } from '../errors.ts';
import { CALL_RING_MS, MAX_CALL_INVITEES, type CallMedia, type CallPersonView, type CallRecordDetail, type CallState, type CallView } from '../callProtocol.ts';
import type { ConversationRepository } from '../store/ConversationRepository.ts';
import type { CallDirectory, CallRequest } from './CallDirectory.ts';
import type { Contacts } from './Contacts.ts';
import type { Conversations } from './Conversations.ts';
import type { ImHub } from './ImHub.ts';

/**
 * Where a call's media runs: the meeting rooms (the server wires the
 * RoomManager in). Without it calls still ring, answer and end, with no room.
 */
export interface CallRooms {
  /** Reserves a private room only these accounts may join (a one-to-one call). */
  openPrivate(roomId: string, userIds: readonly string[]): void | Promise<void>;
  /** Ends a private room: whoever is in it is told it closed. */
  closePrivate(roomId: string): void | Promise<void>;
  /** A normal meeting owned by `ownerId` (a group call), and its path. */
  openMeeting?(ownerId: string, topic: string): Promise<{ roomId: string; link: string }>;
  /** How many people are in the room now (0: none, or no such room). A connected call whose room stays empty ends. */
  occupancy?(roomId: string): number;
  /** Whether `userId` owns (hosts) the meeting `roomId`, and its path and topic. */
  meetingOf?(roomId: string, userId: string): Promise<{ link: string; topic: string } | null>;
}

export interface CallsOptions {
  conversations: Conversations;
  store: ConversationRepository;
  contacts: Contacts;
  accounts: Accounts;
  hub: ImHub;
  rooms?: CallRooms;
  now?: () => number;
  /** How long a call rings (45 s). */
  ringMs?: number;
}

interface Call {
  id: string;
  conversationId: string | null;
  kind: 'direct' | 'group';
  media: CallMedia;
  state: CallState;
  caller: CallPersonView;
  calleeId: string | null;
  invitees: string[];
  roomId: string | null;
  link: string | null;
  createdAt: number;
  ringsUntil: number;
  answeredAt: number | null;
  endedAt: number | null;
  endedBy: string | null;
  /** Connected, and nobody in its room since then (null: someone is). */
  emptySince: number | null;
  /** Group calls: invitees who answered or declined (they ring no more, on any device). */
  responded: Set<string>;
}

/** Ended calls are kept this long for GET /calls/:id (the chat keeps their record for good). */
const KEEP_ENDED_MS = 10 * 60_000;
/** A connected call whose room has been empty this long (both left, closed their tabs, lost the network) ends. */
export const EMPTY_CALL_MS = 30_000;

/**
 * Voice and video calls from a chat. A one-to-one call rings every device of
 * the callee; one device accepts (the others stop ringing) or declines; the
 * caller may cancel; nobody answering in 45 s makes it missed; a callee who is
 * already in a call (ringing or talking) makes it busy. Every outcome leaves a
 * call record in the chat, a `call` system notice both people see. Someone who
 * blocked the caller refuses the call (REFUSED_BY_RECIPIENT), and nothing is
 * stored. A call runs in a private two-person meeting room that only its two
 * people may join; it closes when the call ends.
 *
 * A group call from a group chat starts a normal meeting owned by the caller
 * and rings the chosen members with its link; a meeting's host may ring
 * contacts and groups into it the same way.
 *
 * A call's state is held in memory by the process that started it, its
 * owner (the call records are in the database). With a CallDirectory
 * (several server processes), requests on a call that reach another process
 * are answered by its owner, and busy holds across processes; without one,
 * this process is the only one.
 */
export class Calls {
  readonly #o: CallsOptions;
  readonly #now: () => number;
  readonly #ringMs: number;
  readonly #calls = new Map<string, Call>();
  /** Who is in a call (ringing or connected), one-to-one calls only, by account; the directory's when there is one. */
  readonly #busy = new Map<string, string>();
  #directory: CallDirectory | undefined;

  constructor(options: CallsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#ringMs = options.ringMs ?? CALL_RING_MS;
  }

  /** Where calls' media runs (the server wires its meeting rooms in once they exist). */
  useRooms(rooms: CallRooms): void {
    this.#o.rooms = rooms;
  }

  /** Shares calls with the other server processes from now on: requests forwarded here are answered here. */
  useDirectory(directory: CallDirectory): void {
    this.#directory = directory;
    directory.serve((request) => this.#here(request));
  }

  /** Starts a call in a conversation of the caller's: a direct one rings the other person; a group one rings `invitees` into a meeting. */
  async start(principal: Principal, input: { conversationId: string; media: CallMedia; invitees?: string[] }): Promise<CallView> {
    const me = principal.accountId;
    const conversation = await this.#o.store.get(input.conversationId);
    const membership = conversation ? await this.#o.store.membership(conversation.id, me) : null;
    if (!conversation || !membership) throw new ImError('NOT_FOUND', 'no such conversation');
    if (conversation.kind === 'group') return this.#startGroup(principal, conversation.id, input.media, input.invitees ?? []);
    if (input.invitees) throw new ImError('BAD_REQUEST', 'a one-to-one call rings the other person: invitees are for group calls');
    const other = (await this.#o.store.members(conversation.id)).find((m) => m.userId !== me);
    if (!other) throw new ImError('NOT_FOUND', 'no such conversation');
    if (!(await this.#o.contacts.mayReach(me, other.userId))) throw new ImError('REFUSED_BY_RECIPIENT', 'this person does not accept your calls');
    const caller = await this.#person(me);
    const id = newId('ca');
    const claim = this.#directory ? await this.#directory.claim({ id, callerId: me, calleeId: other.userId }) : this.#claimHere(id, me, other.userId);
    if (claim === 'caller-busy') throw new ImError('IN_CALL', 'you are in another call; hang it up first');
    const call = this.#newCall({ id, conversationId: conversation.id, kind: 'direct', media: input.media, caller, calleeId: other.userId, invitees: [], roomId: null, link: null });
    if (claim === 'callee-busy') {
      this.#finish(call, 'busy', null);
      if (this.#directory) await this.#directory.ended(call.id, KEEP_ENDED_MS);
      await this.#record(call);
      return view(call);
    }
    call.roomId = newId('call-');
    try {
      await this.#o.rooms?.openPrivate(call.roomId, [me, other.userId]);
    } catch (error) {
      this.#release(call);
      this.#calls.delete(call.id);
      if (this.#directory) await this.#directory.ended(call.id, 0);
      throw error;
    }
    this.#o.hub.publish('im.call.ring', [other.userId], {
      callId: call.id,
      conversationId: call.conversationId,
      kind: 'direct',
      media: call.media,
      caller,
      roomId: call.roomId,
      link: null,
      ringsUntil: call.ringsUntil,
    });
    return view(call);
  }

  /** The callee answers on one device: the caller's devices are told to connect, the callee's others stop ringing. */
  accept(principal: Principal, callId: string): Promise<CallView> {
    return this.#routed({ op: 'accept', principal, callId });
  }

  /** The callee declines while it rings (on every device). */
  decline(principal: Principal, callId: string): Promise<CallView> {
    return this.#routed({ op: 'decline', principal, callId });
  }

  /** The caller gives up before an answer. */
  cancel(principal: Principal, callId: string): Promise<CallView> {
    return this.#routed({ op: 'cancel', principal, callId });
  }

  /** Either person ends a call that was answered. */
  hangup(principal: Principal, callId: string): Promise<CallView> {
    return this.#routed({ op: 'hangup', principal, callId });
  }

  /** A call of this person's and its state. */
  get(principal: Principal, callId: string): Promise<CallView> {
    return this.#routed({ op: 'get', principal, callId });
  }

  /** The calls this person is in now (ringing or connected): what a device that just opened shows. */
  async active(principal: Principal): Promise<CallView[]> {
    const here = [...this.#calls.values()].filter((c) => isLiveFor(c, principal.accountId)).map(view);
    if (!this.#directory) return here;
    // Held by other processes: each asked of its owner (a call that ended or whose owner is gone meanwhile is left out).
    const ids = await this.#directory.callsOf(principal.accountId).catch(() => []);
    const directory = this.#directory;
    const elsewhere = await Promise.all(
      [...new Set(ids)].filter((callId) => !this.#calls.has(callId)).map((callId) => directory.forward({ op: 'live', principal, callId }).catch(() => null)),
    );
    return [...here, ...elsewhere.filter((c): c is CallView => c !== null)];
  }

  /** A request on a call, at the process that holds it: here, or through the directory. */
  #routed(request: CallRequest): Promise<CallView> {
    if (this.#directory && !this.#calls.has(request.callId)) return this.#directory.forward(request);
    return this.#here(request);
  }

  /** A request on a call answered by this process (never forwarded on: a call it does not hold is NOT_FOUND). */
  async #here({ op, principal, callId }: CallRequest): Promise<CallView> {
    switch (op) {
      case 'get':
        return view(this.#mine(principal, callId));
      case 'live': {
        const call = this.#calls.get(callId);
        if (!call || !isLiveFor(call, principal.accountId)) throw new ImError('NOT_FOUND', 'no such call');
        return view(call);
      }
      case 'accept':
        return this.#accept(principal, callId);
      case 'decline':
        return this.#decline(principal, callId);
      case 'cancel':
        return this.#cancel(principal, callId);
      case 'hangup':
        return this.#hangup(principal, callId);
    }
  }

  async #accept(principal: Principal, callId: string): Promise<CallView> {
    // A group call is an invitation to a meeting: accepting is opening its link.
    const { call, answered } = this.#answer(principal, callId, 'answered-elsewhere', 'only the person called answers a call');
    if (answered) return view(call);
    call.state = 'connected';
    call.answeredAt = this.#now();
    this.#o.hub.publish('im.call.accepted', [call.caller.id, call.calleeId], { callId: call.id, roomId: call.roomId!, answeredAt: call.answeredAt });
    this.#o.hub.publish('im.call.stop', [call.calleeId], { callId: call.id, reason: 'answered-elsewhere' });
    return view(call);
  }

  async #decline(principal: Principal, callId: string): Promise<CallView> {
    const { call, answered } = this.#answer(principal, callId, 'declined', 'only the person called declines a call; the caller cancels');
    if (answered) return view(call);
    await this.#end(call, 'declined', principal.accountId);
    return view(call);
  }

  async #cancel(principal: Principal, callId: string): Promise<CallView> {
    const call = this.#mine(principal, callId);
    if (call.caller.id !== principal.accountId) throw new ImError('CALL_STATE', 'only the caller cancels a call; the person called declines');
    if (call.state !== 'ringing') throw new ImError('CALL_STATE', `the call is ${call.state}`);
    await this.#end(call, 'cancelled', principal.accountId);
    return view(call);
  }

  async #hangup(principal: Principal, callId: string): Promise<CallView> {
    const call = this.#mine(principal, callId);
    if (call.kind === 'group') throw new ImError('CALL_STATE', 'a group call ends when its meeting does: leave the meeting');
    if (call.state !== 'connected') throw new ImError('CALL_STATE', call.state === 'ringing' ? 'the call has not been answered: cancel or decline it' : `the call is ${call.state}`);
    await this.#end(call, 'ended', principal.accountId);
    return view(call);
  }

  /**
   * A meeting's host rings contacts, and the members of their groups, into
   * it: each gets a ringing invitation with the meeting's link. Only the
   * meeting's owner may; anyone else's meeting is NOT_FOUND.
   */
  async inviteToMeeting(principal: Principal, roomId: string, input: { userIds?: string[]; groupIds?: string[]; media?: CallMedia }): Promise<CallView> {
    const me = principal.accountId;
    const meeting = await this.#o.rooms?.meetingOf?.(roomId, me);
    if (!meeting) throw new ImError('NOT_FOUND', 'no such meeting of yours');
    const people = new Set<string>();
    const contacts = await this.#o.contacts.contactIds(me);
    for (const id of input.userIds ?? []) {
      if (!contacts.has(id)) throw new ImError('NOT_FOUND', `${id} is not one of your contacts`);
      people.add(id);
    }
    for (const groupId of input.groupIds ?? []) {
      const conversation = await this.#o.store.get(groupId);
      if (!conversation || conversation.kind !== 'group' || !(await this.#o.store.membership(groupId, me))) throw new ImError('NOT_FOUND', 'no such group');
      for (const m of await this.#o.store.members(groupId)) people.add(m.userId);
    }
    people.delete(me);
    const invitees = await this.#reachable(me, [...people]);
    return this.#ringGroup(principal, null, input.media ?? 'video', invitees, { roomId, link: meeting.link });
  }

  /** Misses every one-to-one call that rang out, and forgets ended calls after a while. Runs every second (tests call it after moving the clock). */
  async sweep(): Promise<void> {
    const now = this.#now();
    for (const call of [...this.#calls.values()]) {
      if (call.state === 'ringing' && call.ringsUntil <= now) {
        if (call.kind === 'direct') await this.#end(call, 'missed', null);
        else {
          this.#finish(call, 'missed', null);
          this.#o.hub.publish('im.call.stop', call.invitees.filter((id) => !call.responded.has(id)), { callId: call.id, reason: 'missed' });
          if (this.#directory) await this.#directory.ended(call.id, KEEP_ENDED_MS);
        }
      } else if (call.state === 'connected' && call.roomId && this.#o.rooms?.occupancy) {
        // Nobody in the room (both gone without hanging up): the call ends after a grace period.
        if (this.#o.rooms.occupancy(call.roomId) > 0) call.emptySince = null;
        else if (call.emptySince === null) call.emptySince = now;
        else if (call.emptySince + EMPTY_CALL_MS <= now) await this.#end(call, 'ended', null);
      } else if (call.endedAt !== null && call.endedAt + KEEP_ENDED_MS <= now) {
        this.#calls.delete(call.id);
      }
    }
  }

  /** Ends every call (the server is shutting down); their records are written. */
  async closeAll(): Promise<void> {
    for (const call of [...this.#calls.values()]) {
      if (call.kind !== 'direct') continue;
      if (call.state === 'ringing') await this.#end(call, 'missed', null).catch(() => undefined);
      else if (call.state === 'connected') await this.#end(call, 'ended', null).catch(() => undefined);
    }
  }

  async #startGroup(principal: Principal, conversationId: string, media: CallMedia, chosen: string[]): Promise<CallView> {
    const me = principal.accountId;
    if (chosen.length === 0) throw new ImError('BAD_REQUEST', 'a group call needs invitees: the members to ring');
    const members = new Set((await this.#o.store.members(conversationId)).map((m) => m.userId));
    const stranger = chosen.find((id) => !members.has(id));
    if (stranger) throw new ImError('BAD_REQUEST', `${stranger} is not in this group`);
    const invitees = await this.#reachable(me, [...new Set(chosen)].filter((id) => id !== me));
    if (!this.#o.rooms?.openMeeting) throw new ImError('CALL_STATE', 'group calls need the meeting server');
    const meeting = await this.#o.rooms.openMeeting(me, 'Group call');
    return this.#ringGroup(principal, conversationId, media, invitees, meeting);
  }

  /** Who of `ids` has not blocked `from` (the others are left out silently: a group call is not refused by one member). */
  async #reachable(from: string, ids: string[]): Promise<string[]> {
    if (ids.length > MAX_CALL_INVITEES) throw new ImError('BAD_REQUEST', `at most ${MAX_CALL_INVITEES} people are rung at once`);
    const reachable: string[] = [];
    for (const id of ids) if (await this.#o.contacts.mayReach(from, id)) reachable.push(id);
    return reachable;
  }

  async #ringGroup(principal: Principal, conversationId: string | null, media: CallMedia, invitees: string[], meeting: { roomId: string; link: string }): Promise<CallView> {
    const caller = await this.#person(principal.accountId);
    const call = this.#newCall({ id: newId('ca'), conversationId, kind: 'group', media, caller, calleeId: null, invitees, roomId: meeting.roomId, link: meeting.link });
    if (this.#directory) {
      try {
        await this.#directory.hold({ id: call.id, invitees, ringsUntil: call.ringsUntil });
      } catch (error) {
        this.#calls.delete(call.id);
        throw error;
      }
    }
    this.#o.hub.publish('im.call.ring', invitees, { callId: call.id, conversationId, kind: 'group', media, caller, roomId: meeting.roomId, link: meeting.link, ringsUntil: call.ringsUntil });
    if (conversationId) {
      await this.#o.conversations.appendSystem(conversationId, { kind: 'call', actorId: caller.id, userIds: invitees, detail: { callId: call.id, media, outcome: 'started', link: meeting.link } });
    }
    return view(call);
  }

  /** A new call, ringing from now until the ring time is up, nothing answered or ended yet; kept among the live calls. */
  #newCall(fields: Pick<Call, 'id' | 'conversationId' | 'kind' | 'media' | 'caller' | 'calleeId' | 'invitees' | 'roomId' | 'link'>): Call {
    const now = this.#now();
    const call: Call = {
      ...fields,
      state: 'ringing',
      createdAt: now,
      ringsUntil: now + this.#ringMs,
      answeredAt: null,
      endedAt: null,
      endedBy: null,
      emptySince: null,
      responded: new Set(),
    };
    this.#calls.set(call.id, call);
    return call;
  }

  /**
   * A person's answer (accept or decline) on one device. A group call's
   * invitation is answered here: it is noted and this person's other devices
   * stop ringing (`answered`). A direct call must be theirs to answer and
   * still ringing (else CALL_STATE, `notCallee` when it is not theirs).
   */
  #answer(principal: Principal, callId: string, reason: 'answered-elsewhere' | 'declined', notCallee: string): { call: Call; answered: true } | { call: Call & { calleeId: string }; answered: false } {
    const call = this.#mine(principal, callId);
    if (call.kind === 'group') {
      call.responded.add(principal.accountId);
      this.#o.hub.publish('im.call.stop', [principal.accountId], { callId: call.id, reason });
      return { call, answered: true };
    }
    if (call.calleeId !== principal.accountId) throw new ImError('CALL_STATE', notCallee);
    if (call.state !== 'ringing') throw new ImError('CALL_STATE', `the call is ${call.state}`);
    return { call: call as Call & { calleeId: string }, answered: false };
  }

  /** A call of this person's (caller, callee or invitee); anyone else's is NOT_FOUND. */
  #mine(principal: Principal, callId: string): Call {
    const call = this.#calls.get(callId);
    const me = principal.accountId;
    if (!call || (call.caller.id !== me && call.calleeId !== me && !call.invitees.includes(me))) throw new ImError('NOT_FOUND', 'no such call');
    return call;
  }

  async #person(id: string): Promise<CallPersonView> {
    const profile = (await this.#o.accounts.profiles.publicProfiles([id])).get(id);
    return { id, nickname: profile?.nickname ?? '', avatar: profile?.avatar ?? null };
  }

  /** Moves to a final state at once (so nothing else can), then tells both people, closes the room and writes the record. */
  async #end(call: Call, state: 'ended' | 'missed' | 'declined' | 'cancelled', by: string | null): Promise<void> {
    const wasRinging = call.state === 'ringing';
    const roomId = call.roomId;
    this.#finish(call, state, by);
    if (wasRinging && call.calleeId) this.#o.hub.publish('im.call.stop', [call.calleeId], { callId: call.id, reason: state === 'ended' ? 'ended' : state });
    this.#o.hub.publish('im.call.ended', [call.caller.id, ...(call.calleeId ? [call.calleeId] : [])], view(call));
    // Free at once for their next call, whichever process places it.
    if (this.#directory) await this.#directory.ended(call.id, KEEP_ENDED_MS);
    if (roomId) await Promise.resolve(this.#o.rooms?.closePrivate(roomId)).catch(() => undefined);
    await this.#record(call);
  }

  #finish(call: Call, state: CallState, by: string | null): void {
    call.state = state;
    call.endedAt = this.#now();
    call.endedBy = by;
    call.roomId = null;
    this.#release(call);
  }

  /** Both people claimed for this call, unless either is in a call already (the caller first): the busy check and the claim are one step. */
  #claimHere(callId: string, callerId: string, calleeId: string): 'claimed' | 'caller-busy' | 'callee-busy' {
    if (this.#busy.has(callerId)) return 'caller-busy';
    if (this.#busy.has(calleeId)) return 'callee-busy';
    this.#busy.set(callerId, callId);
    this.#busy.set(calleeId, callId);
    return 'claimed';
  }

  #release(call: Call): void {
    for (const id of [call.caller.id, call.calleeId]) if (id && this.#busy.get(id) === call.id) this.#busy.delete(id);
  }

  /** The call record both people see in the chat. */
  async #record(call: Call): Promise<void> {
    if (!call.conversationId) return;
    const detail: CallRecordDetail = {
      callId: call.id,
      media: call.media,
      outcome: call.state as CallRecordDetail['outcome'],
      calleeId: call.calleeId,
      durationMs: durationOf(call),
    };
    await this.#o.conversations.appendSystem(call.conversationId, { kind: 'call', actorId: call.caller.id, text: recordText(detail), detail });
  }
}

/** The record's line for clients that show `text` (others render `detail` in their own language). */
export function recordText(detail: Pick<CallRecordDetail, 'media' | 'outcome' | 'durationMs'>): string {
  const what = detail.media === 'video' ? 'Video call' : 'Voice call';
  switch (detail.outcome) {
    case 'ended': {
      const s = Math.round((detail.durationMs ?? 0) / 1000);
      return `${what} · ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }
    case 'missed':
      return `Missed ${what.toLowerCase()}`;
    case 'declined':
      return `${what} declined`;
    case 'cancelled':
      return `${what} cancelled`;
    case 'busy':
      return `${what}: busy`;
  }
}

/** Ringing or connected, and this person's: the caller, the callee, or an invitee who has not answered yet. */
function isLiveFor(call: Call, accountId: string): boolean {
  if (call.state !== 'ringing' && call.state !== 'connected') return false;
  return call.caller.id === accountId || call.calleeId === accountId || (call.invitees.includes(accountId) && !call.responded.has(accountId));
}

function durationOf(call: Call): number | null {
  return call.state === 'ended' && call.answeredAt !== null && call.endedAt !== null ? call.endedAt - call.answeredAt : null;
}

function view(call: Call): CallView {
  return {
    id: call.id,
    conversationId: call.conversationId,
    kind: call.kind,
    media: call.media,
    state: call.state,
    caller: call.caller,
    calleeId: call.calleeId,
    ...(call.kind === 'group' ? { invitees: [...call.invitees] } : {}),
    roomId: call.roomId,
    link: call.link,
    createdAt: call.createdAt,
    ringsUntil: call.ringsUntil,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    durationMs: durationOf(call),
    endedBy: call.endedBy,
  };
}

function newId(prefix: string): string {
  return `${prefix}${crypto.randomBytes(16).toString('base64url')}`;
}
