/**
 * Headless Chromium for the web client's end-to-end tests. Shared by every
 * browser test (meeting flow, phone layout, worker-crash recovery…), so the
 * flags, the "is Chromium here?" policy and the join helper live in one place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MUSTER_CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * The flags the tests run with. Fake capture devices and an auto-accepted
 * permission prompt stand in for a person with a webcam; autoplay is allowed
 * because tests join through a URL, not a click.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

const WEB_DIST = path.resolve(new URL('../../dist', import.meta.url).pathname);

export function chromiumInstalled(): boolean {
  return fs.existsSync(CHROMIUM_PATH);
}

/**
 * Whether browser tests should run. A missing Chromium skips them loudly on a
 * developer machine, but under CI=true they run anyway and fail in
 * launchBrowser(): CI must never go green by skipping its browser coverage.
 */
export function browserTestsEnabled(): boolean {
  if (chromiumInstalled()) return true;
  if (process.env.CI === 'true') return true;
  console.warn(
    [
      '',
      '!'.repeat(78),
      `!!  SKIPPING web-demo browser tests: no Chromium at ${CHROMIUM_PATH}`,
      '!!  Install it (apt-get install chromium) or set MUSTER_CHROMIUM_PATH.',
      '!!  Under CI=true these tests fail instead of skipping.',
      '!'.repeat(78),
      '',
    ].join('\n'),
  );
  return false;
}

/** Fails early, with the fix in the message, when the client was never built. */
export function assertWebClientBuilt(): void {
  if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
    throw new Error(`web-demo/dist is missing: run \`npm run build -w web-demo\` (root \`npm test\` does it) before the browser tests`);
  }
}

/**
 * Starts headless Chromium. Playwright gives every launch a fresh, temporary
 * --user-data-dir (and deletes it on close), so parallel test files never
 * share a profile lock, storage or permissions.
 *
 * Every context and page opened from the returned browser reports
 * Content-Security-Policy violations (see expectNoCspViolations).
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!chromiumInstalled()) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}${process.env.CI === 'true' ? ' (CI=true: browser tests must run, so this is a failure)' : ''}`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_FLAGS, ...extraArgs], timeout: 30_000 });
  return watchCspViolations(browser);
}

/** A Content-Security-Policy violation a page reported (a `securitypolicyviolation` event). */
export interface CspViolation {
  /** The directive that refused it, e.g. `style-src-attr`. */
  directive: string;
  /** What was refused: a URL, or `inline` / `eval`. */
  blockedURI: string;
  /** `enforce`, or `report` for a report-only policy. */
  disposition: string;
  sourceFile: string;
  line: number;
  sample: string;
  /** The page's URL when it happened. */
  page: string;
}

const cspViolations: CspViolation[] = [];

/**
 * Runs in every page before its own scripts (injected over the devtools
 * protocol, so the page's CSP does not apply to it): hands each violation to
 * the test process straight away, so none is lost to a navigation or a
 * closed page.
 */
const CSP_LISTENER = `addEventListener('securitypolicyviolation', (e) => {
  const report = globalThis.__musterCspViolation;
  if (typeof report === 'function') {
    report({ directive: e.effectiveDirective || e.violatedDirective, blockedURI: e.blockedURI, disposition: e.disposition,
      sourceFile: e.sourceFile, line: e.lineNumber, sample: e.sample });
  }
}, true);`;

async function watchContext(context: BrowserContext): Promise<BrowserContext> {
  await context.exposeBinding('__musterCspViolation', ({ page }, violation: Omit<CspViolation, 'page'>) => {
    cspViolations.push({ ...violation, page: page?.url() ?? '' });
    console.log(`[browser] CSP violation: ${violation.directive} refused ${violation.blockedURI || '(unknown)'} at ${violation.sourceFile}:${violation.line} ${violation.sample}`);
  });
  await context.addInitScript({ content: CSP_LISTENER });
  return context;
}

/** Makes every context (and page) the browser opens report CSP violations. */
function watchCspViolations(browser: Browser): Browser {
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = async (options?: BrowserContextOptions) => watchContext(await newContext(options));
  browser.newPage = async (options?: Parameters<Browser['newPage']>[0]) => {
    // A fresh page is about:blank: watching its context now still sees its first real document.
    const page = await newPage(options);
    await watchContext(page.context());
    return page;
  };
  return browser;
}

