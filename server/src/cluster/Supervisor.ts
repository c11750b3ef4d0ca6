import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import net from 'node:net';
import util from 'node:util';
import type { Logger } from '@muster/kit/log';
import { DEFAULT_MAX_CONNECTIONS, resumeBelow } from '../gateway/Gateway.ts';
import type { ChildMessage, SupervisorMessage } from './processProtocol.ts';

export interface SupervisorOptions {
  /** The public port and address (PORT, HOST). */
  port: number;
  host: string;
  /** GATEWAYS: how many gateway processes at least; more are started as connections grow ('auto': 1 at least). */
  minGateways: number;
  /** Connections per gateway: at this many it stops accepting while another has room; with none, one more starts (GATEWAY_MAX_CONNECTIONS, 18,000). */
  maxPerGateway?: number;
  /** The entry every child runs (server/src/main.ts); its role comes from MUSTER_PROCESS. */
  entry: string;
  /** Tests: another entry for the app process (a test server with cheap key derivation), speaking the same IPC. */
  appEntry?: string;
  /** The environment children start from (process.env). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

interface GatewayChild {
  id: string;
  child: ChildProcess;
  ready: boolean;
  /** Connections it last reported. */
  connections: number;
  /** Where it stops accepting by itself (it says so when ready). */
  ceiling: number;
  /** Whether it accepts: as last commanded, or as reported once it has carried out that command. */
  accepting: boolean;
  /** The number of the last command sent to it (listen, pause). */
  sent: number;
}

export interface SupervisorStats {
  appPid: number | undefined;
  gateways: { id: string; pid: number | undefined; connections: number; ready: boolean; accepting: boolean }[];
  restarts: number;
}

/** Children run TypeScript as `npm start` does: through tsx (added when this process was not started with it: tests). */
const EXEC_ARGV = process.execArgv.some((arg) => arg.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];

/** A child that dies this soon after starting, again and again, is not restarted in a tight loop. */
const RESTART_DELAY_MS = 500;

/**
 * Gateways accepting at once, at most; chosen by measuring the 600,000 ramp
 * (2 cores, 34 gateways, 34 bot processes; loadtest/RESULTS.md). Each new
 * connection wakes every process accepting on the socket and all but one
 * find nothing: with all 34 accepting, the load average went to 75 at once
 * and sign-ins stalled. Yet a gateway accepting also does the handshakes of
 * what it accepts, and on a busy host each process gets its share of the
 * CPU: with two accepting, the socket's queue (4,096) was full within three
 * minutes and connections timed out. With 8, 240,000 came up at 500/s with
 * none refused.
 */
const MAX_ACCEPTING = 8;

