import { io as defaultIo, type Socket } from 'socket.io-client';
import type {
  ChatMessage,
  ClientRequest,
  ClientRequestName,
  ClientResponses,
  ConsumerInfo,
  ControlNotice,
  ErrorCode,
  IceServer,
  JoinedReply,
  LobbyEntry,
  ModeratorInfo,
  ParticipantInfo,
  Right,
  RoomInfo,
  ServerEvents,
  TrackSource,
} from '../protocol.ts';
import { rightsOf } from '../controls/policy.ts';
import { Emitter } from '@muster/kit/emitter';
import { preferCodec, videoTransceiverInit, type VideoPublishOptions } from './videoEncoding.ts';
import { LocalParticipant, RemoteParticipant, type RemoteTrack } from './Participant.ts';
import { log } from '@muster/kit/log';

/** `waiting`: held in the meeting's lobby until a host lets us in. */
export type ConnectionState = 'disconnected' | 'connecting' | 'waiting' | 'connected' | 'reconnecting';

/** How to get in: a meeting token from before, the host key, an invite, a passcode. */
export interface JoinCredentials {
  token?: string;
  hostKey?: string;
  invite?: string;
  passcode?: string;
}

export type RoomEvents = {
  connectionStateChanged: [ConnectionState];
  participantConnected: [RemoteParticipant];
  participantDisconnected: [RemoteParticipant, reason: string];
  participantUpdated: [RemoteParticipant];
  trackSubscribed: [RemoteTrack, RemoteParticipant];
  trackUnsubscribed: [RemoteTrack, RemoteParticipant];
  activeSpeakerChanged: [participantId: string | null];
  roomUpdated: [RoomInfo];
  /** The meeting ended or this client left; the Room is unusable afterwards. */
  disconnected: [reason: string];
  /** Media was rebuilt (worker lost, ICE failure); tracks come back by themselves. */
  mediaReconnecting: [reason: string];
  mediaReconnected: [];
  /** Our own participant changed: role, a host's mute, the hand. */
  localParticipantUpdated: [LocalParticipant];
  /** The meeting has a lobby and we wait in it; `connect()` resolves once a host lets us in. */
  lobbyWaiting: [RoomInfo];
  /** A new meeting token: keep it (e.g. in sessionStorage) to come back as the same person. */
  meetingToken: [string];
  /** A host acted on us; show it. Nothing is unmuted by this event. */
  controlNotice: [ControlNotice];
  chatMessage: [ChatMessage];
  reaction: [participantId: string, emoji: string];
  dataMessage: [data: unknown, topic: string | null];
  /** Hosts and co-hosts: who waits in the lobby. */
  lobbyUpdated: [LobbyEntry[]];
  /** Our moderator details changed (became or stopped being host/co-host). */
  moderatorUpdated: [ModeratorInfo | null];
  /** Hosts and co-hosts: the recording hit a problem (see protocol `recording.problem`); the meeting goes on. */
  recordingProblem: [Parameters<ServerEvents['recording.problem']>[0]];
};

export interface RoomOptions {
  /** Server origin, e.g. http://localhost:8080. Defaults to the page's origin. */
  url?: string;
  /** Peer-connection implementation: the browser's, or @roamhq/wrtc's in Node. */
  RTCPeerConnection?: typeof RTCPeerConnection;
  io?: typeof defaultIo;
  /** Timeout for one request to the server. */
  requestTimeoutMs?: number;
  /** How long a transport may stay "disconnected" before media is rebuilt. */
  iceDisconnectedGraceMs?: number;
  /**
   * Join signed in: the socket connects with `auth: { accessToken }`, and the
   * server takes the name and avatar from the account's profile (the name
   * given to `connect` is then only a fallback it ignores). A function is
   * asked at every (re)connection, so a long meeting reconnects with a fresh
   * token (`AccountClient.accessToken`); resolving null connects without one.
   */
  accessToken?: string | (() => string | null | undefined | Promise<string | null | undefined>);
}

