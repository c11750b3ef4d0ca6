/**
 * One bot process of the connections scenario: holds its share of the long
 * connections (at most 18,000: one process may have 20,000 open files),
 * opened evenly over the ramp from its own source addresses, kept alive by
 * one heartbeat timer for all of them, and counts what happens to them.
 *
 * Per connection it keeps a few bytes in typed arrays (state, tries, the
 * token generation it used, whether the announcement reached it) besides
 * what its connection kind holds. A refusal worth another try is tried
 * again from the ramp's timer: an expired access token after the person's
 * token is refreshed (once per person, whichever connection found out), a
 * full, stopping or overloaded gateway (GOING_AWAY, 503) after a back-off
 * that doubles with each try (1 s, 2 s, 4 s…, each ±50 % at random), as a
 * client of a busy server should: retried at once, a wave of refusals came
 * back as a bigger wave (462,185 retries in one 600k run). Tokens are also
 * refreshed ahead of their expiry (refreshAhead), as the web client's are:
 * refreshed only when refused, the 15-minute tokens of a 20-minute ramp all
 * expired in the same minute and the refreshes came as one wave.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LatencyHistogram } from '../LatencyHistogram.ts';
import { nowMs } from '../payload.ts';
import { TRY_AGAIN, UNAUTHORIZED, tokenExpiresAt, type BotUser, type ConnectionEvents, type ConnectionKind } from './ConnectionKind.ts';
import type { BotCommand, BotMessage, BotSample } from './connectionsProtocol.ts';
import { MAX_TRIES, sourceOf } from './FleetPlan.ts';
import { LonglinkConnections } from './LonglinkConnections.ts';
import { SocketIoConnections } from './SocketIoConnections.ts';
import { XmppConnections } from './XmppConnections.ts';

/** The ramp's timer: due connections are opened this often. */
const RAMP_TICK_MS = 10;
/** Retries opened per ramp tick at most, so a wave of refusals is not tried again all at once. */
const RETRIES_PER_TICK = 20;
/** The first back-off after a refusal worth another try; doubled with each try after it. */
const FIRST_BACKOFF_MS = 1_000;

/** Puts a refused connection back in the retry queue after its back-off (tries so far: 1 → about 1 s, 2 → 2 s…). */
function retryLater(slot: number): void {
  const backoff = FIRST_BACKOFF_MS * 2 ** Math.max(0, tries[slot]! - 1) * (0.5 + Math.random());
  setTimeout(() => {
    if (!halted) retryQueue.push(slot);
  }, backoff).unref();
}
/** A person's access token is refreshed this long before it expires, as the web client's is (AccountClient's refreshAheadMs). */
const REFRESH_AHEAD_MS = 60_000;
/** The heartbeat timer: each tick beats the connections whose turn has come, each once per heartbeat interval. */
const BEAT_TICK_MS = 100;
const SAMPLE_MS = 500;

const NEW = 0;
const OPENING = 1;
const UP = 2;
const REFUSED = 3;
const DROPPED = 4;
/** Refused, waiting to try again (in the retry queue, or for its person's token). */
const WAITING = 5;

const post = (message: BotMessage) => {
  if (process.connected) process.send!(message);
};

let kind: ConnectionKind | undefined;
let serverUrl = '';
let users: BotUser[] = [];
let slots: Uint32Array = new Uint32Array(0);
let addresses: string[] = [];
let state = new Uint8Array(0);
let tries = new Uint8Array(0);
let reachedBy = new Uint8Array(0);
/** The token generation each connection was opened with, and each person's current one. */
let openedWith = new Uint16Array(0);
let generation = new Uint16Array(0);
const retryQueue: number[] = [];
const refreshing = new Map<number, Promise<boolean>>();

let next = 0;
let halted = false;
const counts = { opened: 0, up: 0, open: 0, refreshOk: 0, refreshFailed: 0, reached: 0, lastSettledAt: 0 };
const refused: Record<string, number> = {};
const dropped: Record<string, number> = {};
const retries: Record<string, number> = {};
/** Why token refreshes failed: `HTTP <status>`, or the error's name (TimeoutError: no answer within 30 s). */
const refreshFailures: Record<string, number> = {};
const latency = new LatencyHistogram();
const lag = monitorEventLoopDelay({ resolution: 20 });
lag.enable();
let rampTimer: NodeJS.Timeout | undefined;
let beatTimer: NodeJS.Timeout | undefined;

