import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io';
import type { WorkerPool } from '@muster/media';
import type { MeetingTokens } from '../auth/MeetingTokens.ts';
import { RoomControls } from '../controls/RoomControls.ts';
import { DEFAULT_SETTINGS, MusterError, type ClientRequest, type ClientResponses, type IceServer } from '../protocol.ts';
import { MemoryLimits, type LimitStore } from '@muster/kit/limits';
import { Admission, DEFAULT_PASSCODE_LIMITS, type PasscodeLimits, type SignedInUser } from './admission.ts';
import type { Participant } from './Participant.ts';
import type { AuditEntry } from '../controls/AuditLog.ts';
import type { RoomRecorder } from '../controls/RoomRecorder.ts';
import { MeetingStore, type MeetingConfig } from './MeetingStore.ts';
import { Room } from './Room.ts';
import type { LiveRoomEntry, RemoteLiveRooms } from './LiveRooms.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'rooms' });

export interface RoomManagerOptions {
  pool: WorkerPool;
  iceServers: IceServer[];
  /** A room with nobody in it is closed after this long. */
  roomCloseGraceMs: number;
  participantGraceMs: number;
  tokens: MeetingTokens;
  /** Meeting configurations (API-created and scheduled meetings); in memory when not given. */
  meetings?: MeetingStore;
  /** The meeting recorder; without it, `recording.set` only turns the indicator on and off. */
  recorder?: RoomRecorder;
  /** Where passcode tries are counted; in memory when not given. */
  limits?: LimitStore;
  passcodeLimits?: PasscodeLimits;
  /**
   * Told when this manager starts holding a meeting (its room opened, a
   * private room reserved) and when it may hold nothing of it any more (its
   * room closed, an ended private room forgotten): with several app hosts
   * the server claims the meeting in Redis meanwhile (server/src/meetings/crossHost/).
   */
  ownership?: MeetingOwnership;
  /**
   * Participants one router of a room takes before the room spans another
   * worker (ROOM_PARTICIPANTS_PER_WORKER); DEFAULT_PARTICIPANTS_PER_ROUTER
   * when not given.
   */
  participantsPerRouter?: number;
}

/**
 * A router of 40 people in an all-see-all meeting already forwards 40 × 39
 * = 1,560 streams of each kind: a bigger room spreads its newcomers over
 * more workers (more cores, more hosts) rather than loading one.
 */
export const DEFAULT_PARTICIPANTS_PER_ROUTER = 40;

/** See RoomManagerOptions.ownership. `released` may come while something of the meeting is still held: the listener asks. */
export interface MeetingOwnership {
  held(id: string): void;
  released(id: string): void;
}

/** A fresh configuration: defaults, a new host key. */
export function newMeetingConfig(id: string, overrides: Partial<MeetingConfig> = {}): MeetingConfig {
  return {
    id,
    topic: id,
    createdAt: Date.now(),
    startsAt: null,
    passcode: null,
    hostKey: randomBytes(18).toString('base64url'),
    settings: { ...DEFAULT_SETTINGS },
    lobby: false,
    locked: false,
    persistent: false,
    ...overrides,
  };
}

/** Creates rooms on first join, places them on workers, and closes them when empty. */
/** Ended meetings whose audit log is still kept for operators, newest last. */
const PAST_AUDITS = 200;
/** An ended private room's id admits nobody for this long (then it is forgotten; ids are random). */
const PRIVATE_TOMBSTONE_MS = 3_600_000;

export class RoomManager {
  #remoteLive: RemoteLiveRooms | undefined;
  readonly #pastAudits = new Map<string, { entries: readonly AuditEntry[]; dropped: number; endedAt: number }>();
  readonly #rooms = new Map<string, Room>();
  /** Rooms being created, so two simultaneous first joins make one room. */
  readonly #opening = new Map<string, Promise<Room>>();
  readonly #closeTimers = new Map<string, NodeJS.Timeout>();
  /** Private rooms (calls from a chat): their configuration, in memory, until closePrivate. */
  readonly #private = new Map<string, MeetingConfig>();
  readonly #options: RoomManagerOptions;
  readonly meetings: MeetingStore;
  readonly tokens: MeetingTokens;
  /** Host controls and meeting actions: one implementation for the socket protocol and the REST API. */
  readonly controls: RoomControls;
  readonly recorder?: RoomRecorder;
  readonly #admission: Admission;

