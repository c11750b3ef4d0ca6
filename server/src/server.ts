import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import cors from 'cors';
import express from 'express';
import { Server as SocketIoServer } from 'socket.io';
import { WorkerPool } from '@muster/media';
import { openDatabase, resolveKeyPasswords, SqlBoardLogRepository, SqlMeetingRepository, SqlRecordingRepository, type Database, type Json, type StoredRecording } from '@muster/db';
import { boardsApi, createWhiteboard, type BoardService } from '@muster/whiteboard';
import { LocalDiskStorage, Recorder, recorderConfigFromEnv, S3RecordingStorage, type RecordingDescriptions, type RecordingInfo } from '@muster/recorder';
import { RoomRecorder } from '@muster/signaling';
import { recordingsApi, recordingFilesApi } from '@muster/signaling';
import { DEFAULT_SECURITY, type ServerConfig } from './config.ts';
import { jsonBody } from '@muster/kit/json-body';
import { securityHeaders } from './http/securityHeaders.ts';
import { originAllowed } from './http/origin.ts';
import { constantTimeEqual } from '@muster/kit/constant-time';
import { MemoryLimits } from '@muster/kit/limits';
import { RedisLimits } from '@muster/kit/redis-limits';
import { MeetingTokens } from '@muster/signaling';
import { MeetingStore } from '@muster/signaling';
import { importLegacyMeetings } from '@muster/signaling';
import { bearerAuth, loadOrCreateApiToken } from './http/apiToken.ts';
import { openApiDocument } from './http/openapi.ts';
import { renderMetrics } from './http/metrics.ts';
import { roomsApi, MusterError } from '@muster/signaling';
import { myMeetingsApi } from '@muster/signaling/rest';
import { RoomManager } from '@muster/signaling';
import { newMeetingConfig } from '@muster/signaling';
import { randomBytes } from 'node:crypto';
import { attachSignaling } from '@muster/signaling';
import { log as rootLog } from '@muster/kit/log';
import { Accounts, codeChannelFromEnv } from '@muster/accounts';
import { accountsApi } from '@muster/accounts/rest';
import { Im } from '@muster/im';
import { imApi } from '@muster/im/rest';
import { imGateway } from '@muster/im/gateway';
import { Push } from '@muster/push';
import { pushApi } from '@muster/push/rest';
import { Channels } from '@muster/channels';
import { channelsApi } from '@muster/channels/rest';
import { Moments } from '@muster/moments';
import { momentsApi } from '@muster/moments/rest';
import { Files, s3OptionsFromEnv } from '@muster/files';
import { DOWNLOAD_EXPOSED_HEADERS, mountFiles, TUS_EXPOSED_HEADERS, TUS_REQUEST_HEADERS } from '@muster/files/rest';
import sharp from 'sharp';
import { ACCOUNT_NAMESPACE, attachAccountSockets } from './accountSockets.ts';
import { GatewayHub } from './gateway/GatewayHub.ts';
import { Gateway } from './gateway/Gateway.ts';
import { LONGLINK_PATH } from '@muster/kit/longlink';
import type { Duplex } from 'node:stream';
import { announcementsApi } from './announcements/announcementsApi.ts';
import { attachRedisFanout } from './fanout/redisFanout.ts';
import { RedisPresence } from './fanout/RedisPresence.ts';
import { MediaHostDirectory } from './mediaHosts/MediaHostDirectory.ts';
import { Owners } from './crossHost/Owners.ts';
import { BoardRelay, boardRequests } from './boards/BoardRelay.ts';
import { MeetingRelay } from './meetings/crossHost/MeetingRelay.ts';
import { forwardToOwner } from './crossHost/forwardToOwner.ts';
import { recordingFileHosts, recordingFileRequests, recordingLinkKey } from './meetings/crossHost/recordingFiles.ts';
import { LiveRoomsBoard } from './meetings/crossHost/LiveRoomsBoard.ts';
import { meetingRequests } from './meetings/crossHost/meetingRequests.ts';
import { RedisCallDirectory } from './im/crossHost/RedisCallDirectory.ts';