const count = (table: Record<string, number>, reason: string) => void (table[reason] = (table[reason] ?? 0) + 1);

function openSlot(slot: number): void {
  const user = slots[slot]!;
  const source = sourceOf(slot, addresses, tries[slot]!);
  tries[slot]!++;
  openedWith[slot] = generation[user]!;
  state[slot] = OPENING;
  kind!.open(slot, users[user]!, source.address, source.port);
}

const events: ConnectionEvents = {
  up(slot) {
    state[slot] = UP;
    counts.up++;
    counts.open++;
    counts.lastSettledAt = Date.now();
  },
  refused(slot, reason) {
    const user = slots[slot]!;
    if (tries[slot]! < MAX_TRIES && reason === UNAUTHORIZED && users[user]!.refreshToken) {
      state[slot] = WAITING;
      count(retries, reason);
      // Opened with a token since replaced: try again with the new one; else this person's token is refreshed first.
      if (openedWith[slot]! < generation[user]!) retryQueue.push(slot);
      else void refresh(user).then((ok) => (ok ? retryQueue.push(slot) : settleRefused(slot, reason)));
      return;
    }
    if (tries[slot]! < MAX_TRIES && TRY_AGAIN.has(reason)) {
      state[slot] = WAITING;
      count(retries, reason);
      retryLater(slot);
      return;
    }
    settleRefused(slot, reason);
  },
  closed(slot, reason) {
    state[slot] = DROPPED;
    counts.open--;
    count(dropped, reason);
  },
  announcement(slot, sentAt) {
    if (reachedBy[slot]) return;
    reachedBy[slot] = 1;
    counts.reached++;
    latency.record(Math.max(0, nowMs() - sentAt));
  },
};

function settleRefused(slot: number, reason: string): void {
  state[slot] = REFUSED;
  count(refused, reason);
  counts.lastSettledAt = Date.now();
}

