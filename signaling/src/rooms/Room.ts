import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { MediaWorker } from '@muster/media';
import { checkRemoteSdp, MAX_PUBLISH_MEDIA_SECTIONS } from '@muster/media';
import {
  DEFAULT_SETTINGS,
  MusterError,
  type ChatMessage,
  type ClientRequest,
  type ClientResponses,
  type ControlNotice,
  type IceServer,
  type JoinedReply,
  type LobbyEntry,
  type MeetingSettings,
  type ModeratorInfo,
  type Right,
  type Role,
  type RoomInfo,
  type ServerEvents,
  type TrackSource,
  type VideoQuality,
} from '../protocol.ts';
import type { MeetingTokens } from '../auth/MeetingTokens.ts';
import { AuditLog } from '../controls/AuditLog.ts';
import { hasRight, isModerator, rightForSource } from '../controls/policy.ts';
import type { Admission, AdmissionState, SignedInUser } from './admission.ts';
import { MediaSession, type ParticipantMediaDump, type RoomRouterDump, type RouterPlacement } from './MediaSession.ts';
import type { RoomTransaction } from './RoomTransaction.ts';
import type { MeetingConfig } from './MeetingStore.ts';
import { Participant } from './Participant.ts';

/** How long an admission from the lobby stays valid for the client to join with it. */
const ADMISSION_TTL_MS = 60_000;
/** Bounds a meeting's chat history in memory (kept for the meeting's life, up to this many messages). */
const MAX_CHAT_MESSAGES = 5_000;

interface LobbyWaiter extends LobbyEntry {
  socket: Socket;
  identity: string;
  role: Role;
}

interface StoredChat {
  message: ChatMessage;
  fromIdentity: string;
  toIdentity: string | null;
}

export interface RoomOptions {
  id: string;
  /** Where the room's first router goes. */
  worker: MediaWorker;
  /** How the room takes more workers when it outgrows one; without it, it stays on one. */
  placement?: RouterPlacement;
  iceServers: IceServer[];
  /** How long a participant whose socket dropped is kept before it is removed. */
  participantGraceMs: number;
  onEmpty: (room: Room) => void;
  /** Topic, settings, passcode, host key: set by the API or schedule, or defaults for a room made by a first join. */
  config: MeetingConfig;
  tokens: MeetingTokens;
  /** Who may come in (passcode tries are counted across rooms, so it is shared). */
  admission: Admission;
}

/** What participants see of the room (`info()`), plus what operators see. */
export interface RoomDump extends RoomInfo {
  createdAt: number;
  /** People waiting in the lobby. */
  waiting: LobbyEntry[];
  workerId: number;
  mediaRouters: RoomRouterDump[];
  activeSpeakerId: string | null;
  participants: ({
    id: string;
    name: string;
    role: string;
    connected: boolean;
    handRaisedAt: number | null;
    blocked: string[];
    /** A host's cap on this person's video (`high`: none); the meeting's `videoQuality` applies on top. */
    videoQuality: VideoQuality;
  } & ParticipantMediaDump)[];
}

/**
 * A meeting: who is in it, waiting for it or barred from it, their roles, and
 * what the meeting's settings let them do; its media is a MediaSession. All
 * state changes run one at a time through `#queue`, so a leave can never
 * interleave with a publish of the same participant, and a worker migration
 * sees a stable room.
 */