const log = rootLog.child({ component: 'server' });

export interface MusterServer {
  url: string;
  port: number;
  apiToken: string;
  apiTokenGenerated: boolean;
  apiTokenFile?: string;
  pool: WorkerPool;
  /** The media hosts this app links to (REDIS_URL and MEDIA_SECRET set); their workers are in `pool`. */
  mediaHosts?: MediaHostDirectory;
  rooms: RoomManager;
  /** Whiteboards: standalone (/b/<id>) and one per meeting. */
  boards: BoardService;
  /** Meeting recordings (see recorder/). */
  recorder: Recorder;
  /** The storage layer (meetings, boards): SQLite under dataDir, or PostgreSQL (DATABASE_URL). */
  db: Database;
  /** People: sign-up, log-in, devices, profiles, the admin console's rules. */
  accounts: Accounts;
  /** Contacts, conversations and the rest of IM. */
  im: Im;
  /** Offline notifications: Web Push, UnifiedPush, the organisation's gateways (push.useGateway). */
  push: Push;
  /** Service accounts: articles, subscriptions, moderated comments. */
  channels: Channels;
  /** Moments: posts with visibility, likes, comments, notices. */
  moments: Moments;
  /** Uploads (tus), encrypted file storage, downloads and signed links, retention. */
  files: Files;
  io: SocketIoServer;
  /** The gateways' uplinks: a supervisor's gateway processes (`internalSecret` set), or the one gateway embedded here. */
  gateways: GatewayHub;
  close(): Promise<void>;
}

const STATS_POLL_MS = 2_000;