  constructor(options: RoomManagerOptions) {
    this.#options = options;
    this.#admission = new Admission(options.tokens, options.limits ?? new MemoryLimits(), options.passcodeLimits ?? DEFAULT_PASSCODE_LIMITS);
    this.recorder = options.recorder;
    this.meetings = options.meetings ?? new MeetingStore();
    this.tokens = options.tokens;
    this.controls = new RoomControls(this);
    options.pool.on('workerdied', ({ routerIds }) => {
      const lost = new Set(routerIds);
      for (const room of this.#rooms.values()) {
        if (!room.routerIds.some((id) => lost.has(id))) continue;
        // Move at once to the least-loaded worker that is up; the replacement
        // is only waited for when no other worker is left.
        void this.#options.pool
          .leastLoaded()
          .then((worker) => room.migrate(worker))
          .catch((error) => log.error({ err: error, room: room.id }, 'could not move the room to a new worker'));
      }
    });
  }

  get rooms(): Room[] {
    return [...this.#rooms.values()];
  }

  /** Several app hosts: where the other apps' live meetings are found, for the listings (see liveEverywhere). */
  useRemoteLiveRooms(remote: RemoteLiveRooms): void {
    this.#remoteLive = remote;
  }

  /** This app's live meetings, as listings show them (and as this app tells the others). */
  liveHere(): LiveRoomEntry[] {
    return this.rooms.filter((room) => !room.closed).map((room) => ({ ...room.info(), createdAt: room.createdAt, participants: room.participants.size }));
  }

  /**
   * Every live meeting: this app's, then those other app hosts hold, each
   * once (this app's view first: a meeting moving between apps may show on
   * both for a moment). Other apps' are as fresh as their last report.
   */
  async liveEverywhere(): Promise<LiveRoomEntry[]> {
    const here = this.liveHere();
    if (!this.#remoteLive) return here;
    const seen = new Set(here.map((room) => room.id));
    const elsewhere = (await this.#remoteLive.list().catch(() => [] as LiveRoomEntry[])).filter((room) => !seen.has(room.id) && !!seen.add(room.id));
    return [...here, ...elsewhere];
  }

  get(id: string): Room | undefined {
    return this.#rooms.get(id);
  }

  /**
   * A join, from the socket that asked (and the client's address, for the
   * passcode limits). A meeting that is not running is only opened, with its
   * router, once admission would let this joiner in (or into its lobby): a
   * wrong passcode, a lock or a stale ticket leaves nothing behind.
   */
  async join(
    socket: Socket,
    address: string,
    request: ClientRequest<'join'>,
    user: SignedInUser | null = null,
  ): Promise<{ room: Room; participant: Participant | null; response: ClientResponses['join'] }> {
    if (!this.#rooms.has(request.room)) {
      // Tickets and resumable sessions belong to a running meeting.
      if (request.admission || request.resume) throw new MusterError('NOT_FOUND', 'that meeting has ended; join again');
      const stored = this.#private.get(request.room) ?? (await this.meetings.get(request.room));
      // A signed-in person who opens a new meeting owns it: it is kept (their
      // "my meetings"), and they host it on any device without a host key.
      // Guests (temporary accounts) open meetings as link joiners do.
      const config = stored ?? newMeetingConfig(request.room, user && !user.guest ? { ownerId: user.userId, persistent: true } : {});
      await this.#admission.decide(
        {
          roomId: request.room,
          ownerId: config.ownerId ?? null,
          persistent: config.persistent,
          empty: true,
          locked: config.locked,
          lobbyEnabled: config.lobby,
          defaultRole: config.settings.defaultRole,
          passcode: config.passcode,
          hostKey: config.hostKey,
          isBanned: () => false,
          isMember: () => false,
          roleOf: () => undefined,
          allowedUserIds: config.allowedUserIds ?? null,
        },
        request,
        address,
        user,
      );
      if (!stored && config.ownerId && !config.allowedUserIds) await this.meetings.put(config);
    }
    let room: Room;
    try {
      room = await this.getOrCreate(request.room);
    } catch (error) {
      throw new MusterError('MEDIA_UNAVAILABLE', `no media server could take the meeting: ${(error as Error).message}`);
    }
    const { participant, response } = await room.join(socket, request, address, user);
    return { room, participant, response };
  }

  async getOrCreate(id: string): Promise<Room> {
    this.#cancelClose(id);
    const existing = this.#rooms.get(id);
    if (existing && !existing.closed) return existing;
    const opening = this.#opening.get(id);
    if (opening) return opening;
    const promise = (async () => {
      const config = this.#private.get(id) ?? (await this.meetings.get(id)) ?? newMeetingConfig(id);
      const worker = await this.#options.pool.leastLoaded();
      const pool = this.#options.pool;
      const room = new Room({
        id,
        worker,
        placement: {
          participantsPerRouter: this.#options.participantsPerRouter ?? DEFAULT_PARTICIPANTS_PER_ROUTER,
          leastLoaded: (avoid) => pool.leastLoaded({ avoid }),
        },
        iceServers: this.#options.iceServers,
        participantGraceMs: this.#options.participantGraceMs,
        onEmpty: (r) => this.#scheduleClose(r),
        config,
        tokens: this.tokens,
        admission: this.#admission,
      });
      await room.open();
      this.#rooms.set(id, room);
      this.#options.ownership?.held(id);
      return room;
    })();
    this.#opening.set(id, promise);
    try {
      return await promise;
    } finally {
      this.#opening.delete(id);
    }
  }

  /**
   * Reserves a private room (a call from a chat): only `allowedUserIds`,
   * signed in, may join it (anyone else: NOT_FOUND); nobody hosts it and it
   * is never stored. It opens on the first join; `closePrivate` ends it.
   */
  openPrivate(id: string, options: { allowedUserIds: readonly string[]; topic?: string }): void {
    this.#private.set(id, newMeetingConfig(id, { topic: options.topic ?? id, persistent: true, allowedUserIds: [...options.allowedUserIds] }));
    this.#options.ownership?.held(id);
  }

  /** Ends a private room: its participants are told the meeting closed, and its id no longer admits anyone. */
  closePrivate(id: string, reason = 'ended'): void {
    const config = this.#private.get(id);
    if (!config || config.allowedUserIds?.length === 0) return;
    // Kept a while admitting nobody, so the ended call's id cannot be opened again as an ordinary meeting.
    this.#private.set(id, { ...config, allowedUserIds: [] });
    setTimeout(() => {
      this.#private.delete(id);
      this.#options.ownership?.released(id);
    }, PRIVATE_TOMBSTONE_MS).unref();
    this.close(id, reason);
  }

  /** Whether a private room of this id is reserved. */
  isPrivate(id: string): boolean {
    return this.#private.has(id);
  }

  #scheduleClose(room: Room): void {
    this.#cancelClose(room.id);
    const timer = setTimeout(() => {
      this.#closeTimers.delete(room.id);
      if (room.empty) this.close(room.id, 'empty');
    }, this.#options.roomCloseGraceMs);
    timer.unref();
    this.#closeTimers.set(room.id, timer);
  }

  #cancelClose(id: string): void {
    clearTimeout(this.#closeTimers.get(id));
    this.#closeTimers.delete(id);
  }

  /** Live state worth keeping after the room closes: a persistent meeting remembers its topic, lock, lobby and settings. */
  async saveConfig(room: Room): Promise<void> {
    const config = await this.meetings.get(room.id);
    if (!config) return;
    await this.meetings.put({ ...config, topic: room.topic, locked: room.locked, lobby: room.lobbyEnabled, settings: { ...room.settings } });
  }

  close(id: string, reason = 'ended'): boolean {
    const room = this.#rooms.get(id);
    if (!room) return false;
    this.#cancelClose(id);
    this.#rooms.delete(id);
    room.close(reason);
    this.recorder?.roomClosed(room);
    // The log outlives the meeting: who removed whom is asked after the fact.
    if (room.audit.entries.length > 0) {
      this.#pastAudits.delete(id);
      this.#pastAudits.set(id, { entries: room.audit.entries, dropped: room.audit.dropped, endedAt: Date.now() });
      if (this.#pastAudits.size > PAST_AUDITS) this.#pastAudits.delete(this.#pastAudits.keys().next().value!);
    }
    this.#options.ownership?.released(id);
    return true;
  }

  /** The audit log of a live room, else of the last meeting of that id that ended (the most recent 200 are kept). */
  auditOf(id: string): { entries: readonly AuditEntry[]; dropped: number; endedAt: number | null } | undefined {
    const room = this.#rooms.get(id);
    if (room && !room.closed) return { entries: room.audit.entries, dropped: room.audit.dropped, endedAt: null };
    return this.#pastAudits.get(id);
  }

  closeAll(): void {
    for (const id of [...this.#rooms.keys()]) this.close(id, 'server-shutdown');
  }
}
