/**
 * `npm run bench -w whiteboard`: what a board costs at the sizes the issue
 * names.
 *
 * - remote update latency: two clients on a board of 2000 objects; one moves
 *   an object, the time until the other's document has the move (socket.io
 *   round trip, server validation, apply, fan-out), p50 / p95;
 * - render time for 500 symbols: a board of 500 military symbols opened in
 *   headless Chromium at /b/<id>: building the canvas objects and drawing them
 *   all (zoomed to fit) and drawing the default view (off-screen ones culled).
 *
 * Options: --updates N (default 300), --json (machine-readable output).
 */
import { performance } from 'node:perf_hooks';
import { makeBoard } from '@muster/whiteboard/testing';
import { startBoardTestServer } from '@muster/whiteboard/testing';

const args = process.argv.slice(2);
const argValue = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const UPDATES = argValue('--updates', 300);
const asJson = args.includes('--json');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function remoteLatency(): Promise<{ objects: number; updates: number; p50Ms: number; p95Ms: number; maxMs: number }> {
  const server = await startBoardTestServer({ measureDelayMs: 500 });
  try {
    const board = makeBoard('bench-latency', 2000, 500);
    await server.service.importJson('bench-latency', board);
    // Sends at once, as a person dragging expects (the UI batches within 30 ms).
    const a = await server.client('bench-latency', { sendIntervalMs: 0 });
    const b = await server.client('bench-latency', { sendIntervalMs: 0 });
    if (b.doc.objectCount !== 2000) throw new Error(`expected 2000 objects, got ${b.doc.objectCount}`);
    const ids = board.pages.flatMap((p) => p.objects.map((o) => o.id));
    const samples: number[] = [];
    let lastSent = 0;
    for (let i = 0; i < UPDATES + 20; i++) {
      const id = ids[(i * 7919) % ids.length]!;
      const x = 10_000 + i;
      // Resolved by the other document's own update event, not by polling, so the figure has no poll interval in it.
      const arrived = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the move never arrived')), 10_000);
        const check = () => {
          if (b.doc.objects.get(id)?.get('x') !== x) return;
          clearTimeout(timer);
          b.doc.doc.off('update', check);
          resolve();
        };
        b.doc.doc.on('update', check);
      });
      // At most one move per 60 Hz frame, as a drag sends; faster would only measure the server's rate limit.
      while (performance.now() - lastSent < 16) await new Promise((r) => setTimeout(r, 2));
      lastSent = performance.now();
      const start = performance.now();
      a.update(id, { x });
      a.flush();
      await arrived;
      // The first few warm the JIT and the sockets.
      if (i >= 20) samples.push(performance.now() - start);
    }
    samples.sort((p, q) => p - q);
    return { objects: 2000, updates: samples.length, p50Ms: round(percentile(samples, 50)), p95Ms: round(percentile(samples, 95)), maxMs: round(samples[samples.length - 1]!) };
  } finally {
    await server.close();
  }
}

async function renderSymbols(): Promise<Record<string, number | string>> {
  const { chromiumInstalled, launchBrowser, assertWebClientBuilt } = await import('../fixtures/browser.ts');
  if (!chromiumInstalled()) return { skipped: 'no Chromium (apt-get install chromium)' };
  try {
    assertWebClientBuilt();
  } catch (error) {
    return { skipped: (error as Error).message };
  }
  const { startTestServer } = await import('@muster/server/testing');
  const server = await startTestServer();
  const browser = await launchBrowser();
  try {
    const board = makeBoard('bench-render', 500, 500);
    const put = await fetch(`${server.url}/api/v1/boards/bench-render`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiToken}` }, body: JSON.stringify(board) });
    if (!put.ok) throw new Error(`import failed: ${put.status}`);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.url}/b/bench-render?name=Bench`);
    await page.waitForFunction(() => window.__board?.client.joined === true && window.__board.client.doc.objectCount === 500, undefined, { timeout: 30_000 });
    // tsx keeps function names with a `__name` helper the page does not have.
    await page.evaluate('window.__name = (f) => f');
    return await page.evaluate(async () => {
      const { view } = window.__board!;
      const canvas = view.canvas;
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const build: number[] = [];
      const all: number[] = [];
      const culled: number[] = [];
      for (let run = 0; run < 5; run++) {
        view.resetView();
        let t = performance.now();
        view.rebind();
        build.push(performance.now() - t);
        // Symbol art decodes once per distinct symbol; wait for it so drawing measures drawing.
        await Promise.all(canvas.getObjects().map((o) => (o as unknown as { getElement?(): HTMLImageElement }).getElement?.()).filter((img) => img && !img.complete).map((img) => new Promise((r) => img!.addEventListener('load', r, { once: true }))));
        const bounds = view.bounds();
        const zoom = Math.min(canvas.width / bounds.width, canvas.height / bounds.height);
        canvas.setViewportTransform([zoom, 0, 0, zoom, -bounds.left * zoom, -bounds.top * zoom]);
        t = performance.now();
        canvas.renderAll();
        all.push(performance.now() - t);
        view.resetView();
        t = performance.now();
        canvas.renderAll();
        culled.push(performance.now() - t);
      }
      const visible = canvas.getObjects().filter((o) => o.isOnScreen()).length;
      return { symbols: 500, buildMs: Math.round(median(build) * 100) / 100, renderAllMs: Math.round(median(all) * 100) / 100, renderViewMs: Math.round(median(culled) * 100) / 100, visibleInView: visible };
    });
  } finally {
    await browser.close();
    await server.close();
  }
}

const latency = await remoteLatency();
const render = await renderSymbols();
if (asJson) {
  console.log(JSON.stringify({ latency, render }, null, 2));
} else {
  console.log('whiteboard benchmark');
  console.log(`  remote update latency, ${latency.objects} objects, ${latency.updates} moves: p50 ${latency.p50Ms} ms, p95 ${latency.p95Ms} ms, max ${latency.maxMs} ms`);
  if ('skipped' in render) console.log(`  render time for 500 symbols: skipped (${render.skipped})`);
  else console.log(`  render time for 500 symbols: build ${render.buildMs} ms, draw all (zoomed to fit) ${render.renderAllMs} ms, draw the view (${render.visibleInView} on screen, rest culled) ${render.renderViewMs} ms`);
}
process.exit(0);
