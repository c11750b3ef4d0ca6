import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import type { Logger } from '@muster/kit/log';
import { DEFAULT_MAX_CONNECTIONS } from '../gateway/Gateway.ts';
import type { ChildMessage, SupervisorMessage } from './processProtocol.ts';

export interface SupervisorOptions {
  /** The public port and address (PORT, HOST). */
  port: number;
  host: string;
  /** GATEWAYS: how many gateway processes at least; more are started as connections grow ('auto': 1 at least). */
  minGateways: number;
  /** Connections per gateway before another one is started (GATEWAY_MAX_CONNECTIONS, 18,000). */
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
  /** Connections it last reported, plus those handed to it since. */
  reported: number;
  handedSince: number;
}

export interface SupervisorStats {
  appPid: number | undefined;
  gateways: { id: string; pid: number | undefined; connections: number; ready: boolean }[];
  restarts: number;
}

/** Children run TypeScript as `npm start` does: through tsx (added when this process was not started with it: tests). */
const EXEC_ARGV = process.execArgv.some((arg) => arg.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];

/** Connections accepted here and not yet taken by a gateway, at most (each holds one of this process's files). */
const MAX_IN_FLIGHT_HANDOFFS = 12_000;

/** A child that dies this soon after starting, again and again, is not restarted in a tight loop. */
const RESTART_DELAY_MS = 500;

/**
 * The process tree of one host (issue 18): the cluster primary. It starts
 * the app process (domains, REST, pages, meetings' sockets and media
 * workers, on loopback) and the gateway processes, owns the public TCP
 * port, and hands each accepted connection to the gateway holding the
 * fewest (a file descriptor passed over IPC; the connection's bytes never
 * touch this process). Node 20 has no `reusePort`, and the cluster module's
 * round robin cannot weigh gateways by load, hence this.
 *
 * Gateways follow the connections: one more starts whenever every gateway
 * holds `maxPerGateway`, so N connections get at least ceil(N / 18,000).
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
  #server: net.Server | undefined;
  #nextGateway = 1;
  #spawning = false;
  #restarts = 0;
  #stopping: Promise<void> | undefined;
  port = 0;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#maxPerGateway = options.maxPerGateway ?? DEFAULT_MAX_CONNECTIONS;
  }

  /** Starts the app, then the gateways, then takes the port. */
  async start(): Promise<void> {
    this.#appUrl = `http://127.0.0.1:${await this.#startApp()}`;
    await Promise.all(Array.from({ length: Math.max(1, this.#options.minGateways) }, () => this.#startGateway()));
    const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.#dispatch(socket));
    // A socket handed to a gateway stays open here until the gateway has taken it; busy gateways take them
    // slowly, and past the open-file limit this process could not even start a gateway. So beyond this many
    // in flight, new connections are closed at once (clients connect again) instead.
    server.maxConnections = MAX_IN_FLIGHT_HANDOFFS;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
  }

  getStats(): SupervisorStats {
    return {
      appPid: this.#app?.pid,
      gateways: this.#gateways.map((g) => ({ id: g.id, pid: g.child.pid, connections: g.reported + g.handedSince, ready: g.ready })),
      restarts: this.#restarts,
    };
  }

  /** Stops taking connections, stops the gateways (their clients are told to go elsewhere), then the app. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#server?.close();
      await Promise.all(this.#gateways.map((g) => stopChild(g.child, { t: 'stop' })));
      if (this.#app) await stopChild(this.#app, { t: 'stop' });
    })();
    return this.#stopping;
  }

  // ---------------------------------------------------------------- connections

  #dispatch(socket: net.Socket): void {
    let best: GatewayChild | undefined;
    for (const gateway of this.#gateways) {
      if (!gateway.ready || !gateway.child.connected) continue;
      if (!best || gateway.reported + gateway.handedSince < best.reported + best.handedSince) best = gateway;
    }
    if (!best) return void socket.destroy();
    best.handedSince++;
    best.child.send({ t: 'conn' } satisfies SupervisorMessage, socket, (error) => {
      if (error) socket.destroy();
    });
    if (best.reported + best.handedSince >= this.#maxPerGateway) this.#grow();
  }

  /** One more gateway when all of them are full (one at a time). */
  #grow(): void {
    if (this.#spawning || this.#stopping) return;
    if (this.#gateways.some((g) => g.ready && g.reported + g.handedSince < this.#maxPerGateway)) return;
    this.#spawning = true;
    this.#log.info({ gateways: this.#gateways.length + 1 }, 'every gateway is full: starting another');
    this.#startGateway()
      .catch((error: unknown) => this.#log.error({ err: error }, 'another gateway could not be started; the others go on'))
      .finally(() => (this.#spawning = false));
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
      MUSTER_PUBLIC_PORT: String(this.#options.port),
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
      env: { ...this.#options.env, MUSTER_PROCESS: 'gateway', GATEWAY_ID: id, MUSTER_APP_URL: this.#appUrl, MUSTER_INTERNAL_SECRET: this.#secret },
    });
    const gateway: GatewayChild = { id, child, ready: false, reported: 0, handedSince: 0 };
    this.#gateways.push(gateway);
    child.on('message', (message: ChildMessage) => {
      if (message.t === 'load') {
        gateway.reported = message.connections;
        gateway.handedSince = 0;
      }
    });
    child.on('exit', (code, signal) => {
      const index = this.#gateways.indexOf(gateway);
      if (index >= 0) this.#gateways.splice(index, 1);
      if (this.#stopping) return;
      this.#restarts++;
      this.#log.error({ gateway: id, code, signal }, 'a gateway process died; its clients reconnect to the others; starting another');
      if (this.#gateways.length < Math.max(1, this.#options.minGateways)) setTimeout(() => void this.#startGateway().catch(() => undefined), RESTART_DELAY_MS);
    });
    return new Promise((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.t !== 'ready') return;
        child.off('message', onMessage);
        child.off('exit', onEarlyExit);
        gateway.ready = true;
        resolve();
      };
      const onEarlyExit = (code: number | null) => reject(new Error(`gateway ${id} exited while starting (code ${code})`));
      child.on('message', onMessage);
      child.once('exit', onEarlyExit);
    });
  }
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
