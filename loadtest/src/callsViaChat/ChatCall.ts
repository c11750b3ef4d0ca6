/**
 * One call from a chat, as two people's devices make it (in a bot process):
 * both signed in over longlink with the IM client SDK (`CallsClient` on the
 * `AccountTransport`), the caller rings from their one-to-one conversation,
 * the callee's device rings and answers at once, and both join the private
 * room the call yields with the load test's media bots, as the web client's
 * call does (web-demo/src/call/session.ts): the caller joins as the call
 * starts and the callee while it rings, both publishing *held* (paused on
 * the server), and each releases its media when it learns of the answer
 * (the callee from its accept's reply, the caller from `im.call.accepted`).
 */
import { CallsClient, type IncomingCall } from '@muster/im/client';
import { Bot, type BotSpec, type ReceiveSink } from '../Bot.ts';
import { openImConnection, type ImConnection } from '../chat/imConnection.ts';
import type { Way, Ways } from './processCalls.ts';

/** One side of a call: who, and the bot that carries their media. */
export interface CallPartySpec {
  userId: string;
  accessToken: string;
  /** Its `room` is a placeholder until the call yields one. */
  bot: BotSpec;
}

/** What a bot process is told of one call to make (coordinator → bot process). */
export interface ChatCallSpec {
  /** The plan's id of the call: its bots report under it, as the calls scenario's do. */
  callId: string;
  kind: 'video' | 'voice';
  /** The server both people reach (one of `--url`'s): a call's ringing state and its room live in one app. */
  url: string;
  conversationId: string;
  caller: CallPartySpec;
  callee: CallPartySpec;
}

/** A call's moments (ms since the epoch, this process's clock); null until they happen. */
export interface CallTimes {
  /** The caller's POST /calls sent: the ring. */
  ringSentAt: number;
  /** The callee's device got `im.call.ring`. */
  ringingAt: number | null;
  /** The caller's device got `im.call.accepted`. */
  acceptedAt: number | null;
}

/** Hooks into the bot process: its bots and its join and failure counts. */
export interface CallHooks {
  /** A bot made for this call: the process sends its packets and counts it (joined / failed). */
  joinBot(bot: Bot, url: string): Promise<void>;
  /** The call failed at `step`; `botsNeverMade` of its two bots never got to join. */
  failed(step: string, error: Error, botsNeverMade: number): void;
}

export class ChatCall {
  readonly spec: ChatCallSpec;
  readonly #sink: ReceiveSink;
  readonly #hooks: CallHooks;
  #links: ImConnection[] = [];
  callerBot: Bot | null = null;
  calleeBot: Bot | null = null;
  times: CallTimes | null = null;
  #callerCalls: CallsClient | null = null;
  /** Reported once: a call fails at its first failing step. */
  #failed = false;
  #closed = false;
  /** Set up in full (both sides got the other's media) and counted by the process's tally. */
  counted = false;

  constructor(spec: ChatCallSpec, sink: ReceiveSink, hooks: CallHooks) {
    this.spec = spec;
    this.#sink = sink;
    this.#hooks = hooks;
  }

  /** When both sides received the other's media (ms since the epoch), or null. */
  get mediaAt(): number | null {
    const a = this.callerBot?.connectedAt ?? null;
    const b = this.calleeBot?.connectedAt ?? null;
    return a === null || b === null ? null : Math.max(a, b);
  }

