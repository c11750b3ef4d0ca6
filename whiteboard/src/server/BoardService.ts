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

const logger = rootLog.child({ component: 'whiteboard' });

export interface BoardServiceOptions {
  /** Where boards are kept (a BoardStore over the database's BoardLogRepository, or over the in-memory one). */
  store: BoardStore;
  /** The meetings, for `m.<room>` boards; without it only standalone boards open. */
  meetings?: MeetingDirectory;
  /** Overrides the meeting adapter (tests, other deployments). */
  meetingPolicy?: BoardAccessPolicy;
  /** JSON file with the organisation's pinned symbols; the built-in set when absent. */
  pinnedSymbolsFile?: string;
  /** Quiet time after a change before a board's encoded size is measured again (for the size cap). */
  measureDelayMs?: number;
  /** How long a board nobody has open stays in memory. */
  idleCloseMs?: number;
  /** How often rights are re-read for connected members (role changes, screen shares). */
  rightsRefreshMs?: number;
  /** Stored size cap per board, in bytes of encoded Yjs state (`DEFAULT_MAX_BOARD_BYTES`). */
  maxBoardBytes?: number;
  /** A board's log is compacted in the background once this many updates follow its snapshot (`DEFAULT_COMPACTION.updates`)... */
  compactAfterUpdates?: number;
  /** ...or once they hold this many bytes (`DEFAULT_COMPACTION.bytes`); and when its last member leaves. */
  compactAfterBytes?: number;
}

/** When a board's log is folded into a new snapshot (besides when its last member leaves). */
export const DEFAULT_COMPACTION = { updates: 500, bytes: 1024 * 1024 } as const;

/** A failed write is retried (as the whole state) after this long. */
const REPAIR_DELAY_MS = 1_000;

/** The persistence of one open board. */
interface BoardLogState {
  /** Updates stored after the snapshot: their seq and size. */
  tail: { seq: number; bytes: number }[];
  /** The snapshot covers every seq up to this. */
  compactedUpto: number;
  /** Writes not yet committed. */
  pending: Set<Promise<void>>;
  compacting?: Promise<void>;
  /** A write failed: the whole state (and the settings) must be written again. */
  lost: boolean;
  repairTimer?: NodeJS.Timeout;
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
  readonly #logs = new Map<string, BoardLogState>();
  readonly #opening = new Map<string, Promise<Board>>();
  readonly #measureTimers = new Map<string, NodeJS.Timeout>();
  readonly #idleTimers = new Map<string, NodeJS.Timeout>();
  readonly #meetingPolicy?: BoardAccessPolicy;
  readonly #pinnedFile?: string;
  readonly #measureDelayMs: number;
  readonly #idleCloseMs: number;
  readonly #compactAfterUpdates: number;
  readonly #compactAfterBytes: number;
  readonly #rightsTimer: NodeJS.Timeout;
  readonly maxBoardBytes: number;
  #pinned: PinnedSymbol[];
  #closed = false;

