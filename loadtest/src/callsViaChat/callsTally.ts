/**
 * The coordinator's view of the calls via chat: each second it keeps the bot
 * processes' latest samples (everything in them counts from the start),
 * marks the packet counts at the steady window's edges, and sums it all up
 * for the report.
 */
import { LatencyHistogram } from '../LatencyHistogram.ts';
import type { FleetSample } from '../fleetProtocol.ts';
import { CALL_KINDS, noWays, plusWay, SETUP_PHASES, type CallKind, type ChatCallsSample, type SetupPhase, type Way, type Ways } from './processCalls.ts';

const round = (v: number | null, digits = 2) => (v === null || !Number.isFinite(v) ? null : Math.round(v * 10 ** digits) / 10 ** digits);

export interface PhasePercentiles {
  p50Ms: number | null;
  p99Ms: number | null;
  count: number;
}
/** Set-up time (ring sent → both sides have the other's first media) and its phases. */
export type SetupSummary = PhasePercentiles & { ring: PhasePercentiles; ringToAccepted: PhasePercentiles; acceptedToMedia: PhasePercentiles };
export interface WayLoss extends Way {
  ratio: number | null;
}
/** Packets lost, 1 − received / expected (see Way): both ways together, and each way. */
export type KindLoss = WayLoss & { callerToCallee: WayLoss; calleeToCaller: WayLoss };

const wayLoss = (w: Way): WayLoss => ({ ...w, ratio: w.expected > 0 ? round(Math.max(0, 1 - w.received / w.expected), 6) : null });
const minus = (a: Way, b: Way): Way => ({ sent: a.sent - b.sent, expected: a.expected - b.expected, received: a.received - b.received });
const kindLoss = (w: Ways): KindLoss => ({ ...wayLoss(plusWay(w.callerToCallee, w.calleeToCaller)), callerToCallee: wayLoss(w.callerToCallee), calleeToCaller: wayLoss(w.calleeToCaller) });

export class CallsTally {
  #latest: ChatCallsSample[] = [];
  #steadyStart: Record<CallKind, Ways> | null = null;
  #steadyEnd: Record<CallKind, Ways> | null = null;

  /** For CallMaker.onSecond. */
  readonly onSecond = (samples: FleetSample[], edge: 'steady-start' | 'steady-end' | null): void => {
    this.#latest = samples.flatMap((s) => (s.viaChat ? [s.viaChat] : []));
    if (edge === 'steady-start') this.#steadyStart = this.#packets();
    if (edge === 'steady-end') this.#steadyEnd = this.#packets();
  };

  #packets(): Record<CallKind, Ways> {
    const total = { video: noWays(), voice: noWays() };
    for (const sample of this.#latest) {
      for (const kind of CALL_KINDS) {
        total[kind].callerToCallee = plusWay(total[kind].callerToCallee, sample.packets[kind].callerToCallee);
        total[kind].calleeToCaller = plusWay(total[kind].calleeToCaller, sample.packets[kind].calleeToCaller);
      }
    }
    return total;
  }

  /** Set-up times of every call that came up, ramp and steady window alike (a call is set up once). */
  setup(): SetupSummary & Record<CallKind, SetupSummary> {
    const of = (kinds: readonly CallKind[]): SetupSummary => {
      const phase = (p: SetupPhase): PhasePercentiles => {
        const h = new LatencyHistogram();
        for (const sample of this.#latest) for (const kind of kinds) h.merge(LatencyHistogram.from(sample.setup[kind][p]));
        return { p50Ms: round(h.percentile(0.5), 1), p99Ms: round(h.percentile(0.99), 1), count: h.count };
      };
      return { ...phase('setup'), ring: phase('ring'), ringToAccepted: phase('ringToAccepted'), acceptedToMedia: phase('acceptedToMedia') };
    };
    return { ...of(CALL_KINDS), video: of(['video']), voice: of(['voice']) };
  }

  /**
   * Loss in the steady window (every call up), from the bots' RTP counters,
   * each way of every call (see Way). `wholeRun`: the same from each stream's
   * first packet on, over the whole run.
   */
  loss(): KindLoss & Record<CallKind, KindLoss> & { window: 'steady'; wholeRun: WayLoss } {
    const end = this.#steadyEnd ?? this.#packets();
    const start = this.#steadyStart ?? { video: noWays(), voice: noWays() };
    const window = Object.fromEntries(
      CALL_KINDS.map((k) => [k, { callerToCallee: minus(end[k].callerToCallee, start[k].callerToCallee), calleeToCaller: minus(end[k].calleeToCaller, start[k].calleeToCaller) }]),
    ) as Record<CallKind, Ways>;
    const both = (w: Record<CallKind, Ways>): Ways => ({ callerToCallee: plusWay(w.video.callerToCallee, w.voice.callerToCallee), calleeToCaller: plusWay(w.video.calleeToCaller, w.voice.calleeToCaller) });
    const all = both(end);
    return { ...kindLoss(both(window)), window: 'steady', video: kindLoss(window.video), voice: kindLoss(window.voice), wholeRun: wayLoss(plusWay(all.callerToCallee, all.calleeToCaller)) };
  }

  /** Calls rung, set up in full, and those that failed by the step they failed at, from the processes' counts. */
  outcomes(): { rung: number; setUp: number; failedAt: Record<string, number>; byMediaAddress: Record<string, number> } {
    const sum = (pick: (s: ChatCallsSample) => Record<string, number>) => {
      const total: Record<string, number> = {};
      for (const s of this.#latest) for (const [key, n] of Object.entries(pick(s))) total[key] = (total[key] ?? 0) + n;
      return total;
    };
    return {
      rung: this.#latest.reduce((a, s) => a + s.rung, 0),
      setUp: this.#latest.reduce((a, s) => a + s.setUp, 0),
      failedAt: sum((s) => s.failedAt),
      byMediaAddress: sum((s) => s.byMediaAddress),
    };
  }
}