export class Room {
  readonly id: string;
  /**
   * This meeting session: a room id names a meeting that can run many times
   * (an ad-hoc name is reused by whoever opens it next); what a session made,
   * such as its recordings, belongs to the session, not to the name.
   */
  readonly sessionId = randomUUID();
  readonly createdAt = Date.now();
  topic: string;
  locked: boolean;
  /** Whether joiners wait in the lobby (hosts, co-hosts and those already let in do not). */
  lobbyEnabled: boolean;
  recording = false;
  settings: MeetingSettings;
  readonly startsAt: number | null;
  readonly #passcode: string | null;
  readonly #hostKey: string;
  /** API-created or scheduled: the first joiner is not made host. */
  readonly persistent: boolean;
  /** The account that owns the meeting: its host on any device, without a host key. */
  readonly ownerId: string | null;
  /** A private room (a call): only these accounts may join. */
  readonly allowedUserIds: readonly string[] | null;
  readonly audit = new AuditLog();
  readonly participants = new Map<string, Participant>();
  readonly #tokens: MeetingTokens;
  readonly #admission: Admission;
  /** Identities that were host or co-host at any time in this session: who may see its recordings. */
  readonly #moderatorIdentities = new Set<string>();
  /** Identities barred from rejoining. */
  readonly #banned = new Set<string>();
  /** Identities let in during this meeting: they come back (reload, new tab) without the lobby. */
  readonly #members = new Set<string>();
  /** Roles given during the meeting, by identity, so a reload keeps a promotion or demotion. */
  readonly #roles = new Map<string, Role>();
  /** Hosts' caps on a person's video, by identity, so a reload does not lift one. */
  readonly #videoQualities = new Map<string, VideoQuality>();
  readonly #lobby = new Map<string, LobbyWaiter>();
  readonly #admissions = new Map<string, { identity: string; role: Role; expires: number }>();
  readonly #chat: StoredChat[] = [];
  readonly #media: MediaSession;
  readonly #iceServers: IceServer[];
  readonly #participantGraceMs: number;
  readonly #onEmpty: (room: Room) => void;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: RoomOptions) {
    this.id = options.id;
    const config = options.config;
    this.topic = config.topic;
    this.locked = config.locked;
    this.lobbyEnabled = config.lobby;
    this.settings = { ...DEFAULT_SETTINGS, ...config.settings };
    this.startsAt = config.startsAt;
    this.#passcode = config.passcode;
    this.#hostKey = config.hostKey;
    this.persistent = config.persistent;
    this.ownerId = config.ownerId ?? null;
    this.allowedUserIds = config.allowedUserIds ? [...config.allowedUserIds] : null;
    this.#tokens = options.tokens;
    this.#admission = options.admission;
    this.#media = new MediaSession({
      worker: options.worker,
      placement: options.placement,
      participants: this.participants,
      maySend: (participant, source) => this.#maySend(participant, source),
      videoQuality: () => this.settings.videoQuality,
    });
    this.#media.on('activeSpeaker', (participantId) => this.broadcast('speaker.active', { participantId }));
    this.#iceServers = options.iceServers;
    this.#participantGraceMs = options.participantGraceMs;
    this.#onEmpty = options.onEmpty;
  }

  get worker(): MediaWorker {
    return this.#media.worker;
  }

  /** The home router: every producer of the room is there (the recorder consumes there). */
  get routerId(): string {
    return this.#media.routerId;
  }

  /** Every router of the room, the home one first. */
  get routerIds(): string[] {
    return this.#media.routerIds;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Creates the router; called once by the RoomManager before the room is used. */
  open(): Promise<void> {
    return this.#media.open();
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  info(): RoomInfo {
    return {
      id: this.id,
      topic: this.topic,
      locked: this.locked,
      lobby: this.lobbyEnabled,
      recording: this.recording,
      settings: { ...this.settings },
      startsAt: this.startsAt,
      hasPasscode: this.#passcode !== null,
    };
  }

  /**
   * Whether a participant has a right now (role and meeting settings). The
   * one question other features ask, e.g. the whiteboard: `room.can(id, 'draw')`.
   */
  can(participantId: string, right: Right): boolean {
    const participant = this.participants.get(participantId);
    return !!participant && !participant.left && hasRight(participant.role, this.settings, right);
  }

  #maySend(participant: Participant, source: TrackSource): boolean {
    return hasRight(participant.role, this.settings, rightForSource(source));
  }

  /**
   * Runs `task` in the room's queue, after every state change before it, with
   * the room's control primitives (see RoomTransaction), valid until the task
   * ends.
   */
  exclusive<T>(task: (tx: RoomTransaction) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      let open = true;
      const live = <A extends unknown[], R>(primitive: (...args: A) => R) => (...args: A): R => {
        if (!open) throw new Error('a room transaction was used after its task ended');
        return primitive(...args);
      };
      const tx: RoomTransaction = {
        setSourcePaused: live((p, source, paused) => this.#media.setSourcePaused(tx, p, source, paused)),
        forceMute: live((target, kind, mayUnmute, by) => this.#forceMute(tx, target, kind, mayUnmute, by)),
        askUnmute: live((target, kind, by) => this.#askUnmute(target, kind, by)),
        setRole: live((target, role, by) => this.#setRole(target, role, by)),
        remove: live((target, ban) => this.#remove(tx, target, ban)),
        setHand: live((target, raised) => this.#setHand(target, raised)),
        letIn: live((lobbyIds) => this.#letIn(lobbyIds)),
        turnAway: live((lobbyIds, reason) => this.#turnAway(lobbyIds, reason)),
        update: live((update) => this.#applyUpdate(tx, update)),
        setVideoQuality: live((target, quality) => this.#setVideoQuality(tx, target, quality)),
        setRecording: live((on) => this.#setRecording(on)),
      };
      try {
        return await task(tx);
      } finally {
        open = false;
      }
    });
  }

  broadcast<E extends keyof ServerEvents>(event: E, args: Parameters<ServerEvents[E]>[0], except?: Participant): void {
    for (const p of this.participants.values()) {
      if (p !== except) (p.emit as (e: E, a: unknown) => void)(event, args);
    }
  }

  get activeSpeakerId(): string | null {
    return this.#media.activeSpeakerId;
  }

  // ------------------------------------------------------------------ join / leave

  /**
   * Lets someone in, or back in (`resume`), or into the lobby. `address` is
   * the client's, for the passcode limits. Whatever the outcome, a room left
   * with nobody in it and nobody waiting is handed to `onEmpty`, so a refused
   * join never leaves a room behind.
   */
  join(socket: Socket, request: ClientRequest<'join'>, address: string, user: SignedInUser | null = null): Promise<{ participant: Participant | null; response: ClientResponses['join'] }> {
    // A signed-in person's name is their profile's, whatever the client sent.
    const named = user ? { ...request, name: user.name } : request;
    return this.exclusive(async (tx) => {
      try {
        return await this.#enter(tx, socket, named, address, user);
      } finally {
        this.#emptied();
      }
    });
  }

  async #enter(tx: RoomTransaction, socket: Socket, request: ClientRequest<'join'>, address: string, user: SignedInUser | null): Promise<{ participant: Participant | null; response: ClientResponses['join'] }> {
    if (this.#closed) throw new MusterError('NOT_FOUND', 'the meeting has ended');
    let participant: Participant | undefined;
    if (request.resume) {
      participant = this.participants.get(request.resume.participantId);
      if (!participant || !participant.hasResumeToken(request.resume.token)) {
        throw new MusterError('NOT_FOUND', 'that session has expired; join again without resume');
      }
      this.#assertNameFree(request.name, participant);
      clearTimeout(participant.disconnectTimer);
      participant.disconnectTimer = undefined;
      if (participant.socket && participant.socket !== socket) participant.socket.disconnect(true);
      participant.socket = socket;
      participant.name = request.name;
      this.#media.resume(tx, participant);
    } else {
      const entry = await this.#admit(request, address, user);
      if (entry.waiting) {
        const waiting = this.#enterLobby(socket, request.name, entry.identity, entry.role);
        return { participant: null, response: { status: 'waiting', lobbyId: waiting.lobbyId, room: this.info() } };
      }
      if (!isModerator(entry.role)) this.#assertNameFree(request.name, null);
      participant = new Participant({ name: request.name, role: entry.role, socket, identity: entry.identity, user });
      participant.holdsHostKey = entry.holdsHostKey;
      participant.videoQuality = this.#videoQualities.get(entry.identity) ?? 'high';
      this.#members.add(entry.identity);
      if (isModerator(entry.role)) this.#moderatorIdentities.add(entry.identity);
      await this.#media.createTransports(tx, participant);
      this.participants.set(participant.id, participant);
      this.broadcast('participant.joined', participant.info(), participant);
      await this.#media.syncSubscriptions(tx, participant);
    }
    return { participant, response: this.#joinedReply(participant) };
  }

  /** Nobody may take the name of a host or co-host who is here: a joiner named like the host could pass for them. */
  #assertNameFree(name: string, self: Participant | null): void {
    if (self && isModerator(self.role)) return;
    const key = name.normalize('NFC').toLocaleLowerCase();
    for (const p of this.participants.values()) {
      if (p !== self && isModerator(p.role) && p.name.normalize('NFC').toLocaleLowerCase() === key) {
        throw new MusterError('NAME_TAKEN', 'a host of this meeting has that name; choose another');
      }
    }
  }

  /** Nobody in the meeting and nobody waiting: the manager may close it (after its grace period). */
  #emptied(): void {
    if (!this.#closed && this.participants.size === 0 && this.#lobby.size === 0) this.#onEmpty(this);
  }

  /** Whether nobody is in the meeting or waiting to be let in. */
  get empty(): boolean {
    return this.participants.size === 0 && this.#lobby.size === 0;
  }

  #joinedReply(self: Participant): JoinedReply {
    return {
      status: 'joined',
      protocolVersion: 1,
      self: self.info(),
      room: this.info(),
      participants: [...this.participants.values()].filter((p) => p !== self).map((p) => p.info()),
      resumeToken: self.resumeToken,
      iceServers: this.#iceServers,
      activeSpeakerId: this.activeSpeakerId,
      meetingToken: this.#tokens.issueMeetingToken({ sub: self.identity, room: this.id, role: self.role }),
      chat: this.chatFor(self.identity),
      moderator: this.moderatorInfo(self),
    };
  }

  /** A new joiner: through a one-time lobby ticket, or through the meeting's admission rules. */
  async #admit(request: ClientRequest<'join'>, address: string, user: SignedInUser | null): Promise<{ identity: string; role: Role; holdsHostKey: boolean; waiting: boolean }> {
    if (request.admission) {
      const ticket = this.#admissions.get(request.admission);
      this.#admissions.delete(request.admission);
      if (!ticket || ticket.expires < Date.now()) throw new MusterError('NOT_FOUND', 'that admission has expired; join again');
      if (this.#banned.has(ticket.identity)) throw new MusterError('FORBIDDEN', 'you were removed from this meeting and may not rejoin');
      return { identity: ticket.identity, role: ticket.role, holdsHostKey: false, waiting: false };
    }
    return this.#admission.decide(this.#admissionState(), request, address, user);
  }

  #admissionState(): AdmissionState {
    return {
      roomId: this.id,
      ownerId: this.ownerId,
      persistent: this.persistent,
      empty: this.participants.size === 0,
      locked: this.locked,
      lobbyEnabled: this.lobbyEnabled,
      defaultRole: this.settings.defaultRole,
      passcode: this.#passcode,
      hostKey: this.#hostKey,
      isBanned: (identity) => this.#banned.has(identity),
      isMember: (identity) => this.#members.has(identity),
      roleOf: (identity) => this.#roles.get(identity),
      allowedUserIds: this.allowedUserIds,
    };
  }

  /** Whether this identity was host or co-host at some time in this session. */
  wasModerator(identity: string): boolean {
    return this.#moderatorIdentities.has(identity);
  }

  /** Everyone who was host or co-host in this session. */
  get moderatorIdentities(): string[] {
    return [...this.#moderatorIdentities];
  }

  #enterLobby(socket: Socket, name: string, identity: string, role: Role): LobbyEntry {
    for (const [id, waiter] of this.#lobby) if (waiter.socket === socket) this.#lobby.delete(id);
    const waiter: LobbyWaiter = { lobbyId: randomUUID(), name, since: Date.now(), socket, identity, role };
    this.#lobby.set(waiter.lobbyId, waiter);
    socket.once('disconnect', () => {
      if (!this.#lobby.delete(waiter.lobbyId)) return;
      this.#lobbyChanged();
      this.#emptied();
    });
    this.#lobbyChanged();
    return { lobbyId: waiter.lobbyId, name, since: waiter.since };
  }

  get lobby(): LobbyEntry[] {
    return [...this.#lobby.values()].map(({ lobbyId, name, since }) => ({ lobbyId, name, since }));
  }

  #lobbyChanged(): void {
    const lobby = this.lobby;
    for (const p of this.participants.values()) if (isModerator(p.role)) p.emit('lobby.updated', { lobby });
  }

  /** What hosts and co-hosts see beyond the others: host key (host only), invite, lobby. */
  moderatorInfo(participant: Participant): ModeratorInfo | null {
    if (!isModerator(participant.role)) return null;
    return {
      // The permanent key only to who came with it or made this ad-hoc meeting: an heir hosts this session only.
      hostKey: participant.role === 'host' && participant.holdsHostKey ? this.#hostKey : null,
      participantInvite: this.#tokens.issueInvite({ room: this.id, role: 'participant' }),
      lobby: this.lobby,
    };
  }

  /** Public messages and the private ones this identity sent or received, oldest first. */
  chatFor(identity: string): ChatMessage[] {
    return this.#chat.filter((c) => c.toIdentity === null || c.fromIdentity === identity || c.toIdentity === identity).map((c) => c.message);
  }

  /** The socket dropped: keep the participant for the grace period, then remove it. */
  socketLost(participant: Participant, socket: Socket): void {
    if (participant.socket !== socket || participant.left) return;
    participant.socket = null;
    clearTimeout(participant.disconnectTimer);
    participant.disconnectTimer = setTimeout(() => {
      void this.leave(participant, 'disconnected');
    }, this.#participantGraceMs);
    participant.disconnectTimer.unref();
  }

  leave(participant: Participant, reason: 'left' | 'disconnected' | 'removed' = 'left'): Promise<void> {
    return this.exclusive((tx) => this.#leaveInQueue(tx, participant, reason));
  }

  /** The body of `leave`, inside the room's queue. */
  async #leaveInQueue(tx: RoomTransaction, participant: Participant, reason: 'left' | 'disconnected' | 'removed'): Promise<void> {
    if (participant.left) return;
    participant.left = true;
    clearTimeout(participant.disconnectTimer);
    this.participants.delete(participant.id);
    this.broadcast('participant.left', { participantId: participant.id, reason });
    await this.#media.removeParticipant(tx, participant);
    if (participant.role === 'host') this.#ensureHost();
    this.#emptied();
  }

  /** A meeting whose host left gets one: the longest-present co-host, else the longest-present participant. */
  #ensureHost(): void {
    const present = [...this.participants.values()].sort((a, b) => a.joinedAt - b.joinedAt);
    if (present.length === 0 || present.some((p) => p.role === 'host')) return;
    const heir = present.find((p) => p.role === 'co-host') ?? present.find((p) => p.role === 'participant');
    if (!heir) return;
    this.#setRole(heir, 'host', 'the server');
    this.audit.record({ actor: { type: 'system' }, action: 'participant.setRole', target: { participantId: heir.id, name: heir.name }, details: { role: 'host', reason: 'host-left' } });
  }

  // ------------------------------------------------------------------ media

  publish(participant: Participant, request: ClientRequest<'publish'>): Promise<ClientResponses['publish']> {
    // Refused here, before the room queue and the worker: this check is linear and bounded, werift's work on such an offer is not (see checkRemoteSdp).
    const sdp = checkRemoteSdp(request.sdp, { kind: 'offer', maxMediaSections: MAX_PUBLISH_MEDIA_SECTIONS });
    if (!sdp.ok) return Promise.reject(new MusterError('BAD_SDP', `the offer was refused: ${sdp.reason}`));
    return this.exclusive(async (tx) => {
      this.#assertPresent(participant);
      const answer = await this.#media.publish(tx, participant, request);
      this.broadcast('participant.updated', participant.info(), participant);
      for (const other of this.participants.values()) if (other !== participant) await this.#media.syncSubscriptions(tx, other);
      return { sdp: answer, tracks: [...participant.tracks.values()] };
    });
  }

  async answer(participant: Participant, request: ClientRequest<'subscriber.answer'>): Promise<ClientResponses['subscriber.answer']> {
    this.#assertPresent(participant);
    await this.#media.answer(participant, request);
    return {};
  }

  setTrackMuted(participant: Participant, source: TrackSource, muted: boolean): Promise<ClientResponses['track.setMuted']> {
    return this.exclusive(async (tx) => {
      this.#assertPresent(participant);
      if (!muted) {
        if (!this.#maySend(participant, source)) {
          throw new MusterError('FORBIDDEN', `the meeting's settings do not let you ${source === 'microphone' ? 'unmute' : source === 'camera' ? 'start your camera' : 'share your screen'}`);
        }
        const kind = source === 'camera' ? 'video' : source === 'microphone' ? 'audio' : null;
        if (kind && participant.blocked.has(kind)) throw new MusterError('FORBIDDEN', 'a host muted you; you can unmute when they ask you to');
      }
      if (await this.#media.setSourcePaused(tx, participant, source, muted)) this.broadcast('participant.updated', participant.info(), participant);
      const track = participant.trackBySource(source);
      if (!track) return { track: null };
      const { mid: _mid, ...info } = track;
      return { track: info };
    });
  }

  /**
   * Passes the tile sizes, visibility and layer preferences the subscriber
   * reports on to its consumers in the worker. Not queued: it changes no room
   * state, and a client resizing its window sends these often.
   */
  async updateSubscriptions(participant: Participant, request: ClientRequest<'subscription.update'>): Promise<ClientResponses['subscription.update']> {
    this.#assertPresent(participant);
    return this.#media.updateSubscriptions(participant, request);
  }

  /** New transports for one participant: after an ICE failure, or on request. */
  restartMedia(participant: Participant): Promise<void> {
    return this.exclusive(async (tx) => {
      this.#assertPresent(participant);
      await this.#media.restart(tx, participant);
      this.broadcast('participant.updated', participant.info(), participant);
      await this.#media.syncSubscriptions(tx, participant);
    });
  }

  /**
   * Moves the room to another worker after its worker died: new router, new
   * transports for everyone, and every client told to publish again.
   */
  migrate(worker: MediaWorker): Promise<void> {
    return this.exclusive(async (tx) => {
      if (this.#closed) return;
      await this.#media.moveTo(tx, worker);
      for (const participant of this.participants.values()) participant.emit('media.reset', { reason: 'worker-lost' });
    });
  }

  // ------------------------------------------------------------------ control primitives (reached through exclusive()'s RoomTransaction)

  /** A host's mute: the server pauses the producer; `mayUnmute: false` also bars the person from unmuting until asked. */
  async #forceMute(tx: RoomTransaction, target: Participant, kind: 'audio' | 'video', mayUnmute: boolean, by: string): Promise<void> {
    await this.#media.setSourcePaused(tx, target, kind === 'audio' ? 'microphone' : 'camera', true);
    if (mayUnmute) target.blocked.delete(kind);
    else target.blocked.add(kind);
    this.broadcast('participant.updated', target.info());
    target.emit('control.notice', { type: 'muted', kind, by, mayUnmute });
  }

  /** Lifts a bar on unmuting and asks the person to unmute; their client prompts. */
  #askUnmute(target: Participant, kind: 'audio' | 'video', by: string): void {
    if (target.blocked.delete(kind)) this.broadcast('participant.updated', target.info());
    target.emit('control.notice', { type: 'askUnmute', kind, by });
  }

  #setRole(target: Participant, role: Role, by: string): void {
    if (target.role === role) return;
    const wasModerator = isModerator(target.role);
    target.role = role;
    this.#roles.set(target.identity, role);
    if (isModerator(role)) this.#moderatorIdentities.add(target.identity);
    if (isModerator(role)) target.blocked.clear();
    this.broadcast('participant.updated', target.info());
    target.emit('control.notice', { type: 'roleChanged', role, by });
    if (wasModerator || isModerator(role)) target.emit('moderator.updated', this.moderatorInfo(target));
  }

  /** Removes a participant; `ban` bars the identity from rejoining for the meeting's life. */
  async #remove(tx: RoomTransaction, target: Participant, ban: boolean): Promise<void> {
    this.#members.delete(target.identity);
    if (ban) this.#banned.add(target.identity);
    target.emit('room.closed', { reason: ban ? 'banned' : 'removed' });
    await this.#leaveInQueue(tx, target, 'removed');
  }

  #setHand(target: Participant, raised: boolean): boolean {
    if ((target.handRaisedAt !== null) === raised) return false;
    target.handRaisedAt = raised ? Date.now() : null;
    this.broadcast('participant.updated', target.info());
    return true;
  }

  notify(target: Participant, notice: ControlNotice): void {
    target.emit('control.notice', notice);
  }

  /** Lets waiting people in: each gets a one-time ticket to join with. Returns how many. */
  #letIn(lobbyIds: string[] | 'all'): number {
    const waiters = lobbyIds === 'all' ? [...this.#lobby.values()] : lobbyIds.map((id) => this.#lobby.get(id)).filter((w) => !!w);
    for (const waiter of waiters) {
      this.#lobby.delete(waiter.lobbyId);
      const ticket = randomBytes(24).toString('base64url');
      this.#admissions.set(ticket, { identity: waiter.identity, role: waiter.role, expires: Date.now() + ADMISSION_TTL_MS });
      waiter.socket.emit('lobby.admitted', { ticket });
    }
    if (waiters.length) this.#lobbyChanged();
    this.#emptied();
    return waiters.length;
  }

  #turnAway(lobbyIds: string[] | 'all', reason = 'denied'): number {
    const waiters = lobbyIds === 'all' ? [...this.#lobby.values()] : lobbyIds.map((id) => this.#lobby.get(id)).filter((w) => !!w);
    for (const waiter of waiters) {
      this.#lobby.delete(waiter.lobbyId);
      waiter.socket.emit('lobby.denied', { reason });
    }
    if (waiters.length) this.#lobbyChanged();
    this.#emptied();
    return waiters.length;
  }

  /**
   * Topic, lock, lobby and settings; turning the lobby off lets everyone
   * waiting in, and a new video quality caps every video consumer at once.
   */
  async #applyUpdate(tx: RoomTransaction, update: ClientRequest<'room.update'>): Promise<void> {
    const quality = this.settings.videoQuality;
    if (update.topic !== undefined) this.topic = update.topic;
    if (update.locked !== undefined) this.locked = update.locked;
    if (update.settings) this.settings = { ...this.settings, ...update.settings };
    if (update.lobby !== undefined) {
      this.lobbyEnabled = update.lobby;
      if (!update.lobby) this.#letIn('all');
    }
    this.broadcast('room.updated', this.info());
    if (this.settings.videoQuality !== quality) await this.#media.applyHostCaps(tx, () => true);
  }

  /**
   * A host's cap on one person's video, for everyone who receives it, for the
   * rest of their time in the meeting (reloads and media rebuilds included).
   */
  async #setVideoQuality(tx: RoomTransaction, target: Participant, quality: VideoQuality): Promise<void> {
    this.#videoQualities.set(target.identity, quality);
    if (target.videoQuality === quality) return;
    target.videoQuality = quality;
    this.broadcast('participant.updated', target.info());
    await this.#media.applyHostCaps(tx, (publisherId) => publisherId === target.id);
  }

  #setRecording(on: boolean): void {
    if (this.recording === on) return;
    this.recording = on;
    this.broadcast('room.updated', this.info());
  }

  /** Keeps a chat message for the meeting's life and delivers it: to everyone, or to sender and recipient only. */
  postChat(from: Participant, text: string, to: Participant | null): ChatMessage {
    const message: ChatMessage = {
      id: randomUUID(),
      at: Date.now(),
      from: { participantId: from.id, name: from.name },
      to: to ? { participantId: to.id, name: to.name } : null,
      text,
    };
    this.#chat.push({ message, fromIdentity: from.identity, toIdentity: to?.identity ?? null });
    if (this.#chat.length > MAX_CHAT_MESSAGES) this.#chat.shift();
    if (to) {
      from.emit('chat.message', message);
      if (to !== from) to.emit('chat.message', message);
    } else {
      this.broadcast('chat.message', message);
    }
    return message;
  }

  #assertPresent(participant: Participant): void {
    if (participant.left || this.#closed) throw new MusterError('NOT_JOINED', 'you are not in this meeting');
  }

  /** Ends the meeting for everyone. Idempotent. */
  close(reason = 'ended'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#turnAway('all', 'ended');
    this.#admissions.clear();
    for (const participant of this.participants.values()) {
      participant.left = true;
      clearTimeout(participant.disconnectTimer);
      participant.emit('room.closed', { reason });
    }
    this.#media.close();
    this.participants.clear();
  }

  /** dump() with the media worker's view: codecs, layers and bitrates, consumer layers and bandwidth. */
  async dumpWithMedia(): Promise<RoomDump> {
    const base = this.dump();
    await this.#media.addWorkerView(base.participants);
    return base;
  }

  dump(): RoomDump {
    const media = this.#media.dump();
    return {
      ...this.info(),
      createdAt: this.createdAt,
      waiting: this.lobby,
      workerId: media.workerId,
      mediaRouters: media.routers,
      activeSpeakerId: media.activeSpeakerId,
      participants: [...this.participants.values()].map((p) => ({
        id: p.id,
        name: p.name,
        role: p.role,
        connected: p.connected,
        handRaisedAt: p.handRaisedAt,
        blocked: [...p.blocked],
        videoQuality: p.videoQuality,
        ...media.participants[p.id],
      })),
    };
  }
}