  constructor(options: BoardServiceOptions) {
    this.store = options.store;
    this.#meetingPolicy = options.meetingPolicy ?? (options.meetings ? meetingAccess(options.meetings) : undefined);
    this.#pinnedFile = options.pinnedSymbolsFile;
    this.#measureDelayMs = options.measureDelayMs ?? 500;
    this.#idleCloseMs = options.idleCloseMs ?? 60_000;
    this.#compactAfterUpdates = options.compactAfterUpdates ?? DEFAULT_COMPACTION.updates;
    this.#compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACTION.bytes;
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
          updates: stored?.updates,
          access: stored?.access ?? DEFAULT_ACCESS,
          ownerKeyHash: stored?.ownerKeyHash ?? (ownerKey ? hashKey(ownerKey) : undefined),
          createdAt: stored?.createdAt,
          maxBytes: this.maxBoardBytes,
        });
        const log: BoardLogState = { tail: stored?.tail ?? [], compactedUpto: 0, pending: new Set(), lost: false };
        this.#boards.set(id, board);
        this.#logs.set(id, log);
        board.on('update', (update) => {
          this.#append(board, log, update);
          this.#scheduleMeasure(board);
        });
        board.on('meta', () => this.#putMeta(board, log));
        board.on('empty', () => {
          this.#scheduleIdle(board);
          // The last member left: a good moment to fold the log, once the last updates are in it.
          void this.#compactWhenSettled(board, log);
        });
        if (!stored) {
          // A new board: its settings, then its whole first state (the first page) as update 1.
          this.#putMeta(board, log);
          this.#append(board, log, board.encodeState());
          await this.#flushLog(log);
        } else if (this.#tailTooLong(log)) {
          void this.#compact(board, log);
        }
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
    const log = this.#logs.get(board.id);
    if (log) this.#putMeta(board, log);
    return ownerKey;
  }

  /**
   * Closes the board here if nobody has it open (a copy a REST read left),
   * once its writes committed, so that the next open loads it from the store
   * again: with several app hosts, another app may have held and changed it
   * meanwhile.
   */
  async forgetIdle(id: string): Promise<void> {
    const board = this.#boards.get(id);
    if (!board || board.members.size > 0) return;
    this.#cancelIdle(id);
    await this.#retire(board);
  }

  async exists(id: string): Promise<boolean> {
    return this.#boards.has(id) || (await this.store.exists(id));
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
    await this.flush(id);
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
      logger.warn({ file: this.#pinnedFile, problem: parsed.error.issues[0]?.message }, 'not a valid symbol list; using the built-in set');
    } catch (error) {
      logger.warn({ file: this.#pinnedFile, err: error }, 'could not read the pinned symbols; using the built-in set');
    }
    return DEFAULT_PINNED_SYMBOLS;
  }

  // ------------------------------------------------------------ persistence

  /** Resolves once every write of this board (or of every open board) issued so far has committed. */
  async flush(id?: string): Promise<void> {
    const logs = id === undefined ? [...this.#logs.values()] : [this.#logs.get(id)].filter((l) => l !== undefined);
    await Promise.all(logs.map((log) => this.#flushLog(log)));
  }

  /**
   * Folds an open board's log into a new snapshot now (it also happens by
   * itself: see `compactAfterUpdates`). Live editing goes on meanwhile:
   * updates appended during the merge stay in the tail.
   */
  async compact(id: string): Promise<void> {
    const board = this.#boards.get(id);
    const log = this.#logs.get(id);
    if (board && log) await this.#compact(board, log, true);
  }

  #track(log: BoardLogState, write: Promise<void>): void {
    log.pending.add(write);
    void write.finally(() => log.pending.delete(write));
  }

  async #flushLog(log: BoardLogState): Promise<void> {
    while (log.pending.size > 0) await Promise.all([...log.pending]);
  }

  /** One row per change: the update is appended to the board's log, nothing is rewritten. */
  #append(board: Board, log: BoardLogState, update: Uint8Array): void {
    const bytes = update.byteLength;
    this.#track(
      log,
      this.store.append(board.id, update).then(
        (seq) => {
          if (seq <= log.compactedUpto) return;
          log.tail.push({ seq, bytes });
          if (this.#tailTooLong(log)) void this.#compact(board, log);
        },
        (error: unknown) => this.#failed(board, log, error),
      ),
    );
  }

  #putMeta(board: Board, log: BoardLogState): void {
    this.#track(
      log,
      this.store.putMeta(board.id, { access: board.access, ownerKeyHash: board.ownerKeyHash }, board.createdAt).catch((error: unknown) => this.#failed(board, log, error)),
    );
  }

  /** A write failed (database unreachable, disk full): the board stays right in memory, and its whole state is written again shortly. */
  #failed(board: Board, log: BoardLogState, error: unknown): void {
    logger.error({ err: error, board: board.id }, 'could not store a change of the board; writing its whole state again shortly');
    log.lost = true;
    if (log.repairTimer || board.closed) return;
    log.repairTimer = setTimeout(() => {
      log.repairTimer = undefined;
      this.#repair(board, log);
    }, REPAIR_DELAY_MS);
    log.repairTimer.unref();
  }

  #repair(board: Board, log: BoardLogState): void {
    clearTimeout(log.repairTimer);
    log.repairTimer = undefined;
    if (!log.lost || board.closed) return;
    log.lost = false;
    // Yjs updates are idempotent: the whole state holds whatever a failed append missed.
    this.#putMeta(board, log);
    this.#append(board, log, board.encodeState());
  }

  #tailTooLong(log: BoardLogState): boolean {
    return log.tail.length >= this.#compactAfterUpdates || log.tail.reduce((n, t) => n + t.bytes, 0) >= this.#compactAfterBytes;
  }

  /** In the background: the merge runs outside the database writer, and the board's document is not touched. */
  #compact(board: Board, log: BoardLogState, force = false): Promise<void> {
    if (log.compacting) return log.compacting;
    if (log.tail.length === 0 && !force) return Promise.resolve();
    log.compacting = this.store
      .compact(board.id)
      .then((result) => {
        if (!result) return;
        log.compactedUpto = Math.max(log.compactedUpto, result.uptoSeq);
        log.tail = log.tail.filter((t) => t.seq > log.compactedUpto);
      })
      .catch((error: unknown) => logger.error({ err: error, board: board.id }, 'could not compact the board'))
      .finally(() => {
        log.compacting = undefined;
      });
    return log.compacting;
  }

  async #compactWhenSettled(board: Board, log: BoardLogState): Promise<void> {
    await this.#flushLog(log);
    await log.compacting;
    await this.#compact(board, log);
  }

  /** After a quiet spell, the exact encoded size replaces the estimate the size cap works with. */
  #scheduleMeasure(board: Board): void {
    if (this.#measureTimers.has(board.id)) return;
    const timer = setTimeout(() => {
      this.#measureTimers.delete(board.id);
      if (!board.closed) board.noteEncodedSize(board.encodeState().byteLength);
    }, this.#measureDelayMs);
    timer.unref();
    this.#measureTimers.set(board.id, timer);
  }

  #scheduleIdle(board: Board): void {
    this.#cancelIdle(board.id);
    const timer = setTimeout(() => {
      this.#idleTimers.delete(board.id);
      if (board.members.size > 0) return;
      void this.#retire(board);
    }, this.#idleCloseMs);
    timer.unref();
    this.#idleTimers.set(board.id, timer);
  }

  /** Closes a board nobody has open, once everything it wrote has committed. */
  async #retire(board: Board): Promise<void> {
    const log = this.#logs.get(board.id);
    if (log) {
      this.#repair(board, log);
      await this.#compactWhenSettled(board, log);
    }
    if (board.members.size > 0 || this.#boards.get(board.id) !== board) return;
    this.#boards.delete(board.id);
    this.#logs.delete(board.id);
    clearTimeout(this.#measureTimers.get(board.id));
    this.#measureTimers.delete(board.id);
    board.close();
  }

  #cancelIdle(id: string): void {
    clearTimeout(this.#idleTimers.get(id));
    this.#idleTimers.delete(id);
  }

  /** Waits for every board's writes (rewriting what failed) and closes the boards. The store's database is the caller's to close. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#rightsTimer);
    for (const timer of [...this.#idleTimers.values(), ...this.#measureTimers.values()]) clearTimeout(timer);
    this.#idleTimers.clear();
    this.#measureTimers.clear();
    await Promise.allSettled([...this.#opening.values()]);
    for (const board of this.#boards.values()) {
      const log = this.#logs.get(board.id);
      if (log) this.#repair(board, log);
    }
    await Promise.all([...this.#logs.values()].map(async (log) => {
      await this.#flushLog(log);
      await log.compacting;
    }));
    for (const board of this.#boards.values()) board.close();
    this.#boards.clear();
    this.#logs.clear();
  }

  dump() {
    return { boards: this.boards.map((b) => b.dump()), pinnedSymbols: this.#pinned.length };
  }

  getStats() {
    return { openBoards: this.#boards.size, members: this.boards.reduce((n, b) => n + b.members.size, 0) };
  }
}
