import type { CallMedia, CallView, CallEventMap } from '../callProtocol.ts';
import type { ImTransport } from './transport.ts';

/** A call ringing on this device. */
export type IncomingCall = CallEventMap['im.call.ring'];

export interface CallsSnapshot {
  /** Calls ringing here, oldest first (one-to-one and group invitations). */
  incoming: IncomingCall[];
  /** My one-to-one call: calling out (ringing), or connected. Null when none. */
  current: CallView | null;
  /** The last call of mine that ended, until the next one starts (for "call ended" / "busy" / "declined"). */
  ended: CallView | null;
}

/**
 * Calls from a chat, for a client (an ImClient part: `client.use((t, me) =>
 * new CallsClient(t, me))`): what rings on this device, my current call, and
 * the REST actions. It follows `im.call.*` events; on (re)connection it asks
 * the server which calls are still live.
 */
export class CallsClient {
  readonly #t: ImTransport;
  readonly #me: () => string | null;
  readonly #listeners = new Set<(snapshot: CallsSnapshot) => void>();
  readonly #offs: (() => void)[] = [];
  /** Calls this device is accepting: their `answered-elsewhere` stop is ours. */
  readonly #accepting = new Set<string>();
  #snapshot: CallsSnapshot = { incoming: [], current: null, ended: null };
  /** call() requests awaiting their answer. */
  #placing = 0;
  /**
   * Answers and ends of calls heard while a call() was awaiting its answer:
   * a callee answering at once can beat the answer to the caller's own
   * request, and the caller's call must not stay "ringing" for it.
   */
  readonly #early = new Map<string, { answeredAt?: number; ended?: CallView }>();

  constructor(transport: ImTransport, me: () => string | null) {
    this.#t = transport;
    this.#me = me;
  }

  get snapshot(): CallsSnapshot {
    return this.#snapshot;
  }

  /** Called with every change; returns the unsubscribe. */
  subscribe(listener: (snapshot: CallsSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): Promise<void> {
    if (this.#offs.length === 0) {
      this.#offs.push(
        this.#t.on('im.call.ring', (ring) => {
          if (this.#snapshot.incoming.some((c) => c.callId === ring.callId)) return;
          this.#set({ incoming: [...this.#snapshot.incoming, ring] });
        }),
        this.#t.on('im.call.stop', ({ callId, reason }) => {
          if (reason === 'answered-elsewhere' && this.#accepting.has(callId)) return;
          this.#dropIncoming(callId);
        }),
        this.#t.on('im.call.accepted', ({ callId, answeredAt }) => {
          if (this.#placing > 0) this.#early.set(callId, { ...this.#early.get(callId), answeredAt });
          const current = this.#snapshot.current;
          if (current?.id === callId) this.#set({ current: { ...current, state: 'connected', answeredAt } });
          else if (!this.#accepting.has(callId)) this.#dropIncoming(callId);
        }),
        this.#t.on('im.call.ended', (call) => {
          if (this.#placing > 0) this.#early.set(call.id, { ...this.#early.get(call.id), ended: call });
          this.#accepting.delete(call.id);
          const incoming = this.#snapshot.incoming.filter((c) => c.callId !== call.id);
          if (this.#snapshot.current?.id === call.id) this.#set({ incoming, current: null, ended: call });
          else this.#set({ incoming });
        }),
        this.#t.onConnected(() => void this.refresh().catch(() => undefined)),
      );
    }
    return this.refresh();
  }

  stop(): void {
    for (const off of this.#offs.splice(0)) off();
  }

  /** Asks the server which calls are live (after a reconnection or a reload). */
  async refresh(): Promise<void> {
    const me = this.#me();
    const live = await this.#t.request<CallView[]>('GET', '/calls');
    const current = live.find((c) => c.kind === 'direct' && (c.caller.id === me || c.state === 'connected')) ?? null;
    const incoming = live
      .filter((c) => c.state === 'ringing' && c.caller.id !== me)
      .map((c): IncomingCall => ({ callId: c.id, conversationId: c.conversationId, kind: c.kind, media: c.media, caller: c.caller, roomId: c.roomId, link: c.link, ringsUntil: c.ringsUntil }));
    this.#set({ current, incoming });
  }

  /** Calls from a conversation: a one-to-one call rings the other person; a group one rings `invitees` into a new meeting. */
  async call(conversationId: string, media: CallMedia, invitees?: string[]): Promise<CallView> {
    this.#placing++;
    let call: CallView;
    try {
      call = await this.#t.request<CallView>('POST', '/calls', { conversationId, media, ...(invitees ? { invitees } : {}) });
    } finally {
      this.#placing--;
    }
    const early = this.#early.get(call.id);
    if (this.#placing === 0) this.#early.clear();
    if (call.kind !== 'direct') return call;
    if (early?.ended) this.#set({ current: null, ended: early.ended });
    else if (call.state === 'busy') this.#set({ ended: call, current: null });
    else this.#set({ current: early?.answeredAt !== undefined && call.state === 'ringing' ? { ...call, state: 'connected', answeredAt: early.answeredAt } : call, ended: null });
    return call;
  }

  async accept(callId: string): Promise<CallView> {
    this.#accepting.add(callId);
    try {
      const call = await this.#t.request<CallView>('POST', `/calls/${encodeURIComponent(callId)}/accept`);
      const incoming = this.#snapshot.incoming.filter((c) => c.callId !== callId);
      // One change: the ring becomes the current call.
      this.#set(call.kind === 'direct' ? { incoming, current: call, ended: null } : { incoming });
      return call;
    } catch (error) {
      this.#accepting.delete(callId);
      // UNAVAILABLE: the server holding the call did not answer this time; the call may still ring, and accept may be tried again.
      if ((error as { code?: string }).code !== 'UNAVAILABLE') this.#dropIncoming(callId);
      throw error;
    }
  }

  async decline(callId: string): Promise<void> {
    this.#dropIncoming(callId);
    await this.#t.request<CallView>('POST', `/calls/${encodeURIComponent(callId)}/decline`);
  }

  /** Ends my current call: a cancel while it rings, a hang-up once answered. */
  async end(): Promise<void> {
    const current = this.#snapshot.current;
    if (!current) return;
    const action = current.state === 'ringing' ? 'cancel' : 'hangup';
    try {
      const call = await this.#t.request<CallView>('POST', `/calls/${encodeURIComponent(current.id)}/${action}`);
      this.#set({ current: null, ended: call });
    } catch {
      // Ended meanwhile (the other side hung up first): the ended event has it, or refresh does.
      this.#set({ current: null });
      await this.refresh().catch(() => undefined);
    }
  }

  /** Forgets the last ended call (its screen was dismissed). */
  dismissEnded(): void {
    if (this.#snapshot.ended) this.#set({ ended: null });
  }

  #dropIncoming(callId: string): void {
    if (!this.#snapshot.incoming.some((c) => c.callId === callId)) return;
    this.#set({ incoming: this.#snapshot.incoming.filter((c) => c.callId !== callId) });
  }

  #set(change: Partial<CallsSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of this.#listeners) listener(this.#snapshot);
  }
}
