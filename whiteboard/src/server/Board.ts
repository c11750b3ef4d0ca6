import { EventEmitter } from 'node:events';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { BoardDoc, DEFAULT_PAGE_ID } from '../model/BoardDoc.ts';
import { validateUpdate } from '../model/validateUpdate.ts';
import {
  ANNOTATION_PAGE_ID,
  BoardError,
  DEFAULT_MAX_BOARD_BYTES,
  type AccessSettings,
  type BoardJson,
  type BoardRights,
} from '../protocol.ts';
import type { BoardIdentity, BoardStanding } from './access.ts';
import { MAX_AWARENESS_CLIENTS_PER_MEMBER, decodeAwareness } from './awareness.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'whiteboard' });

/** Origin of changes the server makes itself (clear, import). */
export const SERVER_ORIGIN = Symbol('server');

/** One connection to this board. */
export interface BoardMember {
  readonly key: string;
  readonly identity: BoardIdentity;
  /** Current standing, re-read before every change. */
  standing(): BoardStanding | null;
  send(event: 'board.update' | 'board.awareness', payload: { board: string; update: Uint8Array }): void;
  sendRights(payload: { board: string; access: AccessSettings; self: BoardRights }): void;
  /** Awareness client ids this member has announced; nobody else may speak for them. */
  readonly awarenessClients: Set<number>;
  /** Rights last sent, to send again only on change. */
  lastRights?: string;
}

export type BoardEvents = {
  /** The document changed: this update is to be stored (appended to the board's log). */
  update: [update: Uint8Array];
  /** The access settings or the owner changed and should be stored. */
  meta: [];
  /** The last member left. */
  empty: [];
};

/**
 * A board open on this server: its document, its presence and who is
 * connected. Every change from a client goes through `applyClientUpdate`,
 * which checks the right to draw and the update's shape before anything is
 * applied.
 */
export class Board extends EventEmitter<BoardEvents> {
  readonly id: string;
  readonly doc: BoardDoc;
  readonly awareness: awarenessProtocol.Awareness;
  readonly createdAt: number;
  readonly members = new Map<string, BoardMember>();
  #access: AccessSettings;
  ownerKeyHash?: string;
  #closed = false;
  #updates = 0;
  #refused = 0;
  readonly #maxBytes: number;
  /** Size of the encoded state when last measured (load, then after changes)... */
  #measuredBytes = 0;
  /** ...plus the bytes of every client update applied since: an upper bound on the stored size now. */
  #bytesSince = 0;