export class MusterRequestError extends Error {
  /** `UNAUTHORIZED`: the server refused the access token the socket connected with (expired, or the device was signed out). */
  readonly code: ErrorCode | 'TIMEOUT' | 'DISCONNECTED' | 'DENIED' | 'UNAUTHORIZED';
  constructor(code: MusterRequestError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

interface LocalPublication {
  source: TrackSource;
  track: MediaStreamTrack | null;
  transceiver: RTCRtpTransceiver | null;
  /** Muted through setMuted; kept here because a muted slot may have no track at all (camera off). */
  muted: boolean;
  /** Video: codec and scalability mode to ask for. */
  video?: VideoPublishOptions;
}

const ICE_GATHERING_TIMEOUT_MS = 3_000;

/**
 * A meeting, from a client's side: join, publish, and receive everyone else.
 * Two peer connections, as on the server: one publishes (we offer), one
 * subscribes (the SFU offers). Runs unchanged in browsers and in Node.
 */
export class Room extends Emitter<RoomEvents> {
  readonly remoteParticipants = new Map<string, RemoteParticipant>();
  localParticipant?: LocalParticipant;
  info?: RoomInfo;
  activeSpeakerId: string | null = null;
  state: ConnectionState = 'disconnected';
  /** The signed meeting token of this participant (after join). */
  meetingToken?: string;
  /** Chat kept for the meeting: public messages and our private ones, oldest first. */
  readonly chat: ChatMessage[] = [];
  /** Set while we are host or co-host. */
  moderator: ModeratorInfo | null = null;
  #credentials: JoinCredentials = {};
  #admission?: { resolve: (ticket: string) => void; reject: (error: Error) => void };
  readonly #options: Required<Omit<RoomOptions, 'url' | 'accessToken'>> & Pick<RoomOptions, 'url' | 'accessToken'>;
  #socket?: Socket;
  #roomId = '';
  #name = '';
  #resume?: { participantId: string; token: string };
  #iceServers: IceServer[] = [];
  #publisher?: RTCPeerConnection;
  #subscriber?: RTCPeerConnection;
  readonly #publications = new Map<TrackSource, LocalPublication>();
  #consumersByMid = new Map<string, ConsumerInfo>();
  readonly #remoteTracks = new Map<string, RemoteTrack>();
  #publishChain: Promise<unknown> = Promise.resolve();
  #subscribeChain: Promise<unknown> = Promise.resolve();
  #mediaRestarting = false;
  #iceTimer?: ReturnType<typeof setTimeout>;
  #left = false;
  /** Set when leave() starts: offers still in flight are not answered (the server would say NOT_JOINED). */
  #leaving = false;

  constructor(options: RoomOptions = {}) {
    super();
    this.#options = {
      url: options.url,
      RTCPeerConnection: options.RTCPeerConnection ?? globalThis.RTCPeerConnection,
      io: options.io ?? defaultIo,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      iceDisconnectedGraceMs: options.iceDisconnectedGraceMs ?? 4_000,
      accessToken: options.accessToken,
    };
  }

  /** socket.io's `auth` option: the access token of a signed-in join, fetched anew for every (re)connection. */
  #auth(): { auth?: (callback: (data: object) => void) => void } {
    const source = this.#options.accessToken;
    if (source === undefined) return {};
    return {
      auth: (callback) => {
        Promise.resolve()
          .then(() => (typeof source === 'function' ? source() : source))
          .then(
            (token) => callback(token ? { accessToken: token } : {}),
            // No token to be had (offline): connect as a link joiner would rather than not at all.
            () => callback({}),
          );
      },
    };
  }

  get participantId(): string | undefined {
    return this.localParticipant?.id;
  }

