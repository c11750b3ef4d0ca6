import type { Socket } from 'socket.io-client';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { Emitter } from '@muster/kit/emitter';
import { BoardDoc, newObjectId, type ObjectPatch } from '../model/BoardDoc.ts';
import {
  BOARD_PROTOCOL_VERSION,
  MAX_UPDATE_BYTES,
  type AccessSettings,
  type BoardAck,
  type BoardJson,
  type BoardObject,
  type BoardProtocolError,
  type BoardRequest,
  type BoardRequestName,
  type BoardResponses,
  type BoardRights,
  type PinnedSymbol,
} from '../protocol.ts';

/** Origin of updates that came from the server; everything else is ours and is sent. */
const REMOTE = Symbol('remote');
/** Objects per transaction when importing, so that each update stays far below the server's limit. */
const IMPORT_BATCH = 250;
const REQUEST_TIMEOUT_MS = 15_000;

export class BoardRequestError extends Error {
  readonly code: BoardProtocolError['code'] | 'TIMEOUT' | 'DISCONNECTED';
  constructor(code: BoardRequestError['code'], message: string) {
    super(message);
    this.name = 'BoardRequestError';
    this.code = code;
  }
}

export interface BoardClientOptions {
  /** A socket.io-client socket on the `/board` namespace; for a meeting board, from the meeting's Manager. */
  socket: Socket;
  board: string;
  /** Standalone boards: the name others see, this browser's stable key and, if it has one, the owner key. */
  name?: string;
  clientKey?: string;
  ownerKey?: string;
  /** Cursor colour others see. */
  color?: string;
  /** Local changes within this window travel as one update. */
  sendIntervalMs?: number;
}

export type BoardClientEvents = {
  /** Joined (again): the document holds the server's state. */
  ready: [];
  /** What this user may do changed. */
  rights: [self: BoardRights, access: AccessSettings];
  /** The server refused one of our updates; the document was reloaded from the server. */
  refused: [error: BoardProtocolError];
  /** The document object was replaced (after a refusal): views re-read `client.doc`. */
  reset: [];
  /** Somebody's presence changed. */
  awareness: [];
  /** Our owner key for a standalone board we just created: keep it to stay host. */
  ownerKey: [key: string];
  /** Joining failed for good (e.g. not in the meeting, or forbidden). */
  failed: [error: BoardRequestError];
};

/**
 * One person's connection to one board, in a browser or in Node: the local
 * Yjs document, presence, and an undo manager that tracks only this
 * client's own changes, so undo never takes back someone else's work.
 */