  /**
   * `updates`: the stored document (a snapshot and the updates after it),
   * applied in order; `state`: the document as one update. A new board gets its first page, which is not reported
   * as an update: the service stores the whole state of a new board.
   */
  constructor(options: { id: string; state?: Uint8Array; updates?: Uint8Array[]; access: AccessSettings; ownerKeyHash?: string; createdAt?: number; maxBytes?: number }) {
    super();
    this.id = options.id;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BOARD_BYTES;
    this.doc = new BoardDoc(new Y.Doc({ gc: true }));
    const stored = [...(options.state ? [options.state] : []), ...(options.updates ?? [])].filter((u) => u.byteLength > 0);
    if (stored.length > 0) Y.applyUpdate(this.doc.doc, stored.length === 1 ? stored[0]! : Y.mergeUpdates(stored), SERVER_ORIGIN);
    if (this.doc.pages.size === 0) this.doc.ensurePage(DEFAULT_PAGE_ID, 'Page 1', 0, SERVER_ORIGIN);
    // One update is the encoded state as it was; several are measured, not summed
    // (a log's updates hold content that later deletions made tombstones).
    this.#measuredBytes = stored.length === 1 ? stored[0]!.byteLength : this.encodeState().byteLength;
    this.#access = options.access;
    this.ownerKeyHash = options.ownerKeyHash;
    this.createdAt = options.createdAt ?? Date.now();
    this.awareness = new awarenessProtocol.Awareness(this.doc.doc);
    // The server has no cursor of its own.
    this.awareness.setLocalState(null);
    this.doc.doc.on('update', (update: Uint8Array, origin: unknown) => {
      const from = origin && typeof origin === 'object' && 'key' in origin ? (origin as BoardMember) : undefined;
      for (const member of this.members.values()) if (member !== from) member.send('board.update', { board: this.id, update });
      this.emit('update', update);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get access(): AccessSettings {
    return this.#access;
  }

  rightsOf(identity: BoardIdentity, standing: BoardStanding | null): BoardRights {
    const s = standing ?? { isHost: false, isPresenter: false, mayDraw: false };
    const allowedByBoard =
      s.isHost ||
      this.#access.mode === 'everyone' ||
      (this.#access.mode === 'presenter' && s.isPresenter) ||
      (this.#access.mode === 'list' && this.#access.allowed.includes(identity.userId));
    return { userId: identity.userId, name: identity.name, canDraw: standing !== null && s.mayDraw && allowedByBoard, isHost: s.isHost, isPresenter: s.isPresenter };
  }

  // ------------------------------------------------------------ members

  addMember(member: BoardMember): void {
    this.members.set(member.key, member);
  }

  removeMember(member: BoardMember): void {
    if (this.members.get(member.key) !== member) return;
    this.members.delete(member.key);
    const gone = [...member.awarenessClients].filter((id) => this.awareness.states.has(id));
    if (gone.length > 0) {
      // Tell the others this cursor is gone now rather than after the 30 s awareness timeout.
      awarenessProtocol.removeAwarenessStates(this.awareness, gone, 'server');
      const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, gone);
      for (const other of this.members.values()) other.send('board.awareness', { board: this.id, update });
    }
    if (this.members.size === 0) this.emit('empty');
  }

  /** Pushes each member's rights again where they changed (access settings, roles, presenter). */
  refreshRights(): void {
    for (const member of this.members.values()) {
      const self = this.rightsOf(member.identity, member.standing());
      const text = JSON.stringify(self);
      if (text === member.lastRights) continue;
      member.lastRights = text;
      member.sendRights({ board: this.id, access: this.#access, self });
    }
  }

  // ------------------------------------------------------------ changes

  /** The stored size cap, in bytes of encoded state. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** An upper bound on the board's encoded size now: exact at load and at each measurement, plus what clients added since. */
  get estimatedBytes(): number {
    return this.#measuredBytes + this.#bytesSince;
  }

  /** The encoded state's exact size, as just measured (the service measures after a quiet spell). */
  noteEncodedSize(bytes: number): void {
    this.#measuredBytes = bytes;
    this.#bytesSince = 0;
  }

  /**
   * Applies a client's document update, or throws FORBIDDEN / BAD_UPDATE /
   * BOARD_FULL with nothing applied.
   */
  applyClientUpdate(member: BoardMember, update: Uint8Array): void {
    this.#assertOpen();
    const rights = this.rightsOf(member.identity, member.standing());
    if (!rights.canDraw) {
      this.#refused++;
      throw new BoardError('FORBIDDEN', 'you may not draw on this board');
    }
    // An exactly sized copy: what is validated is what is applied, and no decoder can read past it into a pooled buffer.
    const bytes = new Uint8Array(update);
    const verdict = validateUpdate(this.doc.doc, bytes);
    if (!verdict.ok) {
      this.#refused++;
      throw new BoardError('BAD_UPDATE', verdict.reason);
    }
    // Deletions (no structs) always pass, so a full board can be cleaned up.
    if (verdict.structs > 0 && this.estimatedBytes + bytes.byteLength > this.#maxBytes) {
      this.#refused++;
      throw new BoardError('BOARD_FULL', `this board is full (${Math.round(this.#maxBytes / 1024 / 1024)} MB); delete something first`);
    }
    this.#updates++;
    this.#bytesSince += bytes.byteLength;
    Y.applyUpdate(this.doc.doc, bytes, member);
    const store = this.doc.doc.store;
    if (store.pendingStructs || store.pendingDs) {
      // validateUpdate refuses whatever Yjs would keep pending; should anything slip through, do not keep it.
      log.warn({ board: this.id }, 'an accepted update left pending changes; dropped them');
      store.pendingStructs = null;
      store.pendingDs = null;
    }
  }

  applyClientAwareness(member: BoardMember, update: Uint8Array): void {
    this.#assertOpen();
    // Own copy, as for document updates; `decodeAwareness` bounds the count and each state's size.
    const bytes = new Uint8Array(update);
    const entries = decodeAwareness(bytes);
    for (const entry of entries) {
      for (const other of this.members.values()) {
        if (other !== member && other.awarenessClients.has(entry.clientId)) throw new BoardError('FORBIDDEN', 'that awareness client belongs to someone else');
      }
      if (entry.state !== null && entry.state.user.id !== member.identity.userId) throw new BoardError('FORBIDDEN', 'awareness must carry your own user id');
    }
    const announced = new Set([...member.awarenessClients, ...entries.map((e) => e.clientId)]);
    if (announced.size > MAX_AWARENESS_CLIENTS_PER_MEMBER) {
      throw new BoardError('BAD_REQUEST', `a connection speaks for at most ${MAX_AWARENESS_CLIENTS_PER_MEMBER} awareness clients`);
    }
    for (const entry of entries) member.awarenessClients.add(entry.clientId);
    awarenessProtocol.applyAwarenessUpdate(this.awareness, bytes, member);
    for (const other of this.members.values()) if (other !== member) other.send('board.awareness', { board: this.id, update: bytes });
  }

  /** Everyone's presence except the asker's, for a late joiner. */
  awarenessSnapshot(): Uint8Array | undefined {
    const clients = [...this.awareness.getStates().keys()];
    return clients.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients) : undefined;
  }

  setAccess(member: BoardMember, access: AccessSettings): void {
    this.#assertOpen();
    if (!this.rightsOf(member.identity, member.standing()).isHost) throw new BoardError('FORBIDDEN', 'only the host may change who draws');
    this.#access = access;
    this.emit('meta');
    this.refreshRights();
  }

  /** Removes every object of a page: the host anywhere, the presenter on the annotation page. */
  clear(member: BoardMember, page: string): number {
    this.#assertOpen();
    const rights = this.rightsOf(member.identity, member.standing());
    const allowed = rights.isHost || (page === ANNOTATION_PAGE_ID && rights.isPresenter);
    if (!allowed) throw new BoardError('FORBIDDEN', page === ANNOTATION_PAGE_ID ? 'only the host or the presenter may clear the annotations' : 'only the host may clear a page');
    return this.doc.clearPage(page, SERVER_ORIGIN);
  }

  /** REST import: replaces the whole content; connected clients receive it as an ordinary update. */
  importJson(json: BoardJson): void {
    this.#assertOpen();
    this.doc.replaceWith(json, SERVER_ORIGIN);
  }

  exportJson(): BoardJson {
    return this.doc.toJSON(this.id);
  }

  encodeState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc.doc);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.awareness.destroy();
    this.members.clear();
    this.removeAllListeners();
    this.doc.doc.destroy();
  }

  dump() {
    return {
      id: this.id,
      createdAt: this.createdAt,
      access: this.#access,
      members: [...this.members.values()].map((m) => ({ userId: m.identity.userId, name: m.identity.name })),
      pages: this.doc.listPages(),
      objects: this.doc.objectCount,
    };
  }

  getStats() {
    return { objects: this.doc.objectCount, members: this.members.size, updatesApplied: this.#updates, updatesRefused: this.#refused };
  }

  #assertOpen(): void {
    if (this.#closed) throw new BoardError('NOT_FOUND', 'the board is closed');
  }
}