  /** Signs both people in, rings, answers, joins: see the file's comment. Failures are reported through the hooks, never thrown. */
  async run(): Promise<void> {
    const { spec } = this;
    try {
      const [caller, callee] = [spec.caller, spec.callee].map((p) => openImConnection(spec.url, 'longlink', p.accessToken, { rest: true }));
      this.#links = [caller!, callee!];
      await at('sign-in', Promise.all(this.#links.map((l) => l.connected)));
      const callerCalls = new CallsClient(caller!.transport, () => spec.caller.userId);
      const calleeCalls = new CallsClient(callee!.transport, () => spec.callee.userId);
      this.#callerCalls = callerCalls;
      // The caller learns of the answer from the event, which can come before the reply to its
      // own ring when the callee answers at once: a person is in one call, so any is this one.
      const answered = new Promise<number>((resolve, reject) => {
        caller!.transport.on('im.call.accepted', () => resolve(Date.now()));
        caller!.transport.on('im.call.ended', (call) => reject(new Error(`the call ended: ${call.state}`)));
      });
      answered.catch(() => undefined);
      const rung = new Promise<IncomingCall>((resolve) => {
        const stop = calleeCalls.subscribe((snapshot) => {
          const ring = snapshot.incoming.find((c) => c.conversationId === spec.conversationId);
          if (!ring) return;
          stop();
          resolve(ring);
        });
      });
      // As a device that opens: what is live now (nothing), then every change from the events.
      await at('sign-in', Promise.all([callerCalls.start(), calleeCalls.start()]));
      if (this.#closed) return;

      const times: CallTimes = { ringSentAt: Date.now(), ringingAt: null, acceptedAt: null };
      this.times = times;
      const callerSide = async () => {
        const call = await at('ring', callerCalls.call(spec.conversationId, spec.kind));
        if (call.state !== 'ringing' || !call.roomId) throw new CallStepError('ring', new Error(`the call is ${call.state}`));
        this.callerBot = new Bot({ ...spec.caller.bot, room: call.roomId, accessToken: spec.caller.accessToken, held: true }, this.#sink);
        const joined = at('caller join', this.#hooks.joinBot(this.callerBot, spec.url));
        times.acceptedAt = await at('answer', answered);
        await joined;
        await at('caller release', this.callerBot.release());
      };
      // The callee's device pre-connects to the call's room (held) and answers at once.
      const calleeSide = async () => {
        const ring = await rung;
        times.ringingAt = Date.now();
        if (!ring.roomId) throw new CallStepError('ring', new Error('a ring without a room'));
        this.calleeBot = new Bot({ ...spec.callee.bot, room: ring.roomId, accessToken: spec.callee.accessToken, held: true }, this.#sink);
        const joined = at('callee join', this.#hooks.joinBot(this.calleeBot, spec.url));
        await at('accept', calleeCalls.accept(ring.callId));
        await joined;
        await at('callee release', this.calleeBot.release());
      };
      await Promise.all([callerSide(), calleeSide()]);
    } catch (error) {
      const e = error instanceof CallStepError ? error : new CallStepError('call', error as Error);
      this.#fail(e.step, e.cause);
    }
  }

  #fail(step: string, error: Error): void {
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    this.#hooks.failed(step, error, (this.callerBot ? 0 : 1) + (this.calleeBot ? 0 : 1));
  }

  /**
   * Packets each way: what one side's bot sent, and of the streams the
   * other side's bot received (a two-person room: only from this one), the
   * packets expected by their RTP probes' sequence numbers (first to last
   * received) and those received.
   */
  directions(): Ways {
    const way = (from: Bot | null, to: Bot | null): Way => {
      const totals = to?.streamTotals();
      return { sent: from?.packetsSent ?? 0, expected: totals?.expected ?? 0, received: totals?.received ?? 0 };
    };
    return { callerToCallee: way(this.callerBot, this.calleeBot), calleeToCaller: way(this.calleeBot, this.callerBot) };
  }

  /** Hangs up (the call ends on the server and leaves its record), leaves the room, signs out. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.race([this.#callerCalls?.end().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
    await Promise.allSettled([this.callerBot?.close(), this.calleeBot?.close()]);
    for (const link of this.#links) link.socket.close();
  }
}

/** A failure, with the step of the call it happened in. */
class CallStepError extends Error {
  readonly step: string;
  override readonly cause: Error;
  constructor(step: string, cause: Error) {
    super(`${step}: ${cause.message}`);
    this.step = step;
    this.cause = cause;
  }
}

/** `promise`, its failure labelled with `step`. */
function at<T>(step: string, promise: Promise<T>): Promise<T> {
  return promise.catch((error: Error) => {
    throw error instanceof CallStepError ? error : new CallStepError(step, error);
  });
}