/** The CSP violations reported since the last call, which forgets them. */
export function takeCspViolations(): CspViolation[] {
  return cspViolations.splice(0);
}

/**
 * Fails (throws) when any page reported a Content-Security-Policy violation
 * since the last check, naming the directive and what it refused. Every
 * browser test file calls it after each test: the server's CSP is strict,
 * and a client change that trips it (an inline style, a script from another
 * origin…) must fail the suite, not only log a console error.
 */
export async function expectNoCspViolations(): Promise<void> {
  // Reports travel from the page over the devtools protocol: let late ones land.
  await new Promise((r) => setTimeout(r, 50));
  const violations = takeCspViolations();
  if (violations.length === 0) return;
  const lines = violations.map((v) => `  ${v.directive} refused ${v.blockedURI || '(unknown)'}${v.disposition === 'report' ? ' (report-only)' : ''} at ${v.sourceFile || '?'}:${v.line}${v.sample ? ` «${v.sample}»` : ''} on ${v.page}`);
  throw new Error(`${violations.length} Content-Security-Policy violation(s):\n${lines.join('\n')}`);
}

export interface OpenMeetingOptions {
  /** Page viewport; desktop 1280×720 by default. */
  viewport?: { width: number; height: number };
  /** Extra context options (e.g. isMobile, hasTouch for a phone). */
  context?: BrowserContextOptions;
  /** How long to wait for the join to complete. */
  timeoutMs?: number;
  /** More query parameters for the meeting URL, e.g. `codec=vp9&svc=L3T3_KEY` or `camera=0`. */
  query?: string;
}

/**
 * Opens /m/<room>?name=<name>&autojoin=1 in its own browser context (its own
 * storage, like a separate person) and resolves with the Page once it has
 * joined: connected, and its microphone and camera are published.
 * Close it with `page.context().close()`.
 */
export async function openMeeting(browser: Browser, baseUrl: string, room: string, name: string, opts: OpenMeetingOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 720 }, ...opts.context });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning' || message.text().startsWith('[muster]')) console.log(`[browser ${name}] ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => console.log(`[browser ${name}] page error: ${error.message}`));
  await page.goto(`${baseUrl}/m/${encodeURIComponent(room)}?name=${encodeURIComponent(name)}&autojoin=1${opts.query ? `&${opts.query}` : ''}`);
  await waitForJoined(page, opts.timeoutMs ?? 45_000);
  return page;
}

/** Waits for the meeting view's "joined" hook: connected and local media published. */
export async function waitForJoined(page: Page, timeoutMs = 30_000): Promise<void> {
  try {
    await page.waitForFunction(
      () => {
        const room = window.__muster?.room;
        const meeting = document.querySelector<HTMLElement>('[data-testid="meeting"]');
        return room?.state === 'connected' && meeting?.dataset.joined === 'true';
      },
      undefined,
      { timeout: timeoutMs, polling: 100 },
    );
  } catch (error) {
    // Say where the join got stuck, not just that it did.
    const state = await describePage(page).catch((e: Error) => `(page state unavailable: ${e.message})`);
    throw new Error(`${(error as Error).message}\npage state: ${state}`);
  }
}

/** A one-line summary of a meeting page, for failure messages. */
export function describePage(page: Page): Promise<string> {
  return page.evaluate(() => {
    const room = window.__muster?.room;
    const meeting = document.querySelector<HTMLElement>('[data-testid="meeting"]');
    return JSON.stringify({
      url: location.pathname + location.search,
      screen: document.querySelector('[data-testid]')?.getAttribute('data-testid'),
      joined: meeting?.dataset.joined,
      room: room && {
        state: room.state,
        id: room.participantId,
        publications: room.localParticipant?.publications.map((t) => `${t.source}${t.paused ? ':paused' : ''}`),
        remotes: [...room.remoteParticipants.values()].map((p) => `${p.name}:${p.tracks.size} tracks`),
        publisher: room.peerConnections.publisher?.connectionState,
        subscriber: room.peerConnections.subscriber?.connectionState,
      },
      toasts: document.querySelector('[data-testid="toasts"]')?.textContent,
    });
  });
}

/** The participant id of the person on `page`. */
export function participantId(page: Page): Promise<string> {
  return page.evaluate(() => window.__muster!.room.participantId!);
}