export class BoardClient extends Emitter<BoardClientEvents> {
  readonly id: string;
  readonly socket: Socket;
  /** The origin of this client's own edits; the undo manager tracks only it. */
  readonly localOrigin = { local: true };
  doc: BoardDoc;
  awareness: awarenessProtocol.Awareness;
  undoManager: Y.UndoManager;
  self?: BoardRights;
  access?: AccessSettings;
  pinnedSymbols: PinnedSymbol[] = [];
  readonly #options: BoardClientOptions;
  #pending: Uint8Array[] = [];
  #flushTimer?: ReturnType<typeof setTimeout>;
  /**
   * One update in flight at a time: the server applies updates in order and
   * refuses one that depends on changes it lacks, so a later update must not
   * overtake one the rate limit sent back. Changes made meanwhile are merged
   * into the next one, which also batches bursts.
   */
  #inFlight = false;
  #resends = 0;
  #joined = false;
  #closed = false;
  #joining?: Promise<void>;
  readonly #onConnect = () => {
    if (this.#joined || this.#joining) return;
    void this.join().catch(() => undefined);
  };
  readonly #onDisconnect = () => {
    this.#joined = false;
    // Its answer will not come; the rejoin sends what the server lacks.
    this.#inFlight = false;
  };
  readonly #onUpdate = (e: { board: string; update: ArrayBuffer | Uint8Array }) => {
    if (e?.board !== this.id) return;
    Y.applyUpdate(this.doc.doc, toBytes(e.update), REMOTE);
  };
  readonly #onAwareness = (e: { board: string; update: ArrayBuffer | Uint8Array }) => {
    if (e?.board !== this.id) return;
    awarenessProtocol.applyAwarenessUpdate(this.awareness, toBytes(e.update), REMOTE);
  };
  readonly #onRights = (e: { board: string; access: AccessSettings; self: BoardRights }) => {
    if (e?.board !== this.id) return;
    this.self = e.self;
    this.access = e.access;
    this.emit('rights', e.self, e.access);
  };

  constructor(options: BoardClientOptions) {
    super();
    this.id = options.board;
    this.socket = options.socket;
    this.#options = options;
    ({ doc: this.doc, awareness: this.awareness, undoManager: this.undoManager } = this.#createDoc());
    this.socket.on('connect', this.#onConnect);
    this.socket.on('disconnect', this.#onDisconnect);
    this.socket.on('board.update', this.#onUpdate);
    this.socket.on('board.awareness', this.#onAwareness);
    this.socket.on('board.rights', this.#onRights);
  }

  get joined(): boolean {
    return this.#joined;
  }

  get canDraw(): boolean {
    return this.self?.canDraw ?? false;
  }

  #createDoc() {
    const doc = new BoardDoc(new Y.Doc({ gc: true }));
    doc.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE) return;
      this.#pending.push(update);
      this.#scheduleFlush();
    });
    const awareness = new awarenessProtocol.Awareness(doc.doc);
    awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin !== REMOTE) {
        const mine = [...added, ...updated, ...removed].filter((id) => id === doc.doc.clientID);
        if (mine.length > 0 && this.#joined) {
          this.socket.emit('board.awareness', { board: this.id, update: awarenessProtocol.encodeAwarenessUpdate(awareness, mine) });
        }
      }
      this.emit('awareness');
    });
    const undoManager = new Y.UndoManager([doc.objects, doc.pages], { trackedOrigins: new Set([this.localOrigin]), captureTimeout: 300 });
    return { doc, awareness, undoManager };
  }

  request<N extends BoardRequestName>(name: N, payload: BoardRequest<N>): Promise<BoardResponses[N]> {
    if (!this.socket.connected) return Promise.reject(new BoardRequestError('DISCONNECTED', 'not connected'));
    return new Promise((resolve, reject) => {
      this.socket.timeout(REQUEST_TIMEOUT_MS).emit(name, payload, (error: Error | null, ack: BoardAck<BoardResponses[N]>) => {
        if (error) return reject(new BoardRequestError('TIMEOUT', `${name} timed out`));
        if (ack.ok) resolve(ack.data);
        else reject(new BoardRequestError(ack.error.code, ack.error.message));
      });
    });
  }

  /**
   * Opens the board and brings the document up to date both ways: the
   * server sends what we lack (against our state vector), we send what it
   * lacks. Called again on every reconnect. A meeting board refuses with
   * NOT_JOINED until the meeting's own join has completed, so that is retried.
   */
  join(): Promise<void> {
    this.#joining ??= this.#join().finally(() => {
      this.#joining = undefined;
    });
    return this.#joining;
  }

  async #join(): Promise<void> {
    if (!this.socket.connected) {
      if (!this.socket.active) this.socket.connect();
      await new Promise<void>((resolve) => this.socket.once('connect', () => resolve()));
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.request('board.join', {
          v: BOARD_PROTOCOL_VERSION,
          board: this.id,
          name: this.#options.name,
          clientKey: this.#options.clientKey,
          ownerKey: this.#options.ownerKey,
          stateVector: Y.encodeStateVector(this.doc.doc),
        } as BoardRequest<'board.join'>);
        Y.applyUpdate(this.doc.doc, toBytes(reply.update), REMOTE);
        if (reply.awareness) awarenessProtocol.applyAwarenessUpdate(this.awareness, toBytes(reply.awareness), REMOTE);
        this.self = reply.self;
        this.access = reply.access;
        this.pinnedSymbols = reply.pinnedSymbols;
        this.#joined = true;
        if (reply.ownerKey) {
          this.#options.ownerKey = reply.ownerKey;
          this.emit('ownerKey', reply.ownerKey);
        }
        // What we changed while away.
        const ours = Y.encodeStateAsUpdate(this.doc.doc, toBytes(reply.stateVector));
        if (hasContent(ours) && reply.self.canDraw) {
          this.#pending.push(ours);
          this.#scheduleFlush();
        }
        this.#announce();
        this.emit('rights', reply.self, reply.access);
        this.emit('ready');
        return;
      } catch (error) {
        const e = error instanceof BoardRequestError ? error : new BoardRequestError('INTERNAL', String(error));
        if (this.#closed) return;
        if ((e.code === 'NOT_JOINED' || e.code === 'TIMEOUT' || e.code === 'RATE_LIMITED') && attempt < 40) {
          await new Promise((r) => setTimeout(r, 250 + attempt * 50));
          if (!this.socket.connected) return;
          continue;
        }
        this.emit('failed', e);
        throw e;
      }
    }
  }

  #announce(): void {
    const state = this.awareness.getLocalState();
    this.awareness.setLocalState({
      ...(state ?? {}),
      user: { id: this.self?.userId ?? '', name: this.self?.name ?? '', color: this.#options.color ?? '#4f8cff' },
    });
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => this.flush(), this.#options.sendIntervalMs ?? 30);
  }

  /** Updates sent again after the server's rate limit or a timeout (diagnostics, tests). */
  get resends(): number {
    return this.#resends;
  }

  /** Sends local changes now (after the update in flight, if any, is answered). */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#inFlight || !this.#joined || this.#pending.length === 0 || !this.socket.connected) return;
    // Merge what waits, in order, up to the server's size limit per update (a big import is several).
    let count = 1;
    let bytes = this.#pending[0]!.byteLength;
    while (count < this.#pending.length && bytes + this.#pending[count]!.byteLength <= MAX_UPDATE_BYTES) bytes += this.#pending[count++]!.byteLength;
    const batch = this.#pending.splice(0, count);
    const update = batch.length === 1 ? batch[0]! : Y.mergeUpdates(batch);
    this.#inFlight = true;
    this.request('board.update', { board: this.id, update })
      .then(
        () => {
          this.#inFlight = false;
          if (this.#pending.length > 0) this.flush();
        },
        (error: BoardRequestError) => {
          this.#inFlight = false;
          if (error.code === 'DISCONNECTED') {
            // The rejoin sends everything the server lacks, this included.
            return;
          }
          if (error.code === 'RATE_LIMITED' || error.code === 'TIMEOUT') {
            // Nothing was applied, or (a timeout on a live socket, when no rejoin
            // follows) we cannot know: send it again, merged with whatever came
            // since, a little later. Applying a Yjs update twice changes nothing.
            this.#resends++;
            this.#pending.unshift(update);
            clearTimeout(this.#flushTimer);
            this.#flushTimer = setTimeout(() => this.flush(), 250);
            return;
          }
          void this.#resync({ code: error.code, message: error.message });
        },
      );
  }

  /** The server refused a change it will never take: start again from its state. */
  async #resync(error: BoardProtocolError): Promise<void> {
    this.emit('refused', error);
    this.#pending = [];
    this.undoManager.destroy();
    this.awareness.destroy();
    this.doc.doc.destroy();
    ({ doc: this.doc, awareness: this.awareness, undoManager: this.undoManager } = this.#createDoc());
    if (this.#joined) {
      this.#joined = false;
      await this.request('board.leave', { board: this.id }).catch(() => undefined);
    }
    this.emit('reset');
    await this.join().catch(() => undefined);
  }

  // ------------------------------------------------------------ editing (our own origin, so undoable)

  newId(): string {
    return newObjectId();
  }

  add(object: BoardObject): void {
    this.doc.addObject({ ...object, author: object.author ?? this.self?.userId }, this.localOrigin);
  }

  update(id: string, patch: ObjectPatch): void {
    this.doc.updateObject(id, patch, this.localOrigin);
  }

  remove(ids: Iterable<string>): number {
    return this.doc.removeObjects(ids, this.localOrigin);
  }

  /** Several edits as one undo step and one update. */
  transact(fn: () => void): void {
    this.doc.transact(fn, this.localOrigin);
  }

  ensurePage(id: string, name: string): void {
    this.doc.ensurePage(id, name, undefined, this.localOrigin);
  }

  undo(): void {
    this.undoManager.undo();
  }

  redo(): void {
    this.undoManager.redo();
  }

  /** Ends the current undo step, so the next edit is undone on its own. */
  stopCapturing(): void {
    this.undoManager.stopCapturing();
  }

  exportJson(): BoardJson {
    return this.doc.toJSON(this.id);
  }

  /** Replaces the board with `json`, in batches that each stay a modest update. One undo step. */
  importJson(json: BoardJson): void {
    this.stopCapturing();
    this.transact(() => {
      for (const id of [...this.doc.objects.keys()]) this.doc.objects.delete(id);
      for (const id of [...this.doc.pages.keys()]) this.doc.pages.delete(id);
    });
    json.pages.forEach((page, order) => {
      this.transact(() => {
        const map = new Y.Map<unknown>();
        map.set('name', page.name);
        map.set('order', order);
        this.doc.pages.set(page.id, map);
      });
      for (let i = 0; i < page.objects.length; i += IMPORT_BATCH) {
        this.transact(() => {
          page.objects.slice(i, i + IMPORT_BATCH).forEach((object, j) => this.doc.addObject({ ...object, page: page.id, z: object.z ?? i + j }, this.localOrigin));
        });
        this.flush();
      }
    });
    this.flush();
    this.stopCapturing();
  }

  // ------------------------------------------------------------ presence

  setCursor(cursor: { x: number; y: number; page: string } | null): void {
    this.awareness.setLocalStateField('cursor', cursor);
  }

  setSelection(ids: string[]): void {
    this.awareness.setLocalStateField('selection', ids.slice(0, 500));
  }

  /** Everyone else's presence. */
  peers(): { clientId: number; user: { id: string; name: string; color: string }; cursor?: { x: number; y: number; page: string } | null; selection?: string[] }[] {
    const list = [];
    for (const [clientId, state] of this.awareness.getStates()) {
      if (clientId === this.doc.doc.clientID || !state?.user) continue;
      list.push({ clientId, ...(state as { user: { id: string; name: string; color: string } }) });
    }
    return list;
  }

  // ------------------------------------------------------------ host

  setAccess(access: AccessSettings): Promise<BoardResponses['board.setAccess']> {
    return this.request('board.setAccess', { board: this.id, access });
  }

  clear(page: string): Promise<BoardResponses['board.clear']> {
    return this.request('board.clear', { board: this.id, page });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.flush();
    if (this.#joined && this.socket.connected) this.socket.emit('board.leave', { board: this.id });
    this.#joined = false;
    clearTimeout(this.#flushTimer);
    this.socket.off('connect', this.#onConnect);
    this.socket.off('disconnect', this.#onDisconnect);
    this.socket.off('board.update', this.#onUpdate);
    this.socket.off('board.awareness', this.#onAwareness);
    this.socket.off('board.rights', this.#onRights);
    this.undoManager.destroy();
    this.awareness.destroy();
  }
}

function toBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** An update with no structs and no deletions is two zero bytes. */
function hasContent(update: Uint8Array): boolean {
  return update.byteLength > 2;
}
