/**
 * `npm run bench:shell -w e2e`: time to interactive of the signed-in shell
 * in headless Chromium, from navigation start to the Meetings tab's list
 * rendered and clickable (its first "Start"/"Join" button connected,
 * visible and enabled, and a frame painted after it).
 *
 * Each run is a person opening the app signed in: a fresh browser context
 * (empty HTTP cache: "cold") with its session in localStorage, as a
 * previous visit would have left it; then a reload in the same context
 * ("warm": the bundle from cache, the API asked again). The account has 12
 * meetings (4 scheduled, 8 recent), so the list has something to draw.
 *
 * Options: --runs N (default 15), --throttle N (Chromium CPU slow-down
 * factor, default 1: none). Writes JSON and Markdown to e2e/bench-results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { LogCodeChannel } from '@muster/accounts';
import { startTestServer, waitUntil } from '@muster/server/testing';
import { assertWebClientBuilt, chromiumInstalled, launchBrowser } from '../fixtures/browser.ts';

const args = process.argv.slice(2);
const argValue = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RUNS = argValue('--runs', 15);
const THROTTLE = argValue('--throttle', 1);
const PASSWORD = 'heron-valley-63';
const PHONE = '+8613900000900';

/**
 * Runs in the page before its own scripts: notes the moment the Meetings
 * list first holds a clickable button (a MutationObserver, so no polling
 * interval is in the figure), then the next painted frame.
 */
const READY_PROBE = `(() => {
  const w = window;
  const ready = () => {
    const list = document.querySelector('[data-testid="my-meetings"][data-state="ready"]');
    const button = list && list.querySelector('[data-testid="meeting-open"]');
    return !!button && button.isConnected && button.offsetParent !== null && !button.disabled;
  };
  const observer = new MutationObserver(() => {
    if (w.__shellRendered !== undefined || !ready()) return;
    w.__shellRendered = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { w.__shellInteractive = performance.now(); }, 0));
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-state'] });
  w.__paints = {};
  new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__paints[e.name] = e.startTime; }).observe({ type: 'paint', buffered: true });
})();`;