/** A new access token for person `user` through POST /api/v1/auth/refresh; one at a time per person (a refresh token works once). */
function refresh(user: number): Promise<boolean> {
  let pending = refreshing.get(user);
  if (pending) return pending;
  pending = (async () => {
    const person = users[user]!;
    try {
      const res = await fetch(`${serverUrl}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: person.refreshToken }),
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const session = (await res.json()) as { accessToken: string; refreshToken: string };
      person.secret = session.accessToken;
      person.refreshToken = session.refreshToken;
      generation[user]!++;
      counts.refreshOk++;
      return true;
    } catch (error) {
      counts.refreshFailed++;
      const message = error instanceof Error ? error.message : '';
      count(refreshFailures, /^HTTP \d+$/.test(message) ? message : error instanceof Error ? error.name : 'unknown');
      return false;
    } finally {
      refreshing.delete(user);
    }
  })();
  refreshing.set(user, pending);
  return pending;
}

/**
 * Refreshes person \`user\`'s token ahead of its expiry, as a real client does, so that connections opened later
 * in a long ramp present a valid one (a reactive refresh, after an UNAUTHORIZED, stays for whatever this misses).
 * The first one of each person falls anywhere in the last 70 % of the token's life before the refresh-ahead
 * point: the provisioning issued every token within seconds, where a real population's are issued over hours,
 * and 60,000 refreshes in one minute would be a herd no real server meets.
 */
function refreshAhead(user: number, first: boolean): void {
  const expiresAt = tokenExpiresAt(users[user]!.secret);
  if (expiresAt === null || !users[user]!.refreshToken) return;
  const now = Date.now();
  const due = expiresAt - REFRESH_AHEAD_MS;
  const at = first ? now + Math.max(0, due - now) * (0.3 + 0.7 * Math.random()) : due;
  setTimeout(() => {
    if (halted) return;
    // A failed one is not tried again on a timer: a 600k run whose app fell behind retried every 30 s and
    // made 138,313 refreshes (114,583 timed out), a storm on top of the backlog. A refused connection
    // still refreshes its person's token (once, whichever connection found out).
    void refresh(user).then((ok) => ok && refreshAhead(user, false));
  }, Math.max(0, at - now)).unref();
}

function startRamp(startAt: number, seconds: number): void {
  for (let user = 0; user < users.length; user++) refreshAhead(user, true);
  const n = slots.length;
  rampTimer = setInterval(() => {
    if (halted) return;
    const due = Math.min(n, Math.floor(((Date.now() - startAt) / 1000 / seconds) * n));
    while (next < due) {
      counts.opened++;
      openSlot(next++);
    }
    for (let k = 0; k < RETRIES_PER_TICK && retryQueue.length > 0; k++) openSlot(retryQueue.shift()!);
  }, RAMP_TICK_MS);
  // The slots beaten so far, in turn: by the clock, so a tick that comes late (a starved process) beats more, and every connection still beats once per interval.
  let beaten = 0;
  let beatAt = Date.now();
  beatTimer = setInterval(() => {
    const heartbeat = kind!.heartbeat;
    if (!heartbeat || n === 0) return;
    const now = Date.now();
    // More than a round behind: one round now, not several.
    beatAt = Math.max(beatAt, now - heartbeat.intervalMs);
    const due = Math.floor(((now - beatAt) / heartbeat.intervalMs) * n);
    if (due === 0) return;
    beatAt += (due / n) * heartbeat.intervalMs;
    for (let k = 0; k < due; k++) {
      const slot = beaten++ % n;
      if (state[slot] === UP) heartbeat.beat(slot);
    }
  }, BEAT_TICK_MS);
}

function sample(): BotSample {
  const cpu = process.cpuUsage();
  let pending = 0;
  for (let slot = 0; slot < next; slot++) if (state[slot] === OPENING || state[slot] === WAITING) pending++;
  const heartbeat = kind?.heartbeat;
  const s: BotSample = {
    type: 'sample',
    slots: slots.length,
    opened: counts.opened,
    up: counts.up,
    open: counts.open,
    pending,
    lastSettledAt: counts.lastSettledAt,
    refused: { ...refused },
    dropped: { ...dropped },
    retries: { ...retries },
    refreshes: { ok: counts.refreshOk, failed: counts.refreshFailed, failedByReason: { ...refreshFailures } },
    reached: counts.reached,
    latency: latency.toJSON(),
    heartbeatMs: heartbeat ? heartbeat.intervalMs : null,
    cpuMicros: cpu.user + cpu.system,
    rssBytes: process.memoryUsage.rss(),
    eventLoopLagMs: lag.percentile(99) / 1e6,
  };
  lag.reset();
  return s;
}

const reporter = setInterval(() => post(sample()), SAMPLE_MS);

process.on('message', (command: BotCommand) => {
  switch (command.type) {
    case 'setup': {
      serverUrl = command.url;
      users = command.users;
      slots = command.slots;
      addresses = command.addresses;
      const n = slots.length;
      state = new Uint8Array(n);
      tries = new Uint8Array(n);
      reachedBy = new Uint8Array(n);
      openedWith = new Uint16Array(n);
      generation = new Uint16Array(users.length);
      if (command.transport === 'longlink') kind = new LonglinkConnections(command.url, n, events);
      else if (command.transport === 'socketio') kind = new SocketIoConnections(command.url, n, events);
      else kind = new XmppConnections(command.url, command.domain!, n, events);
      return;
    }
    case 'ramp':
      return startRamp(command.startAt, command.seconds);
    case 'halt':
      halted = true;
      return;
    case 'stop':
      clearInterval(rampTimer);
      clearInterval(beatTimer);
      clearInterval(reporter);
      post(sample());
      kind?.closeAll();
      // The closes leave with the next turns of the event loop; the kernel ends whatever is left at exit.
      setTimeout(() => process.exit(0), 200);
      return;
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => console.error('[connections bot process]', error));
post({ type: 'ready' });
