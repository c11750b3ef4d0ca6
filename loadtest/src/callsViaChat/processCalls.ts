/**
 * The calls via chat of one bot process: starts them, and tells the
 * coordinator each second (in its FleetSample) how they went so far: the
 * set-up times of the calls that came up, by phase, and the counts of
 * packets each way and of outcomes.
 */
import type { ReceiveSink } from '../Bot.ts';
import { LatencyHistogram } from '../LatencyHistogram.ts';
import { ChatCall, type CallHooks, type ChatCallSpec } from './ChatCall.ts';

export const CALL_KINDS = ['video', 'voice'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

/**
 * A call's set-up, in phases (ms): `setup` ring sent → both sides received
 * the other's first media; `ring` ring sent → the callee's device rang;
 * `ringToAccepted` ring sent → the caller's device heard of the answer;
 * `acceptedToMedia` that → both sides' first media.
 */
export const SETUP_PHASES = ['setup', 'ring', 'ringToAccepted', 'acceptedToMedia'] as const;
export type SetupPhase = (typeof SETUP_PHASES)[number];

type HistogramJson = ReturnType<LatencyHistogram['toJSON']>;
/**
 * One way of a call: packets its sender's bot sent, and, by the RTP probes'
 * sequence numbers of the streams that arrived, the packets expected (first
 * to last received, RFC 3550's way) and received. Loss is 1 − received /
 * expected: immune to what is still in flight or queued in a busy receiving
 * process when it is read, and to a call whose other side never joined
 * (nothing expected), which counts as a failed call, not as loss.
 */
export interface Way {
  sent: number;
  expected: number;
  received: number;
}
export interface Ways {
  callerToCallee: Way;
  calleeToCaller: Way;
}

/**
 * One process's calls, in its per-second sample, all counted from the start:
 * the coordinator keeps only each process's latest sample, and set-up times
 * are too few to lose one second's of them.
 */
export interface ChatCallsSample {
  setup: Record<CallKind, Record<SetupPhase, HistogramJson>>;
  packets: Record<CallKind, Ways>;
  /** Calls rung (POST /calls sent), set up in full; failures by the step they failed at. */
  rung: number;
  setUp: number;
  failedAt: Record<string, number>;
  /** Calls set up, by the address the caller's media went to: which media host carried them. */
  byMediaAddress: Record<string, number>;
}

const byKind = <T,>(f: (kind: CallKind) => T) => ({ video: f('video'), voice: f('voice') }) as Record<CallKind, T>;
const byPhase = <T,>(f: (phase: SetupPhase) => T) => Object.fromEntries(SETUP_PHASES.map((p) => [p, f(p)])) as Record<SetupPhase, T>;
const noWay = (): Way => ({ sent: 0, expected: 0, received: 0 });
export const noWays = (): Ways => ({ callerToCallee: noWay(), calleeToCaller: noWay() });
export const plusWay = (a: Way, b: Way): Way => ({ sent: a.sent + b.sent, expected: a.expected + b.expected, received: a.received + b.received });

export class ProcessCalls {
  readonly #calls: ChatCall[] = [];
  readonly #sink: ReceiveSink;
  readonly #hooks: CallHooks;
  readonly #setup = byKind(() => byPhase(() => new LatencyHistogram()));
  #setUp = 0;
  readonly #failedAt: Record<string, number> = {};
  readonly #byMediaAddress: Record<string, number> = {};

  constructor(sink: ReceiveSink, hooks: CallHooks) {
    this.#sink = sink;
    this.#hooks = {
      joinBot: hooks.joinBot,
      failed: (step, error, botsNeverMade) => {
        this.#failedAt[step] = (this.#failedAt[step] ?? 0) + 1;
        hooks.failed(step, error, botsNeverMade);
      },
    };
  }

  get size(): number {
    return this.#calls.length;
  }

  /** Starts one call (it runs by itself; its failure is counted, not thrown). */
  start(spec: ChatCallSpec): void {
    const call = new ChatCall(spec, this.#sink, this.#hooks);
    this.#calls.push(call);
    void call.run();
  }

  sample(): ChatCallsSample {
    const packets = byKind(noWays);
    let rung = 0;
    for (const call of this.#calls) {
      const kind = call.spec.kind;
      if (call.times) rung++;
      const mediaAt = call.mediaAt;
      if (!call.counted && mediaAt !== null && call.times?.acceptedAt) {
        // Taken when both sides have the other's media: the bots stamp that moment themselves, so a second's sampling adds nothing.
        call.counted = true;
        this.#setUp++;
        const address = call.callerBot?.mediaAddress ?? 'unknown';
        this.#byMediaAddress[address] = (this.#byMediaAddress[address] ?? 0) + 1;
        const { ringSentAt, ringingAt, acceptedAt } = call.times;
        const h = this.#setup[kind];
        h.setup.record(mediaAt - ringSentAt);
        if (ringingAt !== null) h.ring.record(ringingAt - ringSentAt);
        h.ringToAccepted.record(acceptedAt - ringSentAt);
        h.acceptedToMedia.record(Math.max(0, mediaAt - acceptedAt));
      }
      const ways = call.directions();
      for (const way of ['callerToCallee', 'calleeToCaller'] as const) packets[kind][way] = plusWay(packets[kind][way], ways[way]);
    }
    const setup = byKind((kind) => byPhase((phase) => this.#setup[kind][phase].toJSON()));
    return { setup, packets, rung, setUp: this.#setUp, failedAt: { ...this.#failedAt }, byMediaAddress: { ...this.#byMediaAddress } };
  }

  close(): Promise<unknown> {
    return Promise.allSettled(this.#calls.map((c) => c.close()));
  }
}
