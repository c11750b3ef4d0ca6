import path from 'node:path';
import type { Server } from 'socket.io';
import type { TrustProxy } from '@muster/kit/client-address';
import type { LimitStore } from '@muster/kit/limits';
import { attachBoardGateway, type BoardGatewayOptions, type BoardQuotas } from './BoardGateway.ts';
import { BoardService } from './BoardService.ts';
import type { BoardLogRepository, Sealer } from '@muster/db';
import { BoardStore } from './BoardStore.ts';
import { importLegacyBoards } from './importLegacyBoards.ts';
import type { MeetingDirectory } from './meetingAccess.ts';

export * from './access.ts';
export { Board, SERVER_ORIGIN, type BoardMember } from './Board.ts';
export {
  BOARD_NAMESPACE,
  DEFAULT_BOARD_QUOTAS,
  DEFAULT_JOIN_TIMEOUT_MS,
  attachBoardGateway,
  type BoardGatewayOptions,
  type BoardRelay,
  type RelayedBoardConnection,
  type BoardQuotas,
  type RateSetting,
} from './BoardGateway.ts';
export { boardsApi } from './boardsApi.ts';
export { registerBoardsOpenApi } from './boardsOpenApi.ts';
export * from './BoardStore.ts';
export { BoardService, DEFAULT_COMPACTION, type BoardServiceOptions, type OpenOptions } from './BoardService.ts';
export { importLegacyBoards, LEGACY_BOARDS_FILE } from './importLegacyBoards.ts';
export { meetingAccess, type MeetingDirectory } from './meetingAccess.ts';
export { standaloneAccess } from './standaloneAccess.ts';

export interface WhiteboardOptions {
  dataDir: string;
  meetings?: MeetingDirectory;
  /** The server's board log (`SqlBoardLogRepository` over its database); in memory when neither this nor `store` is given. */
  boards?: BoardLogRepository;
  store?: BoardStore;
  /** The server's shared limits (per address, per server); a `MemoryLimits` of the whiteboard's own when absent. */
  limits?: LimitStore;
  /** Which reverse proxies may name the client's address (`trustProxyFrom(process.env.TRUST_PROXY)`); none when absent. */
  trustProxy?: TrustProxy;
  /** Sockets that open no board within this are disconnected (`DEFAULT_JOIN_TIMEOUT_MS`). */
  joinTimeoutMs?: number;
  /** Stored size cap per board (`DEFAULT_MAX_BOARD_BYTES`). */
  maxBoardBytes?: number;
  /** Per-address and server-wide limits (`DEFAULT_BOARD_QUOTAS`). */
  quotas?: Partial<BoardQuotas>;
  /** The database's sealer: with it, an older install's `whiteboard/boards.sqlite` is imported and put aside sealed. */
  sealer?: Sealer;
  /** Who may open standalone boards (see BoardGatewayOptions); everyone when absent. */
  standaloneAllowed?: BoardGatewayOptions['standaloneAllowed'];
  /** Where boards another app process holds are served (see BoardGatewayOptions); all here when absent. */
  relay?: BoardGatewayOptions['relay'];
}

/**
 * The whiteboard as the Muster server embeds it: boards in the server's
 * database (an append-only log per board, compacted in the background), the
 * organisation's pinned symbols in a JSON file under the data directory. An
 * older install's `whiteboard/boards.sqlite` is imported once at start.
 */
export async function createWhiteboard(options: WhiteboardOptions): Promise<{
  service: BoardService;
  attach(io: Server): void;
}> {
  const dir = path.join(options.dataDir, 'whiteboard');
  const store = options.store ?? new BoardStore(options.boards);
  if (options.sealer) await importLegacyBoards(options.dataDir, store, options.sealer);
  const service = new BoardService({
    store,
    meetings: options.meetings,
    pinnedSymbolsFile: path.join(dir, 'pinned-symbols.json'),
    maxBoardBytes: options.maxBoardBytes,
  });
  const gateway: BoardGatewayOptions = {
    limits: options.limits,
    trustProxy: options.trustProxy,
    joinTimeoutMs: options.joinTimeoutMs,
    quotas: options.quotas,
    standaloneAllowed: options.standaloneAllowed,
    relay: options.relay,
  };
  return { service, attach: (io) => void attachBoardGateway(io, service, gateway) };
}
