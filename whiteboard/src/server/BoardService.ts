import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as Y from 'yjs';
import { BoardDoc } from '../model/BoardDoc.ts';
import {
  BoardError,
  DEFAULT_ACCESS,
  DEFAULT_MAX_BOARD_BYTES,
  PinnedSymbolsSchema,
  meetingOfBoard,
  type BoardJson,
  type PinnedSymbol,
} from '../protocol.ts';
import { DEFAULT_PINNED_SYMBOLS } from '../symbols/catalog.ts';
import type { BoardAccessPolicy } from './access.ts';
import { Board } from './Board.ts';
import type { BoardStore } from './BoardStore.ts';
import { meetingAccess, type MeetingDirectory } from './meetingAccess.ts';
import { hashKey, standaloneAccess } from './standaloneAccess.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'whiteboard' });

export interface BoardServiceOptions {
  store: BoardStore;
  /** The meetings, for `m.<room>` boards; without it only standalone boards open. */
  meetings?: MeetingDirectory;
  /** Overrides the meeting adapter (tests, other deployments). */
  meetingPolicy?: BoardAccessPolicy;
  /** JSON file with the organisation's pinned symbols; the built-in set when absent. */
  pinnedSymbolsFile?: string;
  /** Quiet time after a change before a board is written. */
  saveDelayMs?: number;
  /** How long a board nobody has open stays in memory. */
  idleCloseMs?: number;
  /** How often rights are re-read for connected members (role changes, screen shares). */
  rightsRefreshMs?: number;
  /** Stored size cap per board, in bytes of encoded Yjs state (`DEFAULT_MAX_BOARD_BYTES`). */
  maxBoardBytes?: number;
}

export interface OpenOptions {
  create: boolean;
  forPerson?: boolean;
  /**
   * Called when the board does not exist yet and is about to be made: throw
   * (a `BoardError`) to refuse. The socket gateway counts new boards per
   * address here; nothing is stored when it throws.
   */
  beforeCreate?: (id: string) => Promise<void>;
}

/**
 * Owns the boards open on this server: loads them from the store on first
 * use, saves them after changes, closes them when idle, and decides which
 * access policy governs which board. The socket gateway and the REST router
 * are thin layers over it.
 */
export class BoardService {
  readonly store: BoardStore;
  readonly #boards = new Map<string, Board>();
  readonly #opening = new Map<string, Promise<Board>>();
  readonly #saveTimers = new Map<string, NodeJS.Timeout>();
  readonly #idleTimers = new Map<string, NodeJS.Timeout>();
  readonly #saving = new Set<Promise<void>>();
  readonly #meetingPolicy?: BoardAccessPolicy;
  readonly #pinnedFile?: string;
  readonly #saveDelayMs: number;
  readonly #idleCloseMs: number;
  readonly #rightsTimer: NodeJS.Timeout;
  readonly maxBoardBytes: number;
  #pinned: PinnedSymbol[];
  #closed = false;