/** Builds and starts the whole server: media workers, HTTP, REST, socket.io and the web client. */
export async function startMusterServer(config: ServerConfig): Promise<MusterServer> {
  const { token, generated, file } = loadOrCreateApiToken(config.dataDir, config.apiToken);
  // Opened once, before anything that stores: meetings and boards live in it.
  const dbLog = rootLog.child({ component: 'db' });
  const db = await openDatabase({
    dataDir: config.dataDir,
    url: config.databaseUrl,
    keys: config.keyPasswords ?? resolveKeyPasswords(process.env, config.dataDir, dbLog),
    kdfCost: config.kdfCost,
    logger: dbLog,
  });
  try {
    return await startOnDatabase(config, db, token, generated, file);
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function startOnDatabase(config: ServerConfig, db: Database, token: string, generated: boolean, file: string | undefined): Promise<MusterServer> {
  const security = { ...DEFAULT_SECURITY, ...config.security };
  // One store for every limit (per address, number, account, meeting): shared through Redis when REDIS_URL is set.
  const redisLimits = config.redisUrl ? new RedisLimits(config.redisUrl, { prefix: `${config.redisKeyPrefix ?? 'muster'}:limits` }) : undefined;
  if (redisLimits && !(await redisLimits.ready(5_000))) log.warn('redis: not reachable at start; limits count in this process until it is');
  const limits = redisLimits ?? new MemoryLimits();
  const pool = new WorkerPool(config.media);
  await pool.start();
  // Media hosts (MUSTER_ROLE=media) registered in Redis: their workers join the pool, and rooms are placed on
  // them by load like on this host's own (none with MEDIA_LOCAL=0). A host's death moves its rooms as a worker's does.
  const mediaHosts =
    config.redisUrl && config.mediaSecret
      ? new MediaHostDirectory({ redisUrl: config.redisUrl, prefix: config.redisKeyPrefix ?? 'muster', secret: config.mediaSecret, pool, logger: rootLog.child({ component: 'media-hosts' }) })
      : undefined;
  mediaHosts?.start();
  if (config.media.numWorkers === 0 && !mediaHosts) log.warn('no local media workers and no media hosts (REDIS_URL and MEDIA_SECRET): meetings cannot carry media');
  // Download links open through any app of the install (one key, in the database); with several app hosts each
  // recording says whose disk holds its files, and downloads reaching another app are carried there.
  const recorderConfig = {
    ...(await recorderConfigFromEnv(config.dataDir)),
    linkKey: await recordingLinkKey(db),
    ...(config.redisUrl && config.meetingRelayUrl ? { filesAt: config.meetingRelayUrl } : {}),
    ...config.recording,
  };
  // Recording descriptions (participants' names) live in the database, sealed: a key rotation re-encrypts them, a backup holds them.
  const recordingRows = new SqlRecordingRepository(db);
  const toInfo = (row: StoredRecording) => row.info as unknown as RecordingInfo;
  const descriptions: RecordingDescriptions = {
    put: (info) => recordingRows.put({ id: info.id, startedAt: info.startedAt, info: info as unknown as Json }),
    get: async (id) => {
      const row = await recordingRows.get(id);
      return row ? toInfo(row) : undefined;
    },
    all: async () => (await recordingRows.list()).map(toInfo),
  };
  // The recording.json files of earlier versions are moved in at start-up; those sealed on disk open as that version sealed them.
  const openSealedFile = (sealed: Buffer, recordingId: string) => db.sealer.open(sealed, { table: 'recordings', column: 'info', rowId: recordingId });
  // With S3_* set (the files domain's settings, one bucket), finished recordings' files are uploaded to it: they
  // outlive the host that made them, and any app serves their downloads. ffmpeg still writes to RECORDINGS_DIR.
  const s3 = s3OptionsFromEnv();
  const recordingStorage = s3
    ? new S3RecordingStorage(recorderConfig.dir, s3, { descriptions, openSealedFile })
    : new LocalDiskStorage(recorderConfig.dir, { descriptions, openSealedFile });
  if (recordingStorage instanceof S3RecordingStorage) log.info({ storage: recordingStorage.description }, 'recordings: finished files are kept in the S3 bucket');
  const recorder = new Recorder(recorderConfig, recordingStorage);
  const roomRecorder = new RoomRecorder(recorder);
  // Recordings a crash or restart cut short are finished from the files they left.
  void recorder.recover().catch((error) => log.error({ err: error }, 'recording recovery failed'));
  const meetings = new MeetingStore(new SqlMeetingRepository(db));
  // An older install's meetings.sqlite, once.
  await importLegacyMeetings(config.dataDir, meetings, db.sealer);
  // Several app hosts (REDIS_URL): each meeting is held by one app, claimed in Redis; joins and host controls that
  // reach another app are carried to it (meetings/crossHost/). Built before the rooms, which tell it what they hold.
  const meetingOwners: Owners | undefined =
    config.redisUrl && config.meetingRelayUrl
      ? new Owners({
          redisUrl: config.redisUrl,
          prefix: config.redisKeyPrefix ?? 'muster',
          kind: 'meeting',
          url: config.meetingRelayUrl,
          logger: rootLog.child({ component: 'meeting-owners' }),
          inUse: (id): boolean => {
            const room = rooms.get(id);
            return (!!room && !room.closed) || rooms.isPrivate(id) || !!meetingRelay?.joining(id);
          },
        })
      : undefined;
  if (config.redisUrl && !meetingOwners) log.warn('REDIS_URL is set, but not where other hosts reach this one (MUSTER_RELAY_URL): meetings are served where they are joined, and do not cross hosts');
  const rooms = new RoomManager({
    recorder: roomRecorder,
    pool,
    iceServers: config.media.iceServers,
    roomCloseGraceMs: config.roomCloseGraceMs,
    participantGraceMs: config.participantGraceMs,
    participantsPerRouter: config.participantsPerRouter,
    tokens: MeetingTokens.loadOrCreate(config.dataDir),
    meetings,
    limits,
    ownership: meetingOwners && { held: (id) => meetingOwners.hold(id), released: (id) => meetingOwners.release(id) },
  });
  const meetingRelay = meetingOwners && new MeetingRelay({ owners: meetingOwners, rooms, trustProxy: security.trustProxy, logger: rootLog.child({ component: 'meeting-relay' }) });
  // The listings (GET /rooms, "my meetings") show every app's live meetings: each app reports its own in Redis.
  const liveRooms =
    meetingOwners && config.redisUrl
      ? new LiveRoomsBoard({ redisUrl: config.redisUrl, prefix: config.redisKeyPrefix ?? 'muster', app: meetingOwners.self.app, here: () => rooms.liveHere(), logger: rootLog.child({ component: 'live-meetings' }) })
      : undefined;
  if (liveRooms) rooms.useRemoteLiveRooms(liveRooms);
  if (meetingOwners && !(await meetingOwners.ready(5_000))) log.warn('redis: not reachable at start; meetings are served where they are joined until it is');
  const accountsLog = rootLog.child({ component: 'accounts' });
  const accounts = await Accounts.open({
    db,
    logger: accountsLog,
    limits,
    channel: config.accounts?.channel ?? codeChannelFromEnv(process.env, accountsLog),
    phoneRegion: config.accounts?.phoneRegion,
    publicUrl: config.accounts?.publicUrl,
    passwordCost: config.accounts?.passwordCost,
  });
  // Files: on disk under dataDir/files, or in S3 when S3_* is set; encrypted under keys sealed in the database.
  const filesLog = rootLog.child({ component: 'files' });
  const files = await Files.open({ db, dataDir: config.dataDir, logger: filesLog, limits, s3 });
  // Boards across app hosts, like meetings: a meeting's board where its meeting is, a standalone board where it was
  // first opened (claimed in Redis); board connections reaching another app are carried there (boards/BoardRelay.ts).
  const boardOwners: Owners | undefined =
    meetingOwners &&
    new Owners({
      redisUrl: config.redisUrl!,
      prefix: config.redisKeyPrefix ?? 'muster',
      kind: 'board',
      url: meetingOwners.self.url,
      logger: rootLog.child({ component: 'board-owners' }),
      inUse: (id): boolean => !!whiteboard.service.get(id) || !!boardRelay?.joining(id),
    });
  const boardRelay: BoardRelay | undefined = boardOwners && new BoardRelay({ owners: boardOwners, meetings: meetingRelay, forgetIdle: (id) => whiteboard.service.forgetIdle(id), trustProxy: security.trustProxy, logger: rootLog.child({ component: 'board-relay' }) });
  const whiteboard = await createWhiteboard({
    dataDir: config.dataDir,
    boards: new SqlBoardLogRepository(db),
    sealer: db.sealer,
    meetings: rooms,
    limits,
    trustProxy: security.trustProxy,
    joinTimeoutMs: security.joinTimeoutMs,
    // An organisation may keep standalone boards to signed-in people.
    standaloneAllowed: async (socket) => socket.data.principal !== undefined || !(await accounts.settings()).boardsSignedInOnly,
    relay: boardRelay,
  });
  pool.on('workerdied', ({ worker, replacement }) =>
    log.warn({ worker: worker.id, mediaHost: worker.host }, replacement ? 'media worker died; replacing it and moving its rooms' : 'media worker of a media host lost; moving its rooms'),
  );

  const app = express();
  app.disable('x-powered-by');
  // req.ip: the socket's peer, or X-Forwarded-For only from the proxies TRUST_PROXY names.
  app.set('trust proxy', security.trustProxy);
  // CSP without inline code, no framing, nosniff, no referrer; HSTS only when configured.
  app.use(securityHeaders(security.headers));
  app.get('/healthz', (_req, res) => {
    const workers = pool.workers.filter((w) => !w.closed).length;
    res.status(workers > 0 ? 200 : 503).json({ status: workers > 0 ? 'ok' : 'degraded', workers, rooms: rooms.rooms.length });
  });
  app.get('/metrics', (req, res) => {
    // Worker pids and UDP ports are for operators: METRICS_TOKEN keeps them from anyone else who can reach the port.
    if (security.metricsToken) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!bearer || !constantTimeEqual(bearer[1]!, security.metricsToken)) {
        res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'UNAUTHORIZED', message: 'a valid Bearer token is required' } });
        return;
      }
    }
    // `im` is built below, before the server listens.
    res.type('text/plain; version=0.0.4').send(renderMetrics(rooms, pool, im.conversations.sendBudget, hub.stats()));
  });
  // Browsers of other origins reach the API only when ALLOWED_ORIGINS names them; then with CORS headers, otherwise without any.
  if (security.allowedOrigins.length > 0) {
    // tus and ranged downloads send and read headers beyond the API's usual two.
    app.use('/api/v1/uploads', cors({ origin: security.allowedOrigins, allowedHeaders: TUS_REQUEST_HEADERS, exposedHeaders: TUS_EXPOSED_HEADERS, methods: ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'], maxAge: 600 }));
    app.use('/api/v1/files', cors({ origin: security.allowedOrigins, allowedHeaders: ['Authorization', 'Content-Type', 'Range', 'If-Range', 'If-None-Match'], exposedHeaders: DOWNLOAD_EXPOSED_HEADERS, maxAge: 600 }));
    app.use('/api', cors({ origin: security.allowedOrigins, allowedHeaders: ['Authorization', 'Content-Type'], maxAge: 600 }));
  }
  // The API's description is public: integrators read it before they hold a token.
  app.get('/api/v1/openapi.json', (_req, res) => res.json(openApiDocument));
  // People's routes (their own tokens; sign-up and log-in need none) come before the API token's.
  app.use('/api/v1', accountsApi(accounts, { logger: accountsLog }));
  // Uploads (tus reads the raw body: before any JSON parser) and downloads, with the access token read above.
  mountFiles(app, files, { logger: filesLog });
  // Contacts, conversations and the rest of IM (their access token, read by the accounts router above).
  const im = new Im({ db, accounts, limits, ...config.im });
  // Several apps (REDIS_URL): an account is online while any app holds a connection of it.
  const presenceDirectory = config.redisUrl ? new RedisPresence({ redisUrl: config.redisUrl, prefix: config.redisKeyPrefix ?? 'muster', logger: rootLog.child({ component: 'presence' }) }) : undefined;
  if (presenceDirectory) {
    presenceDirectory.onOrphanOffline((accountId) => im.presence.wentOfflineElsewhere(accountId));
    im.presence.useDirectory(presenceDirectory);
  }
  // Calls from a chat run in meeting rooms: a private two-person room per call, a normal meeting for a group call.
  im.calls.useRooms({
    openPrivate: async (roomId, userIds) => {
      // The app that reserves a call's room holds it, claimed before anyone is rung: the callee's join, through
      // whichever host, is carried here, where the reservation is. Redis away: reserved here, as on one host.
      const claim = await meetingOwners?.claim(roomId).catch((error: unknown) => meetingOwners.away(error));
      if (claim && !claim.mine) throw new Error(`the call room ${roomId} is held by another app`);
      rooms.openPrivate(roomId, { allowedUserIds: userIds, topic: 'Call' });
    },
    closePrivate: (roomId) => rooms.closePrivate(roomId, 'call-ended'),
    occupancy: (roomId) => rooms.get(roomId)?.participants.size ?? 0,
    openMeeting: async (ownerId, topic) => {
      const id = `gc-${randomBytes(9).toString('base64url')}`;
      await rooms.meetings.put(newMeetingConfig(id, { topic, ownerId, persistent: true }));
      return { roomId: id, link: `/m/${encodeURIComponent(id)}` };
    },
    meetingOf: async (roomId, userId) => {
      const config = await rooms.meetings.get(roomId);
      return config && config.ownerId === userId ? { link: `/m/${encodeURIComponent(roomId)}`, topic: config.topic } : null;
    },
  });
  // Several apps (REDIS_URL): a call is held by the app that started it; requests on it that reach another app are
  // answered there, and who is in a call (busy) is known to every app (im/crossHost/).
  const callDirectory = config.redisUrl ? new RedisCallDirectory({ redisUrl: config.redisUrl, prefix: config.redisKeyPrefix ?? 'muster', logger: rootLog.child({ component: 'calls' }) }) : undefined;
  if (callDirectory) {
    if (!(await callDirectory.ready(5_000))) log.warn('redis: not reachable at start; calls cannot start until it is');
    im.calls.useDirectory(callDirectory);
  }
  // Media messages take their files from the files domain, which asks IM who may read a file (the members of a
  // conversation whose message carries it) and whether an upload may name a conversation (its members only).
  im.useFiles(files);
  files.useReaders((fileId, accountId) => im.readsFile(fileId, accountId));
  files.useUploadCheck((accountId, conversationId) => im.mayUploadTo(accountId, conversationId));
  // Chat exports store the document as the exporter's file ("save into the chat") and draw images from their
  // thumbnails; Word and PDF embed JPEG or PNG, not the WebP thumbnails are stored as.
  im.exports.useFiles({ store: async (ownerId, name, bytes, mime) => ({ id: (await files.store(ownerId, name, bytes, { mime })).id }) });
  im.exports.useThumbnails({
    readThumbnail: async (fileId) => {
      const webp = await files.readThumbnail(fileId).catch(() => undefined);
      return webp && (await sharp(webp).jpeg({ quality: 85 }).toBuffer());
    },
  });
  app.use('/api/v1', imApi(im, { logger: rootLog.child({ component: 'im' }) }));
  // Offline notifications for IM's messages (VAPID keys from VAPID_* or generated once into the database).
  const push = await Push.open({ db, accounts, im, publicUrl: config.accounts?.publicUrl ?? null, logger: rootLog.child({ component: 'push' }) }).catch(async (error: unknown) => {
    await im.close();
    throw error;
  });
  app.use('/api/v1', pushApi(push, { logger: rootLog.child({ component: 'push' }) }));
  // Service accounts and Moments: their files are readable by whoever may see the article or post carrying them.
  // Service-account routes also take the organisation's API token (a business system publishing through them).
  const channels = new Channels({ db, accounts, im, files, limits, logger: rootLog.child({ component: 'channels' }) });
  files.useReaders((fileId, accountId) => channels.readsFile(fileId, accountId));
  app.use('/api/v1', channelsApi(channels, { logger: rootLog.child({ component: 'channels' }), apiToken: token }));
  const moments = new Moments({ db, accounts, im, files, limits, logger: rootLog.child({ component: 'moments' }) });
  files.useReaders((fileId, accountId) => moments.readsFile(fileId, accountId));
  app.use('/api/v1', momentsApi(moments, { logger: rootLog.child({ component: 'moments' }) }));
  // Calls on a live meeting another app holds (host controls, its dump, topic, end, recording) are answered there;
  // here, before the meeting routers' body parsers, so that the body goes on unread.
  if (meetingOwners) app.use(forwardToOwner({ owners: meetingOwners, requests: meetingRequests(rooms, token), logger: rootLog.child({ component: 'meeting-relay' }) }));
  // A signed-in person's meetings (their access token, read by the accounts router above).
  app.use('/api/v1/me/meetings', jsonBody({ limit: '64kb' }));
  app.use('/api/v1', myMeetingsApi(rooms, roomRecorder));
  // Downloads take a host's signed link as well as the API token, so they come before the Bearer check; one whose
  // files are on another app host's disk is answered by that host. With shared storage (S3) a finished recording's
  // files are in the bucket and its description names no host: any app serves it; only those recorded before the
  // bucket was configured (still on their host's disk) are carried.
  if (recorderConfig.filesAt) {
    app.use(forwardToOwner({ owners: recordingFileHosts(recorder, recorderConfig.filesAt), requests: recordingFileRequests(recorder, token), logger: rootLog.child({ component: 'recording-relay' }) }));
  }
  app.use('/api/v1', recordingFilesApi(roomRecorder, token));
  // A board's export and import on another app's live board are answered there (the body goes on unread).
  if (boardOwners && meetingOwners) {
    const boardLog = rootLog.child({ component: 'board-relay' });
    app.use(forwardToOwner({ owners: boardOwners, requests: boardRequests(whiteboard.service, token, 'board'), logger: boardLog }));
    app.use(forwardToOwner({ owners: meetingOwners, requests: boardRequests(whiteboard.service, token, 'meeting'), logger: boardLog }));
  }
  // Before the rooms API's body parser: board imports are larger than its limit.
  app.use('/api/v1', bearerAuth(token), boardsApi(whiteboard.service));
  app.use('/api/v1', bearerAuth(token), jsonBody({ limit: '256kb' }), recordingsApi(rooms, roomRecorder));
  // A notice to everyone connected, on every transport (`hub` and `accountSockets` are built below, before the server listens).
  app.use(
    '/api/v1',
    bearerAuth(token),
    announcementsApi((announcement) => {
      hub.broadcast('announcement', announcement);
      crossApp?.broadcast('announcement', announcement);
      io.of(ACCOUNT_NAMESPACE).emit('account.announcement', announcement);
    }),
  );
  app.use('/api/v1', bearerAuth(token), jsonBody({ limit: '256kb' }), roomsApi(rooms));
  app.use('/api', (_req, res) => res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such API route' } }));

  const webDist = config.webDistDir;
  if (webDist && fs.existsSync(path.join(webDist, 'index.html'))) {
    // The service worker and the app manifest are looked for again on every load: a deploy's new worker
    // (and the shell it precaches) must not wait out an hour of HTTP caching. Their types come from
    // express.static (text/javascript, application/manifest+json); the worker's scope is its own path's, /.
    app.get(['/sw.js', '/manifest.webmanifest'], (_req, res, next) => {
      res.set('Cache-Control', 'no-cache');
      next();
    });
    app.use(express.static(webDist, { index: false, maxAge: '1h' }));
    // The client routes itself (/, /m/<room>); every other path gets the app shell.
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
      res.set('Cache-Control', 'no-cache').sendFile(path.join(webDist, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => res.type('text/plain').send('Muster is running, but the web client is not built: run `npm run build`.\n'));
  }
  // A malformed JSON body or any thrown error becomes a coded reply, never a stack trace.
  app.use((error: Error & { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    const code = error.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL' : 'BAD_REQUEST';
    if (status === 500) log.error({ err: error, method: _req.method, path: _req.path }, 'request failed');
    res.status(status).json({ error: { code, message: status === 500 ? 'internal error' : error.message } });
  });

  // Built-in TLS when this process serves the port itself (GATEWAYS=0); behind gateways, they terminate it.
  const httpServer = config.tls ? https.createServer({ cert: config.tls.cert, key: config.tls.key }, app) : http.createServer(app);
  const io = new SocketIoServer(httpServer, {
    // Above the protocol's own limit, so an oversized request gets a coded
    // reply instead of a silent disconnect.
    maxHttpBufferSize: 1_000_000,
    pingInterval: 10_000,
    pingTimeout: 10_000,
    // Every namespace (meetings and boards): a page of another site may not use a visitor's browser against this server.
    allowRequest: (req, callback) => callback(null, originAllowed(req, security.allowedOrigins, security.trustProxy)),
  });
  // Apps on several hosts (REDIS_URL): socket.io's emits reach every app's sockets, and live events reach every
  // host's gateways (`hub`, built below: only called once the server runs).
  const crossApp = config.redisUrl
    ? attachRedisFanout(io, {
        redisUrl: config.redisUrl,
        prefix: config.redisKeyPrefix ?? 'muster',
        logger: rootLog.child({ component: 'fanout' }),
        local: { deliver: (to, event, payload) => hub.deliver(to, event, payload), broadcast: (event, payload) => hub.broadcast(event, payload) },
      })
    : undefined;
  attachSignaling(io, rooms, {
    trustProxy: security.trustProxy,
    limits,
    requestLimits: security.requestLimits,
    joinTimeoutMs: security.joinTimeoutMs,
    // A socket connected with an access token joins as its account: profile name and avatar, owner's rights.
    identify: async (socket) => {
      const principal = socket.data.principal;
      if (!principal) return null;
      const identity = await accounts.meetingIdentity(principal);
      if (!identity) throw new MusterError('SIGN_IN_REQUIRED', 'your sign-in has ended; sign in again');
      return identity;
    },
    anonymousJoins: async () => (await accounts.settings()).anonymousJoins,
    relay: meetingRelay,
  });
  whiteboard.attach(io);
  // The IM requests (send, read, history) on the same signed-in connection as its live deliveries.
  const imRequests = imGateway(im, { limits });
  const accountSockets = attachAccountSockets(io, accounts, {
    onConnection: (socket, principal) => {
      imRequests.attach(socket, principal);
      // Online while any /account socket of the account is connected (to this process).
      socket.once('disconnect', im.presence.connected(principal.accountId));
    },
  });
  // Live IM delivery to every connected device of every member: its /account sockets here, and its longlink
  // connections on this host's gateways (the hub sends each event only to the gateways holding one of its accounts).
  const stopDelivery = im.hub.subscribe((delivery) => {
    accountSockets.toAccounts(delivery.to, delivery.event, delivery.payload);
    crossApp?.deliver(delivery.to, delivery.event, delivery.payload);
  });
  // Behind a supervisor its gateways attach on this port; alone (GATEWAYS=0, tests), the app embeds one gateway
  // for /longlink, attached over an internal loopback port, so that every client speaks the same protocol either way.
  const secret = config.internalSecret ?? randomBytes(32).toString('base64url');
  const gatewaysLog = rootLog.child({ component: 'gateways' });
  const hub = new GatewayHub({ accounts, im, requests: imRequests, secret, logger: gatewaysLog });
  let embedded: { gateway: Gateway; internal: http.Server } | undefined;
  if (config.internalSecret) hub.listen(httpServer);
  else {
    const internal = http.createServer((_req, res) => res.writeHead(404).end());
    hub.listen(internal);
    await new Promise<void>((resolve, reject) => {
      internal.once('error', reject);
      internal.listen(0, '127.0.0.1', () => resolve());
    });
    const gateway = new Gateway({ id: 'embedded', appUrl: `http://127.0.0.1:${(internal.address() as AddressInfo).port}`, secret, logger: gatewaysLog });
    embedded = { gateway, internal };
    httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (req.url?.split('?', 1)[0] === LONGLINK_PATH) gateway.upgrade(req, socket, head);
    });
    await gateway.ready();
  }

  const pollStats = setInterval(() => {
    for (const worker of pool.workers) if (!worker.closed) worker.getStats().catch(() => undefined);
  }, STATS_POLL_MS);
  pollStats.unref();
  await Promise.all(pool.workers.map((w) => w.getStats().catch(() => undefined)));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `${config.tls ? 'https' : 'http'}://localhost:${port}`,
    port,
    apiToken: token,
    apiTokenGenerated: generated,
    apiTokenFile: file,
    pool,
    mediaHosts,
    rooms,
    boards: whiteboard.service,
    recorder,
    db,
    accounts,
    im,
    push,
    channels,
    moments,
    files,
    io,
    gateways: hub,
    close() {
      closing ??= (async () => {
        clearInterval(pollStats);
        // First: no join claims a meeting here any more, relayed connections end, and the claims go, so that
        // the people reconnecting now find their meetings free on the other hosts.
        meetingRelay?.close();
        await liveRooms?.close();
        await meetingOwners?.close();
        boardRelay?.close();
        await embedded?.gateway.close();
        hub.close();
        // Not waited for: its one connection (the embedded gateway's uplink) is closing with the hub.
        embedded?.internal.close();
        rooms.closeAll();
        await recorder.close();
        // Calls end while their ends still reach their people's devices on the other apps.
        await im.calls.closeAll();
        stopDelivery();
        await push.close();
        await channels.close();
        await moments.close();
        await im.close();
        // After IM: its calls ended above, freeing their people; the calls' other records go now.
        await callDirectory?.close();
        await presenceDirectory?.close();
        await files.close();
        accountSockets.close();
        accounts.close();
        io.close();
        await crossApp?.close();
        await whiteboard.service.close();
        // After the boards' last writes committed: whoever opens one next, elsewhere, loads all of it.
        await boardOwners?.close();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await mediaHosts?.close();
        pool.close();
        await redisLimits?.close();
        // Last: whatever was queued (config saves, board updates) commits first.
        await db.close();
      })();
      return closing;
    },
  };
}
