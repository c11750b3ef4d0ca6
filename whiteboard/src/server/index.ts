import path from 'node:path';
import type { Server } from 'socket.io';
import { attachBoardGateway } from './BoardGateway.ts';
import { BoardService } from './BoardService.ts';
import type { BoardStore } from './BoardStore.ts';
import type { MeetingDirectory } from './meetingAccess.ts';
import { SqliteBoardStore } from './SqliteBoardStore.ts';

export * from './access.ts';
export { Board, SERVER_ORIGIN, type BoardMember } from './Board.ts';
export { BOARD_NAMESPACE, attachBoardGateway } from './BoardGateway.ts';
export { boardsApi } from './boardsApi.ts';
export * from './BoardStore.ts';
export { BoardService, type BoardServiceOptions } from './BoardService.ts';
export { MemoryBoardStore } from './MemoryBoardStore.ts';
export { meetingAccess, type MeetingDirectory } from './meetingAccess.ts';
export { SqliteBoardStore } from './SqliteBoardStore.ts';
export { standaloneAccess } from './standaloneAccess.ts';

/**
 * The whiteboard as the Muster server embeds it: boards in SQLite under the
 * data directory, the organisation's pinned symbols in a JSON file beside it.
 */
export async function createWhiteboard(options: { dataDir: string; meetings?: MeetingDirectory; store?: BoardStore }): Promise<{
  service: BoardService;
  attach(io: Server): void;
}> {
  const dir = path.join(options.dataDir, 'whiteboard');
  const store = options.store ?? (await SqliteBoardStore.open(path.join(dir, 'boards.sqlite')));
  const service = new BoardService({ store, meetings: options.meetings, pinnedSymbolsFile: path.join(dir, 'pinned-symbols.json') });
  return { service, attach: (io) => void attachBoardGateway(io, service) };
}