  constructor(options: BoardServiceOptions) {
    this.store = options.store;
    this.#meetingPolicy = options.meetingPolicy ?? (options.meetings ? meetingAccess(options.meetings) : undefined);
    this.#pinnedFile = options.pinnedSymbolsFile;
    this.#saveDelayMs = options.saveDelayMs ?? 500;
    this.#idleCloseMs = options.idleCloseMs ?? 60_000;
    this.maxBoardBytes = options.maxBoardBytes ?? DEFAULT_MAX_BOARD_BYTES;
    this.#pinned = this.#loadPinned();
    this.#rightsTimer = setInterval(() => {
      for (const board of this.#boards.values()) if (board.members.size > 0) board.refreshRights();
    }, options.rightsRefreshMs ?? 1_000);
    this.#rightsTimer.unref();
  }

  get boards(): Board[] {
    return [...this.#boards.values()];
  }

  get(id: string): Board | undefined {
    return this.#boards.get(id);
  }

  policyFor(boardId: string): BoardAccessPolicy {
    if (meetingOfBoard(boardId) === null) return standaloneAccess;
    if (!this.#meetingPolicy) throw new BoardError('NOT_FOUND', 'meeting boards are not available on this server');
    return this.#meetingPolicy;
  }

  /**
   * The live board, loaded or (with `create`) made new. `ownerKey` is set
   * when this call created a standalone board for a person (`forPerson`):
   * hand it to its creator. A board made otherwise (REST) gets its owner when
   * someone first opens it.
   */
  async open(id: string, opts: OpenOptions): Promise<{ board: Board; ownerKey?: string }> {
    if (this.#closed) throw new BoardError('NOT_FOUND', 'the server is shutting down');
    this.#cancelIdle(id);
    const live = this.#boards.get(id);
    if (live) return { board: live };
    let ownerKey: string | undefined;
    let opening = this.#opening.get(id);
    if (!opening) {
      opening = (async () => {
        const stored = await this.store.load(id);
        if (!stored && !opts.create) throw new BoardError('NOT_FOUND', `no board ${id}`);
        if (!stored && opts.beforeCreate) await opts.beforeCreate(id);
        if (this.#closed) throw new BoardError('NOT_FOUND', 'the server is shutting down');
        if (!stored && opts.forPerson && meetingOfBoard(id) === null) ownerKey = randomBytes(18).toString('base64url');
        const board = new Board({
          id,
          state: stored?.state,
          access: stored?.access ?? DEFAULT_ACCESS,
          ownerKeyHash: stored?.ownerKeyHash ?? (ownerKey ? hashKey(ownerKey) : undefined),
          createdAt: stored?.createdAt,
          maxBytes: this.maxBoardBytes,
        });
        this.#boards.set(id, board);
        board.on('changed', () => this.#scheduleSave(board));
        board.on('empty', () => this.#scheduleIdle(board));
        if (!stored) await this.#save(board);
        // Opened only to read (REST): let it go unless someone joins.
        if (board.members.size === 0) this.#scheduleIdle(board);
        return board;
      })().finally(() => this.#opening.delete(id));
      this.#opening.set(id, opening);
    }
    const board = await opening;
    return { board, ownerKey };
  }

  /** Makes a fresh owner key for a board that has none (created through REST) and returns it. */
  claimOwnership(board: Board): string {
    const ownerKey = randomBytes(18).toString('base64url');
    board.ownerKeyHash = hashKey(ownerKey);
    void this.#save(board);
    return ownerKey;
  }

  async exists(id: string): Promise<boolean> {
    return this.#boards.has(id) || (await this.store.load(id)) !== null;
  }

  async exportJson(id: string): Promise<BoardJson | null> {
    try {
      const { board } = await this.open(id, { create: false });
      return board.exportJson();
    } catch (error) {
      if (error instanceof BoardError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  /**
   * Replaces a board's content (creating the board). Returns whether it was
   * new. Refused with BOARD_FULL, before anything changes, when the content
   * alone would exceed the board size cap.
   */
  async importJson(id: string, json: BoardJson): Promise<{ created: boolean }> {
    const scratch = new BoardDoc(new Y.Doc({ gc: true }));
    scratch.replaceWith(json);
    const size = Y.encodeStateAsUpdate(scratch.doc).byteLength;
    scratch.doc.destroy();
    if (size > this.maxBoardBytes) throw new BoardError('BOARD_FULL', `the board would take ${size} bytes; a board is at most ${this.maxBoardBytes}`);
    const existed = await this.exists(id);
    const { board } = await this.open(id, { create: true });
    board.importJson({ ...json, id });
    await this.#save(board);
    return { created: !existed };
  }

  // ------------------------------------------------------------ pinned symbols

  get pinnedSymbols(): PinnedSymbol[] {
    return this.#pinned;
  }

  /** Sets the organisation's pinned symbols and keeps them in the file, so they survive restarts. */
  setPinnedSymbols(list: PinnedSymbol[]): void {
    this.#pinned = list;
    if (!this.#pinnedFile) return;
    fs.mkdirSync(path.dirname(this.#pinnedFile), { recursive: true });
    const temp = `${this.#pinnedFile}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(list, null, 2)}\n`);
    fs.renameSync(temp, this.#pinnedFile);
  }

  #loadPinned(): PinnedSymbol[] {
    if (!this.#pinnedFile || !fs.existsSync(this.#pinnedFile)) return DEFAULT_PINNED_SYMBOLS;
    try {
      const parsed = PinnedSymbolsSchema.safeParse(JSON.parse(fs.readFileSync(this.#pinnedFile, 'utf8')));
      if (parsed.success) return parsed.data;
      log.warn({ file: this.#pinnedFile, problem: parsed.error.issues[0]?.message }, 'not a valid symbol list; using the built-in set');
    } catch (error) {
      log.warn({ file: this.#pinnedFile, err: error }, 'could not read the pinned symbols; using the built-in set');
    }
    return DEFAULT_PINNED_SYMBOLS;
  }

  // ------------------------------------------------------------ persistence

  #scheduleSave(board: Board): void {
    if (this.#saveTimers.has(board.id)) return;
    this.#saveTimers.set(
      board.id,
      setTimeout(() => {
        this.#saveTimers.delete(board.id);
        void this.#save(board);
      }, this.#saveDelayMs),
    );
  }

  #save(board: Board): Promise<void> {
    clearTimeout(this.#saveTimers.get(board.id));
    this.#saveTimers.delete(board.id);
    if (board.closed) return Promise.resolve();
    const state = board.encodeState();
    board.noteEncodedSize(state.byteLength);
    const saving = this.store
      .save({ id: board.id, state, access: board.access, ownerKeyHash: board.ownerKeyHash, createdAt: board.createdAt, updatedAt: Date.now() })
      .catch((error) => log.error({ err: error, board: board.id }, 'could not save the board'));
    this.#saving.add(saving);
    void saving.finally(() => this.#saving.delete(saving));
    return saving;
  }

  #scheduleIdle(board: Board): void {
    this.#cancelIdle(board.id);
    this.#idleTimers.set(
      board.id,
      setTimeout(() => {
        this.#idleTimers.delete(board.id);
        if (board.members.size > 0) return;
        void this.#save(board).then(() => {
          if (board.members.size > 0 || this.#boards.get(board.id) !== board) return;
          this.#boards.delete(board.id);
          board.close();
        });
      }, this.#idleCloseMs),
    );
  }

  #cancelIdle(id: string): void {
    clearTimeout(this.#idleTimers.get(id));
    this.#idleTimers.delete(id);
  }

  /** Saves every open board and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#rightsTimer);
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    this.#idleTimers.clear();
    await Promise.allSettled([...this.#opening.values()]);
    await Promise.all([...this.#boards.values()].map((board) => this.#save(board)));
    await Promise.all([...this.#saving]);
    for (const board of this.#boards.values()) board.close();
    this.#boards.clear();
    await this.store.close();
  }

  dump() {
    return { boards: this.boards.map((b) => b.dump()), pinnedSymbols: this.#pinned.length };
  }

  getStats() {
    return { openBoards: this.#boards.size, members: this.boards.reduce((n, b) => n + b.members.size, 0) };
  }
}
