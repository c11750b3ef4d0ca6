import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * The event loop's longest stall while `work` runs, in ms: the health check
 * of the tests (a stalled loop is what made /healthz time out). Waits, on a
 * condition, for one sample taken after the work, so a stall at its very end
 * is seen too.
 */
export async function lagDuring(work: () => unknown): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    await work();
    const samples = histogram.count;
    const deadline = Date.now() + 5_000;
    while (histogram.count <= samples + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return histogram.max / 1e6;
  } finally {
    histogram.disable();
  }
}