/**
 * The process tree of one host (issue 18). It starts the app process
 * (domains, REST, pages, meetings' sockets and media workers, on loopback)
 * and the gateway processes, and creates the public listening socket; the
 * gateways accept on it, this process never does (no client connection is
 * ever open here: a supervisor holding the sockets it had accepted until a
 * gateway took them ran out of open files at 300,000).
 *
 * How the gateways share the one port: this process binds the socket
 * (`net._createServerHandle`, what the cluster module's primary uses) and
 * sends its handle over IPC to each gateway it lets accept, which listens
 * and accepts on its copy; the kernel gives each connection to one of the
 * processes accepting. Not the cluster module with `SCHED_NONE`, the same
 * mechanism: its primary closes the socket once the last worker closes its
 * copy, so a moment when every gateway had stopped accepting refused
 * connections (ECONNREFUSED, seen in an earlier try). Here this process
 * keeps its copy for as long as it runs: with nobody accepting, connections
 * wait in the socket's queue. Not `reusePort`: Node 20 has none (22.12 has).
 * Nothing needs to be sticky: whichever gateway accepts a connection, all
 * of them pass what they do not serve (pages, REST, socket.io, which our
 * clients open as WebSocket only) to the one app process of this host.
 *
 * Gateways follow the connections: each reports what it holds; one at its
 * cap (`maxPerGateway`) stops accepting while another has room, and accepts
 * again below 95 % of it. When every gateway is full, one more starts, and
 * those accepting go on past their cap until it is up (each stops by itself
 * at its ceiling, under its open-file limit), so someone always accepts.
 * A child that dies is started again: a gateway's clients reconnect (to
 * the others meanwhile), an app's gateways reattach their connections.
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #log: Logger;
  readonly #secret = randomBytes(32).toString('base64url');
  readonly #maxPerGateway: number;
  readonly #gateways: GatewayChild[] = [];
  #app: ChildProcess | undefined;
  #appUrl = '';
  /** The public listening socket: this process's copy, never accepted on here. */
  #handle: ListeningHandle | undefined;
  #nextGateway = 1;
  #spawning = false;
  #restarts = 0;
  #stopping: Promise<void> | undefined;
  /** Resolves once a gateway accepts (start waits for it). */
  #someoneAccepts: (() => void) | undefined;
  port = 0;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#maxPerGateway = options.maxPerGateway ?? DEFAULT_MAX_CONNECTIONS;
  }

  /** Takes the port (bound, not yet accepting), starts the app, then the gateways; resolves once one accepts. */
  async start(): Promise<void> {
    const { handle, port } = await bindListeningHandle(this.#options.host, this.#options.port);
    this.#handle = handle;
    this.port = port;
    try {
      this.#appUrl = `http://127.0.0.1:${await this.#startApp()}`;
      const accepting = new Promise<void>((resolve) => (this.#someoneAccepts = resolve));
      await Promise.all(Array.from({ length: Math.max(1, this.#options.minGateways) }, () => this.#startGateway()));
      this.#balance();
      await accepting;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  getStats(): SupervisorStats {
    return {
      appPid: this.#app?.pid,
      gateways: this.#gateways.map((g) => ({ id: g.id, pid: g.child.pid, connections: g.connections, ready: g.ready, accepting: g.accepting })),
      restarts: this.#restarts,
    };
  }

  /** Closes the port, stops the gateways (their clients are told to go elsewhere), then the app. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#handle?.close();
      this.#handle = undefined;
      await Promise.all(this.#gateways.map((g) => stopChild(g.child, { t: 'stop' })));
      if (this.#app) await stopChild(this.#app, { t: 'stop' });
    })();
    return this.#stopping;
  }

  // ---------------------------------------------------------------- who accepts

  /**
   * Decides which gateways accept, from their last reports; run at each
   * report, start and death. The least loaded with room accept, at most
   * MAX_ACCEPTING; one accepting now keeps its place until another holds
   * 5 % of a cap fewer (no flapping between two nearly equal), and one
   * paused at its cap accepts again below 95 % of it. Nobody with room: one
   * more gateway starts, and those accepting go on.
   */
  #balance(): void {
    if (this.#stopping || !this.#handle) return;
    const cap = this.#maxPerGateway;
    const slack = cap - resumeBelow(cap);
    const live = this.#gateways.filter((g) => g.ready && g.child.connected);
    const weight = (g: GatewayChild) => g.connections - (g.accepting ? slack : 0);
    let chosen = live
      .filter((g) => g.connections < (g.accepting ? cap : resumeBelow(cap)))
      .sort((a, b) => weight(a) - weight(b))
      .slice(0, MAX_ACCEPTING);
    // Between 95 % and the cap, a paused one is still better than going past a cap.
    if (chosen.length === 0) chosen = live.filter((g) => g.connections < cap).sort((a, b) => a.connections - b.connections).slice(0, 1);
    if (chosen.length === 0) {
      // Every gateway is full. Pausing the last one accepting would leave nobody to: those accepting go on past
      // their cap until another gateway is up (each stops by itself at its ceiling); with none, the least loaded.
      const going = live.filter((g) => g.accepting && g.connections < g.ceiling);
      chosen = going.length > 0 ? going : live.filter((g) => g.connections < g.ceiling).sort((a, b) => a.connections - b.connections).slice(0, 1);
      if (live.length > 0) this.#grow();
    }
    for (const gateway of live) {
      const wanted = chosen.includes(gateway);
      if (wanted && !gateway.accepting) this.#command(gateway, 'listen');
      else if (!wanted && gateway.accepting) this.#command(gateway, 'pause');
    }
  }

  #command(gateway: GatewayChild, t: 'listen' | 'pause'): void {
    const n = ++gateway.sent;
    gateway.accepting = t === 'listen';
    // A channel closing meanwhile is the gateway's death: its exit handler sorts that out.
    if (t === 'pause') gateway.child.send({ t, n } satisfies SupervisorMessage, () => undefined);
    // The handle is duplicated into the gateway; this process's copy stays open (a raw handle is not closed after sending).
    else gateway.child.send({ t, n } satisfies SupervisorMessage, this.#handle as never, () => undefined);
  }

  #onLoad(gateway: GatewayChild, message: Extract<ChildMessage, { t: 'load' }>): void {
    gateway.connections = message.connections;
    // A report sent before the gateway saw the last command says nothing of whether it accepts now.
    if (message.ack >= gateway.sent) gateway.accepting = message.accepting;
    if (message.accepting && message.ack >= gateway.sent) this.#someoneAccepts?.();
    this.#balance();
  }

  /** One more gateway when all of them are full (one at a time). */
  #grow(): void {
    if (this.#spawning || this.#stopping) return;
    this.#spawning = true;
    this.#log.info({ gateways: this.#gateways.length + 1 }, 'every gateway is full: starting another');
    this.#startGateway()
      .catch((error: unknown) => this.#log.error({ err: error }, 'another gateway could not be started; the others go on'))
      .finally(() => {
        this.#spawning = false;
        this.#balance();
      });
  }

  // ---------------------------------------------------------------- children

  #startApp(): Promise<number> {
    const env = {
      ...this.#options.env,
      MUSTER_PROCESS: 'app',
      PORT: '0',
      HOST: '127.0.0.1',
      MUSTER_INTERNAL_SECRET: this.#secret,
      // The port other hosts reach this host at: the app's relay URL for meetings held here (see relayUrlFromEnv).
      MUSTER_PUBLIC_PORT: String(this.port),
      // Requests reach the app through a gateway on loopback, which appends the client's address.
      TRUST_PROXY: ['loopback', this.#options.env.TRUST_PROXY].filter(Boolean).join(','),
    };
    const child = fork(this.#options.appEntry ?? this.#options.entry, [], { env, execArgv: EXEC_ARGV });
    this.#app = child;
    return new Promise((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.t !== 'ready' || message.port === undefined) return;
        child.off('message', onMessage);
        child.off('exit', onEarlyExit);
        child.on('exit', (code, signal) => this.#appDied(child, code, signal));
        resolve(message.port);
      };
      const onEarlyExit = (code: number | null) => reject(new Error(`the app process exited while starting (code ${code})`));
      child.on('message', onMessage);
      child.once('exit', onEarlyExit);
    });
  }

  #appDied(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#stopping || this.#app !== child) return;
    this.#restarts++;
    this.#log.error({ code, signal }, 'the app process died; starting it again (gateways keep their connections and reattach)');
    setTimeout(() => {
      if (this.#stopping) return;
      // A new app listens on a new port: the gateways are told where.
      this.#startApp().then(
        (port) => {
          this.#appUrl = `http://127.0.0.1:${port}`;
          for (const gateway of this.#gateways) gateway.child.send({ t: 'app', url: this.#appUrl } satisfies SupervisorMessage);
        },
        (error: unknown) => this.#log.error({ err: error }, 'the app process could not be started again'),
      );
    }, RESTART_DELAY_MS);
  }

  #startGateway(): Promise<void> {
    const id = `g${this.#nextGateway++}`;
    const child = fork(this.#options.entry, [], {
      execArgv: EXEC_ARGV,
      env: {
        ...this.#options.env,
        MUSTER_PROCESS: 'gateway',
        GATEWAY_ID: id,
        // The cap is the supervisor's (options or GATEWAY_MAX_CONNECTIONS): gateway and supervisor count to the same.
        GATEWAY_MAX_CONNECTIONS: String(this.#maxPerGateway),
        MUSTER_APP_URL: this.#appUrl,
        MUSTER_INTERNAL_SECRET: this.#secret,
      },
    });
    const gateway: GatewayChild = { id, child, ready: false, connections: 0, ceiling: this.#maxPerGateway, accepting: false, sent: 0 };
    this.#gateways.push(gateway);
    child.on('message', (message: ChildMessage) => {
      if (message.t === 'load' && gateway.ready) this.#onLoad(gateway, message);
    });
    child.on('exit', (code, signal) => {
      const index = this.#gateways.indexOf(gateway);
      if (index >= 0) this.#gateways.splice(index, 1);
      if (this.#stopping) return;
      this.#restarts++;
      this.#log.error({ gateway: id, code, signal }, 'a gateway process died; its clients reconnect to the others; starting another');
      // Another accepts at once if it was the one accepting.
      this.#balance();
      if (this.#gateways.length < Math.max(1, this.#options.minGateways)) {
        setTimeout(
          () =>
            void this.#startGateway().then(
              () => this.#balance(),
              () => undefined,
            ),
          RESTART_DELAY_MS,
        );
      }
    });
    return new Promise((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.t !== 'ready') return;
        child.off('message', onMessage);
        child.off('exit', onEarlyExit);
        gateway.ready = true;
        if (message.ceiling !== undefined) gateway.ceiling = message.ceiling;
        resolve();
      };
      const onEarlyExit = (code: number | null) => reject(new Error(`gateway ${id} exited while starting (code ${code})`));
      child.on('message', onMessage);
      child.once('exit', onEarlyExit);
    });
  }
}

/** The handle of a bound TCP socket (node's internal TCP wrap), as `net._createServerHandle` makes it. */
interface ListeningHandle {
  close(): void;
  getsockname(out: { port?: number }): number;
}

/**
 * Binds the public address and returns the socket's handle, without
 * listening or accepting on it here: the first gateway's listen makes it
 * listen (for every copy), and it stays listening while any copy is open.
 * `net._createServerHandle` is what the cluster module's primary binds its
 * shared sockets with (Node 20's lib/net.js); no public API binds without
 * accepting.
 */
async function bindListeningHandle(host: string, port: number): Promise<{ handle: ListeningHandle; port: number }> {
  const create = (net as unknown as { _createServerHandle?: (address: string, port: number, addressType: number, fd?: number, flags?: number) => ListeningHandle | number })._createServerHandle;
  if (typeof create !== 'function') throw new Error(`this Node.js (${process.version}) has no net._createServerHandle: the supervisor cannot share its port with the gateways`);
  const address = net.isIP(host) ? { address: host, family: net.isIP(host) } : await dns.lookup(host);
  const handle = create(address.address, port, address.family, undefined, 0);
  if (typeof handle === 'number') throw Object.assign(new Error(`cannot bind ${host}:${port}: ${util.getSystemErrorName(handle)}`), { code: util.getSystemErrorName(handle) });
  const out: { port?: number } = {};
  handle.getsockname(out);
  return { handle, port: out.port ?? port };
}

/** Asks a child to stop, and kills it if it has not after 10 s. */
function stopChild(child: ChildProcess, message: SupervisorMessage): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send(message);
    else child.kill('SIGTERM');
  });
}