  #setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('connectionStateChanged', state);
  }

  /** Sends one request and resolves with its reply, or rejects with its error code. */
  request<N extends ClientRequestName>(name: N, payload: ClientRequest<N>): Promise<ClientResponses[N]> {
    const socket = this.#socket;
    if (!socket) return Promise.reject(new MusterRequestError('DISCONNECTED', 'not connected'));
    return new Promise((resolve, reject) => {
      socket
        .timeout(this.#options.requestTimeoutMs)
        .emit(name, payload, (error: Error | null, reply: { ok: boolean; data?: unknown; error?: { code: ErrorCode; message: string } }) => {
          if (error) return reject(new MusterRequestError('TIMEOUT', `${name} timed out`));
          if (reply.ok) resolve(reply.data as ClientResponses[N]);
          else reject(new MusterRequestError(reply.error!.code, reply.error!.message));
        });
    });
  }

  /** Our rights now (role and meeting settings), as the server enforces them. */
  can(right: Right): boolean {
    const self = this.localParticipant;
    return !!self && !!this.info && rightsOf(self.role, this.info.settings).has(right);
  }

  async connect(roomId: string, name: string, credentials: JoinCredentials = {}): Promise<void> {
    if (this.#socket) throw new Error('already connected');
    this.#roomId = roomId;
    this.#name = name;
    this.#credentials = { ...credentials };
    this.#setState('connecting');
    const socket = this.#options.io(this.#options.url ?? '', {
      transports: ['websocket'],
      reconnectionDelay: 250,
      reconnectionDelayMax: 2_000,
      ...this.#auth(),
    });
    this.#socket = socket;
    this.#bindServerEvents(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new MusterRequestError('TIMEOUT', 'could not reach the server')), this.#options.requestTimeoutMs);
      const refused = (error: Error & { data?: { code?: string; message?: string } }) => {
        // A refused access token is final (socket.io does not retry a handshake the server refused): say so at once.
        if (error?.data?.code !== 'UNAUTHORIZED') return;
        clearTimeout(timer);
        socket.off('connect_error', refused);
        reject(new MusterRequestError('UNAUTHORIZED', error.data.message ?? error.message));
      };
      socket.on('connect_error', refused);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('connect_error', refused);
        resolve();
      });
    });
    await this.#join();
    socket.on('disconnect', () => {
      if (!this.#left) this.#setState('reconnecting');
    });
    socket.io.on('reconnect', () => {
      if (!this.#left) void this.#rejoin();
    });
  }

  async #join(admission?: string): Promise<void> {
    const { token, hostKey, invite, passcode } = this.#credentials;
    const answer = await this.request('join', {
      room: this.#roomId,
      name: this.#name,
      ...(this.#resume ? { resume: this.#resume } : {}),
      ...(admission ? { admission } : { ...(this.meetingToken ?? token ? { token: this.meetingToken ?? token } : {}), ...(hostKey ? { hostKey } : {}), ...(invite ? { invite } : {}), ...(passcode ? { passcode } : {}) }),
    });
    if (answer.status === 'waiting') {
      this.info = answer.room;
      this.#setState('waiting');
      this.emit('lobbyWaiting', answer.room);
      return this.#join(await this.#waitForAdmission());
    }
    const reply: JoinedReply = answer;
    this.meetingToken = reply.meetingToken;
    this.emit('meetingToken', reply.meetingToken);
    this.moderator = reply.moderator;
    // A rejoin brings the whole history again; keep one copy of each message.
    const known = new Set(this.chat.map((m) => m.id));
    for (const message of reply.chat) if (!known.has(message.id)) this.chat.push(message);
    this.#resume = { participantId: reply.self.id, token: reply.resumeToken };
    this.#iceServers = reply.iceServers;
    this.info = reply.room;
    if (this.localParticipant?.id === reply.self.id) this.localParticipant.update(reply.self);
    else this.localParticipant = new LocalParticipant(reply.self);
    const present = new Set(reply.participants.map((p) => p.id));
    for (const participant of [...this.remoteParticipants.values()]) {
      if (!present.has(participant.id)) this.#removeParticipant(participant.id, 'left');
    }
    for (const info of reply.participants) this.#upsertParticipant(info);
    this.activeSpeakerId = reply.activeSpeakerId;
    this.#setState('connected');
  }

  #waitForAdmission(): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = this.#socket;
      const onDisconnect = () => reject(new MusterRequestError('DISCONNECTED', 'the connection dropped while waiting in the lobby'));
      socket?.once('disconnect', onDisconnect);
      this.#admission = {
        resolve: (ticket) => {
          socket?.off('disconnect', onDisconnect);
          resolve(ticket);
        },
        reject: (error) => {
          socket?.off('disconnect', onDisconnect);
          reject(error);
        },
      };
    });
  }

  /** After the socket came back: resume our identity, or join afresh if it expired. */
  async #rejoin(): Promise<void> {
    try {
      await this.#join();
    } catch (error) {
      if ((error as MusterRequestError).code !== 'NOT_FOUND') throw error;
      this.#resume = undefined;
      await this.#join();
      await this.#rebuildMedia('session-expired', false);
    }
  }

  #bindServerEvents(socket: Socket): void {
    const on = <E extends keyof ServerEvents>(event: E, handler: ServerEvents[E]) => socket.on(event as string, handler as never);
    on('participant.joined', (info) => this.#upsertParticipant(info));
    on('participant.updated', (info) => this.#upsertParticipant(info));
    on('participant.left', ({ participantId, reason }) => this.#removeParticipant(participantId, reason));
    on('subscriber.offer', (offer) => {
      this.#subscribeChain = this.#subscribeChain.then(() => this.#handleSubscriberOffer(offer)).catch((error) => {
        // An offer for a connection that was rebuilt meanwhile is moot; the server sends a new one.
        if (this.#left || this.#leaving || this.#subscriber?.signalingState === 'closed' || !this.#subscriber) return;
        log.warn({ err: error }, '[muster] subscriber negotiation failed');
      });
    });
    on('speaker.active', ({ participantId }) => {
      this.activeSpeakerId = participantId;
      this.emit('activeSpeakerChanged', participantId);
    });
    on('room.updated', (info) => {
      this.info = info;
      this.emit('roomUpdated', info);
    });
    on('room.closed', ({ reason }) => this.#teardown(reason));
    on('media.reset', ({ reason }) => void this.#rebuildMedia(reason, false));
    on('server.error', (error) => log.warn({ error }, '[muster] server error'));
    on('lobby.admitted', ({ ticket }) => {
      this.#admission?.resolve(ticket);
      this.#admission = undefined;
    });
    on('lobby.denied', ({ reason }) => {
      this.#admission?.reject(new MusterRequestError('DENIED', reason === 'ended' ? 'the meeting ended' : 'the host did not let you in'));
      this.#admission = undefined;
    });
    on('control.notice', (notice) => {
      // A host's mute is already enforced by the server; follow it locally so the
      // track stays silent and a republish after a rebuild stays muted.
      if (notice.type === 'muted') {
        const publication = this.#publications.get(notice.kind === 'audio' ? 'microphone' : 'camera');
        if (publication) {
          publication.muted = true;
          if (publication.track) publication.track.enabled = false;
        }
      }
      this.emit('controlNotice', notice);
    });
    on('chat.message', (message) => {
      if (this.chat.some((m) => m.id === message.id)) return;
      this.chat.push(message);
      this.emit('chatMessage', message);
    });
    on('reaction', ({ participantId, emoji }) => this.emit('reaction', participantId, emoji));
    on('data.message', ({ data, topic }) => this.emit('dataMessage', data, topic));
    on('recording.problem', (problem) => this.emit('recordingProblem', problem));
    on('lobby.updated', ({ lobby }) => {
      if (this.moderator) this.moderator = { ...this.moderator, lobby };
      this.emit('lobbyUpdated', lobby);
    });
    on('moderator.updated', (info) => {
      this.moderator = info;
      this.emit('moderatorUpdated', info);
    });
  }

  #upsertParticipant(info: ParticipantInfo): void {
    if (info.id === this.localParticipant?.id) {
      this.localParticipant.update(info);
      this.emit('localParticipantUpdated', this.localParticipant);
      return;
    }
    const existing = this.remoteParticipants.get(info.id);
    if (existing) {
      existing.update(info);
      const published = new Set(info.tracks.map((t) => t.id));
      for (const track of [...existing.tracks.values()]) if (!published.has(track.trackId)) this.#unsubscribed(track);
      this.emit('participantUpdated', existing);
    } else {
      const participant = new RemoteParticipant(info);
      this.remoteParticipants.set(info.id, participant);
      this.emit('participantConnected', participant);
    }
  }

  #removeParticipant(id: string, reason: string): void {
    const participant = this.remoteParticipants.get(id);
    if (!participant) return;
    for (const track of [...participant.tracks.values()]) this.#unsubscribed(track);
    this.remoteParticipants.delete(id);
    this.emit('participantDisconnected', participant, reason);
  }

  // ------------------------------------------------------------------ publishing

  #createPeerConnection(role: 'publisher' | 'subscriber'): RTCPeerConnection {
    const pc = new this.#options.RTCPeerConnection({
      iceServers: this.#iceServers as RTCIceServer[],
      // The SFU bundles everything it offers; 'balanced' also accepts its offer
      // after the last consumer went, which has no BUNDLE group left.
      bundlePolicy: role === 'publisher' ? 'max-bundle' : 'balanced',
    });
    pc.addEventListener('connectionstatechange', () => this.#watchConnection(pc, role));
    if (role === 'subscriber') {
      pc.addEventListener('track', (event) => this.#onRemoteTrack(event as RTCTrackEvent));
    }
    return pc;
  }

  /** An ICE path that fails, or stays broken past a grace period, is rebuilt without the user. */
  #watchConnection(pc: RTCPeerConnection, role: string): void {
    if (pc !== this.#publisher && pc !== this.#subscriber) return;
    const state = pc.connectionState;
    if (state === 'failed') {
      void this.restartMedia(`${role}-ice-failed`);
    } else if (state === 'disconnected') {
      clearTimeout(this.#iceTimer);
      this.#iceTimer = setTimeout(() => {
        if (pc.connectionState === 'disconnected') void this.restartMedia(`${role}-ice-disconnected`);
      }, this.#options.iceDisconnectedGraceMs);
    }
  }

  /** Publishes (or replaces) the track for `source`. A null track keeps the slot muted. */
  publishTrack(track: MediaStreamTrack, source: TrackSource, video?: VideoPublishOptions): Promise<void> {
    return this.#serialPublish(async () => {
      const existing = this.#publications.get(source);
      if (existing?.transceiver && existing.transceiver.currentDirection !== 'stopped') {
        existing.track = track;
        await existing.transceiver.sender.replaceTrack(track);
        return;
      }
      this.#publications.set(source, { source, track, transceiver: null, muted: false, video });
      await this.#negotiatePublisher();
    });
  }

  /** Swaps the media of a published source without renegotiating (camera switch, camera back on). */
  replaceTrack(source: TrackSource, track: MediaStreamTrack | null): Promise<void> {
    return this.#serialPublish(async () => {
      const publication = this.#publications.get(source);
      if (!publication) throw new Error(`${source} is not published`);
      publication.track = track;
      await publication.transceiver?.sender.replaceTrack(track);
    });
  }

  unpublishTrack(source: TrackSource): Promise<void> {
    return this.#serialPublish(async () => {
      const publication = this.#publications.get(source);
      if (!publication) return;
      this.#publications.delete(source);
      if (publication.transceiver && this.#publisher) {
        publication.transceiver.stop();
        await this.#negotiatePublisher();
      }
    });
  }

  /** Mutes or unmutes a published source; the server stops forwarding it to everyone. */
  async setMuted(source: TrackSource, muted: boolean): Promise<void> {
    const publication = this.#publications.get(source);
    const apply = () => {
      if (publication) publication.muted = muted;
      if (publication?.track) publication.track.enabled = !muted;
    };
    // Muting takes effect here at once; unmuting waits for the server's yes,
    // since a host may have barred it (FORBIDDEN leaves everything muted).
    if (muted) apply();
    const { track } = await this.request('track.setMuted', { source, muted });
    if (!muted) apply();
    if (track && this.localParticipant) {
      this.localParticipant.publications = this.localParticipant.publications.map((t) => (t.id === track.id ? track : t));
    }
  }

  publishedTrack(source: TrackSource): MediaStreamTrack | null {
    return this.#publications.get(source)?.track ?? null;
  }

  #serialPublish<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#publishChain.then(task, task);
    this.#publishChain = run.catch(() => undefined);
    return run;
  }

  async #negotiatePublisher(): Promise<void> {
    if (!this.#publisher) this.#publisher = this.#createPeerConnection('publisher');
    const pc = this.#publisher;
    for (const publication of this.#publications.values()) {
      if (publication.transceiver) continue;
      const kind = publication.source === 'microphone' || publication.source === 'screen-audio' ? 'audio' : 'video';
      publication.transceiver = pc.addTransceiver(
        publication.track ?? kind,
        kind === 'video' ? videoTransceiverInit(publication.video) : { direction: 'sendonly' },
      );
      if (kind === 'video') preferCodec(publication.transceiver, publication.video?.codec);
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await waitForIceGathering(pc);
    if (pc !== this.#publisher) return; // media was rebuilt meanwhile
    const tracks = [...this.#publications.values()]
      .filter((p) => p.transceiver?.mid)
      .map((p) => ({ mid: p.transceiver!.mid!, source: p.source }));
    const reply = await this.request('publish', { sdp: pc.localDescription!.sdp, tracks });
    if (pc !== this.#publisher) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
    if (this.localParticipant) {
      this.localParticipant.publications = reply.tracks.map(({ mid: _mid, ...t }) => t);
      // A source muted before it was (re)published must be muted on the server too.
      for (const publication of this.#publications.values()) {
        // A camera turned off has no track at all, only the muted flag.
        if (publication.muted || (publication.track && !publication.track.enabled)) void this.request('track.setMuted', { source: publication.source, muted: true }).catch(() => undefined);
      }
    }
  }

  // ------------------------------------------------------------------ subscribing

  async #handleSubscriberOffer(offer: { offerId: number; sdp: string; consumers: ConsumerInfo[] }): Promise<void> {
    if (!this.#subscriber) this.#subscriber = this.#createPeerConnection('subscriber');
    const pc = this.#subscriber;
    this.#consumersByMid = new Map(offer.consumers.map((c) => [c.mid, c]));
    const liveConsumers = new Set(offer.consumers.map((c) => c.id));
    for (const track of [...this.#remoteTracks.values()]) if (!liveConsumers.has(track.sid)) this.#unsubscribed(track);
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    // Tracks on m-sections the browser kept (no new 'track' event) may now carry another consumer.
    for (const transceiver of pc.getTransceivers()) this.#bindTransceiver(transceiver);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await waitForIceGathering(pc);
    if (pc !== this.#subscriber || this.#leaving) return;
    await this.request('subscriber.answer', { offerId: offer.offerId, sdp: pc.localDescription!.sdp });
  }

  #onRemoteTrack(event: RTCTrackEvent): void {
    this.#bindTransceiver(event.transceiver);
  }

  #bindTransceiver(transceiver: RTCRtpTransceiver): void {
    const mid = transceiver.mid;
    if (!mid) return;
    const consumer = this.#consumersByMid.get(mid);
    if (!consumer || this.#remoteTracks.has(consumer.id)) return;
    const participant = this.remoteParticipants.get(consumer.participantId);
    if (!participant) return;
    const track: RemoteTrack = {
      sid: consumer.id,
      trackId: consumer.trackId,
      participantId: consumer.participantId,
      kind: consumer.kind,
      source: consumer.source,
      mediaStreamTrack: transceiver.receiver.track,
    };
    this.#remoteTracks.set(consumer.id, track);
    participant.tracks.set(consumer.id, track);
    this.emit('trackSubscribed', track, participant);
  }

  #unsubscribed(track: RemoteTrack): void {
    this.#remoteTracks.delete(track.sid);
    const participant = this.remoteParticipants.get(track.participantId);
    participant?.tracks.delete(track.sid);
    if (participant) this.emit('trackUnsubscribed', track, participant);
  }

  // ------------------------------------------------------------------ recovery

  /** Asks the server for new transports and republishes: the cure for a dead ICE path. */
  async restartMedia(reason = 'user'): Promise<void> {
    if (this.#mediaRestarting || this.#left) return;
    try {
      this.#mediaRestarting = true;
      await this.request('media.restart', { reason: reason === 'user' ? 'user' : 'ice-failed' });
    } catch {
      // The socket is down; the rejoin path rebuilds media when it is back.
      return;
    } finally {
      this.#mediaRestarting = false;
    }
    await this.#rebuildMedia(reason, false);
  }

  async #rebuildMedia(reason: string, _requested: boolean): Promise<void> {
    this.emit('mediaReconnecting', reason);
    clearTimeout(this.#iceTimer);
    this.#publisher?.close();
    this.#subscriber?.close();
    this.#publisher = undefined;
    this.#subscriber = undefined;
    for (const track of [...this.#remoteTracks.values()]) this.#unsubscribed(track);
    this.#subscribeChain = Promise.resolve();
    for (const publication of this.#publications.values()) publication.transceiver = null;
    if (this.#publications.size > 0) {
      await this.#serialPublish(() => this.#negotiatePublisher()).catch((error) => log.warn({ err: error }, '[muster] republish failed'));
    }
    this.emit('mediaReconnected');
  }

  async leave(): Promise<void> {
    if (this.#left) return;
    this.#leaving = true;
    try {
      if (this.#socket?.connected) await this.request('leave', {});
    } catch {
      // leaving anyway
    }
    this.#teardown('left');
  }

  #teardown(reason: string): void {
    if (this.#left) return;
    this.#left = true;
    this.#admission?.reject(new MusterRequestError('DISCONNECTED', reason));
    this.#admission = undefined;
    clearTimeout(this.#iceTimer);
    this.#publisher?.close();
    this.#subscriber?.close();
    this.#publisher = undefined;
    this.#subscriber = undefined;
    this.#socket?.close();
    this.#socket = undefined;
    this.#setState('disconnected');
    this.emit('disconnected', reason);
  }

  /** For diagnostics and tests: the two peer connections. */
  get peerConnections(): { publisher?: RTCPeerConnection; subscriber?: RTCPeerConnection } {
    return { publisher: this.#publisher, subscriber: this.#subscriber };
  }

  /** Raw socket, for tests that speak the protocol directly. */
  get socket(): Socket | undefined {
    return this.#socket;
  }
}

/**
 * Waits until the peer connection has all its candidates, so the SDP we send
 * carries them (no trickle ICE: on a LAN, gathering takes milliseconds).
 */
export function waitForIceGathering(pc: RTCPeerConnection, timeoutMs = ICE_GATHERING_TIMEOUT_MS): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