interface Sample {
  /** Navigation start → the list holds a clickable button. */
  renderedMs: number;
  /** …and a frame has been painted with it: interactive. */
  interactiveMs: number;
  firstContentfulPaintMs: number | null;
  domContentLoadedMs: number;
  /** Script bytes transferred (0 when cached). */
  scriptKiB: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const round = (n: number) => Math.round(n * 10) / 10;

function summary(samples: Sample[]) {
  const of = (pick: (s: Sample) => number | null) => {
    const values = samples.map(pick).filter((v): v is number => v !== null).sort((a, b) => a - b);
    return { median: round(quantile(values, 0.5)), p95: round(quantile(values, 0.95)), min: round(values[0] ?? NaN), max: round(values.at(-1) ?? NaN) };
  };
  return {
    interactiveMs: of((s) => s.interactiveMs),
    renderedMs: of((s) => s.renderedMs),
    firstContentfulPaintMs: of((s) => s.firstContentfulPaintMs),
    domContentLoadedMs: of((s) => s.domContentLoadedMs),
    scriptKiB: of((s) => s.scriptKiB),
  };
}

async function measure(page: Page): Promise<Sample> {
  await page.waitForFunction(() => (window as unknown as { __shellInteractive?: number }).__shellInteractive !== undefined, undefined, { timeout: 30_000, polling: 50 });
  // Clickable, as Playwright judges it too (visible, stable, enabled, receives events): checked, not timed.
  await page.locator('[data-testid="my-meetings"] [data-testid="meeting-open"]').first().click({ trial: true, timeout: 5_000 });
  return page.evaluate(() => {
    const w = window as unknown as { __shellRendered: number; __shellInteractive: number; __paints: Record<string, number> };
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const scripts = performance.getEntriesByType('resource').filter((e) => (e as PerformanceResourceTiming).initiatorType === 'script' || e.name.endsWith('.js')) as PerformanceResourceTiming[];
    return {
      renderedMs: w.__shellRendered,
      interactiveMs: w.__shellInteractive,
      firstContentfulPaintMs: w.__paints['first-contentful-paint'] ?? null,
      domContentLoadedMs: nav.domContentLoadedEventEnd,
      scriptKiB: scripts.reduce((sum, e) => sum + (e.transferSize || 0), 0) / 1024,
    };
  });
}

async function main(): Promise<void> {
  if (!chromiumInstalled()) throw new Error('no Chromium (apt-get install chromium, or set MUSTER_CHROMIUM_PATH)');
  assertWebClientBuilt();
  const server = await startTestServer();
  let browser: Browser | undefined;
  try {
    const api = (method: string, route: string, body?: unknown, token?: string) =>
      fetch(`${server.url}/api/v1${route}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (res) => {
        if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
        return res.status === 204 ? null : res.json();
      });
    await api('POST', '/auth/codes', { phone: PHONE, purpose: 'signup' });
    const channel = server.accounts.channel as LogCodeChannel;
    const code = await waitUntil(() => channel.pending().find((p) => p.phone === PHONE)?.code, 10_000, 'the sign-up code');
    const first = (await api('POST', '/auth/signup', { phone: PHONE, code, password: PASSWORD, nickname: 'Bench Person' })) as { accessToken: string };
    for (let i = 0; i < 12; i++) {
      await api('POST', '/me/meetings', { topic: `Meeting ${i + 1}`, ...(i < 4 ? { startsAt: Date.now() + (i + 1) * 86_400_000 } : {}) }, first.accessToken);
    }

    browser = await launchBrowser();
    const cold: Sample[] = [];
    const warm: Sample[] = [];
    // One unmeasured run first: Chromium's own start-up (first GPU-less raster, code caches) is not the app's.
    for (let run = -1; run < RUNS; run++) {
      // Each run is its own device, signed in the way a previous visit leaves it.
      const session = (await api('POST', '/auth/login', { phone: PHONE, password: PASSWORD, device: { name: `bench ${run}`, platform: 'web' } })) as Record<string, unknown>;
      const stored = JSON.stringify({ user: session.user, accessToken: session.accessToken, accessTokenExpiresAt: session.accessTokenExpiresAt, refreshToken: session.refreshToken, deviceId: session.deviceId });
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript({ content: `if (location.origin === ${JSON.stringify(new URL(server.url).origin)} && !localStorage.getItem('muster.session')) localStorage.setItem('muster.session', ${JSON.stringify(stored)});` });
      await context.addInitScript({ content: READY_PROBE });
      const page = await context.newPage();
      if (THROTTLE > 1) await (await context.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
      await page.goto(server.url);
      const coldSample = await measure(page);
      await page.reload();
      const warmSample = await measure(page);
      if (run >= 0) {
        cold.push(coldSample);
        warm.push(warmSample);
      }
      await context.close();
      await api('POST', '/auth/logout', { refreshToken: session.refreshToken }).catch(() => undefined);
    }

    const cpus = os.cpus();
    const result = {
      benchmark: 'shell',
      at: new Date().toISOString(),
      machine: { cpus: cpus.length, model: cpus[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg().map(round), chromium: browser.version() },
      runs: RUNS,
      cpuThrottle: THROTTLE,
      meetings: { scheduled: 4, recent: 8 },
      cold: summary(cold),
      warm: summary(warm),
      samples: { cold, warm },
    };
    const dir = path.resolve(new URL('../../bench-results', import.meta.url).pathname);
    fs.mkdirSync(dir, { recursive: true });
    const stamp = result.at.replace(/[:.]/g, '-');
    fs.writeFileSync(path.join(dir, `shell-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
    const row = (label: string, s: ReturnType<typeof summary>) =>
      `| ${label} | ${s.interactiveMs.median} ms | ${s.interactiveMs.p95} ms | ${s.renderedMs.median} ms | ${s.firstContentfulPaintMs.median} ms | ${s.domContentLoadedMs.median} ms | ${s.scriptKiB.median.toFixed(0)} KiB |`;
    const md = [
      `# Signed-in shell: time to interactive, ${result.at}`,
      '',
      `Machine: ${result.machine.cpus} × ${result.machine.model}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, Chromium ${result.machine.chromium} (headless, no GPU); load average at the end ${result.machine.loadAverage.join(' / ')}.`,
      `${RUNS} runs${THROTTLE > 1 ? `, CPU throttled ×${THROTTLE}` : ''}; server on the same machine (loopback). Interactive: navigation start → the Meetings list's first button connected, visible and enabled, and a frame painted.`,
      '',
      '| load | interactive (median) | interactive (p95) | list rendered (median) | first contentful paint (median) | DOMContentLoaded (median) | scripts transferred |',
      '|---|---|---|---|---|---|---|',
      row('cold (new context, empty cache)', result.cold),
      row('warm (reload)', result.warm),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, `shell-${stamp}.md`), md);
    process.stdout.write(`${md}\n`);
  } finally {
    await browser?.close();
    await server.close();
  }
}

await main();
process.exit(0);
