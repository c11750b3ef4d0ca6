import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sampleProcess, type ProcessSample } from '../../processStats.ts';
import { ejabberdConfig, MUSTER_HEARTBEAT_SECONDS } from './ejabberdConfig.ts';
import { escapeXml, openXmppConnection, type XmppConnection } from './xmppConnection.ts';
import { freePort } from '@muster/kit/testing';

/** Where the installed ejabberd is: the Erlang runtime and the library directory its ejabberdctl uses. */
export interface EjabberdInstall {
  ctl: string;
  erl: string;
  /** ERL_LIBS: the directory holding ejabberd-<version>/ and its Erlang dependencies. */
  libs: string;
  version: string;
}

const CTL_CANDIDATES = ['/usr/sbin/ejabberdctl', '/usr/local/sbin/ejabberdctl', '/opt/ejabberd/bin/ejabberdctl'];
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_BYTES = 4_000;
const ADMIN_USER = 'announcer';

/**
 * The installed ejabberd, found through its ejabberdctl (EJABBERDCTL, PATH,
 * the usual places): the script names the `erl` and the ERL_LIBS it runs
 * ejabberd with, and the harness starts that runtime itself. Null when ejabberd
 * is not installed.
 */
export function findEjabberd(): EjabberdInstall | null {
  const onPath = (process.env.PATH ?? '').split(':').filter(Boolean).map((dir) => path.join(dir, 'ejabberdctl'));
  const ctl = [process.env.EJABBERDCTL, ...onPath, ...CTL_CANDIDATES].find((file): file is string => Boolean(file) && fs.existsSync(file!));
  if (!ctl) return null;
  const script = fs.readFileSync(ctl, 'utf8');
  const erl = /^\s*ERL="?([^"\s]+)"?/m.exec(script)?.[1] ?? '/usr/bin/erl';
  const libs = /^\s*ERL_LIBS='?([^'\s]+)'?/m.exec(script)?.[1];
  if (!libs || !fs.existsSync(erl)) return null;
  const app = fs.readdirSync(libs).find((name) => /^ejabberd-\d/.test(name) && fs.existsSync(path.join(libs, name, 'ebin', 'ejabberd.app')));
  return app ? { ctl, erl, libs, version: app.slice('ejabberd-'.length) } : null;
}


export interface EjabberdStartOptions {
  /** Accounts the run will register (sizes ejabberd's caches and the VM's process and port tables). */
  users?: number;
  /** Seconds between the server's WebSocket pings to each connection; Muster's heartbeat by default. */
  heartbeatSeconds?: number;
}

/**
 * An ejabberd node the harness starts for itself and stops afterwards: its
 * own ejabberd.yml (ejabberdConfig.ts), Mnesia spool and logs in a temporary
 * directory, its own node name, never the system's ejabberd.
 *
 * It runs `erl` directly, as the current user (root under CI): ejabberdctl
 * would switch to the `ejabberd` user, which cannot read the temporary
 * directory. The node takes its distribution port from `-erl_epmd_port` and
 * never starts or registers with epmd, so it leaves the machine's epmd (and
 * the RabbitMQ node registered there) alone, and two runs never collide.
 */
export class EjabberdNode {
  readonly #child: ChildProcess;
  readonly #exitHook: () => void;
  #admin: Promise<XmppConnection> | null = null;

  private constructor(
    child: ChildProcess,
    readonly install: EjabberdInstall,
    /** The temporary directory: ejabberd.yml, spool/, logs/. */
    readonly dir: string,
    /** The Erlang node name, unique per run. */
    readonly nodeName: string,
    readonly host: string,
    readonly httpPort: number,
    readonly configText: string,
    readonly adminPassword: string,
  ) {
    this.#child = child;
    // Should the harness die without stopping it, the node must not outlive it.
    this.#exitHook = () => child.kill('SIGKILL');
    process.once('exit', this.#exitHook);
  }

  /** The beam.smp process: `erl` execs erlexec, which execs the VM in the same process. */
  get pid(): number {
    return this.#child.pid!;
  }

  /** XMPP over WebSocket (RFC 7395). */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.httpPort}/ws`;
  }

  get #apiUrl(): string {
    return `http://127.0.0.1:${this.httpPort}/api`;
  }

  get configFile(): string {
    return path.join(this.dir, 'ejabberd.yml');
  }

  get #logsDir(): string {
    return path.join(this.dir, 'logs');
  }

  static async start(options: EjabberdStartOptions = {}): Promise<EjabberdNode> {
    const install = findEjabberd();
    if (!install) throw new Error('ejabberd is not installed (apt-get install ejabberd): no ejabberdctl naming an erl and an ejabberd-<version> library directory');
    const users = options.users ?? 0;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-ejabberd-'));
    const spool = path.join(dir, 'spool');
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(spool);
    fs.mkdirSync(logs);
    const [httpPort, distPort] = [await freePort(), await freePort()];
    const nodeName = `muster-ejabberd-${process.pid}-${randomBytes(3).toString('hex')}@localhost`;
    const host = 'loadtest.localhost';
    const configText = ejabberdConfig({ host, httpPort, adminUser: ADMIN_USER, users, heartbeatSeconds: options.heartbeatSeconds ?? MUSTER_HEARTBEAT_SECONDS });
    fs.writeFileSync(path.join(dir, 'ejabberd.yml'), configText);
    const out = fs.openSync(path.join(logs, 'erl.out'), 'a');
    // Room in the VM's tables for every connection: a WebSocket session is a port and three Erlang processes.
    const processes = Math.max(262_144, users * 4 + 65_536);
    const ports = Math.max(32_768, users + 4_096);
    const child = spawn(
      install.erl,
      [
        '-sname', nodeName,
        '-setcookie', randomBytes(12).toString('hex'),
        '-erl_epmd_port', String(distPort),
        '-start_epmd', 'false',
        '-kernel', 'inet_dist_use_interface', '{127,0,0,1}',
        '-noinput', '-noshell',
        '+K', 'true', '+P', String(processes), '+Q', String(ports),
        '-mnesia', 'dir', `"${spool}"`,
        '-s', 'ejabberd',
      ],
      {
        cwd: spool,
        env: {
          ...process.env,
          HOME: dir,
          ERL_LIBS: install.libs,
          EJABBERD_CONFIG_PATH: path.join(dir, 'ejabberd.yml'),
          EJABBERD_LOG_PATH: path.join(logs, 'ejabberd.log'),
          ERL_CRASH_DUMP: path.join(logs, 'erl_crash.dump'),
          ERL_CRASH_DUMP_BYTES: '0',
        },
        stdio: ['ignore', out, out],
      },
    );
    fs.closeSync(out);
    const node = new EjabberdNode(child, install, dir, nodeName, host, httpPort, configText, randomBytes(12).toString('hex'));
    try {
      await node.#waitStarted();
      await node.#api('register', { user: ADMIN_USER, host, password: node.adminPassword });
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  /** Polls the admin API's status until the node says it is started (or the VM exits). */
  async #waitStarted(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) throw new Error(`ejabberd exited during start-up (${this.#child.exitCode ?? this.#child.signalCode}):\n${this.logTail()}`);
      try {
        if (String(await this.#api('status', {})).includes('is running')) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`ejabberd did not start in ${START_TIMEOUT_MS / 1000} s:\n${this.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** One admin command through mod_http_api (loopback only); its JSON result. */
  async #api(command: string, args: Record<string, unknown>): Promise<unknown> {
    const res = await fetch(`${this.#apiUrl}/${command}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args), signal: AbortSignal.timeout(120_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`ejabberd ${command}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  /**
   * Registers accounts in one go: a XEP-0227 (PIEFXIS) file imported through
   * the admin API, about 8,000 accounts a second here against about 1,300 with
   * one `register` call each.
   */
  async registerUsers(users: readonly { user: string; password: string }[]): Promise<void> {
    const file = path.join(this.dir, `users-${randomBytes(4).toString('hex')}.xml`);
    const lines = users.map(({ user, password }) => `<user name="${escapeXml(user)}" password="${escapeXml(password)}"/>`);
    fs.writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n<server-data xmlns="urn:xmpp:pie:0">\n<host jid="${this.host}">\n${lines.join('\n')}\n</host>\n</server-data>\n`);
    try {
      const result = await this.#api('import_piefxis', { file });
      if (result !== 0) throw new Error(`ejabberd import_piefxis answered ${JSON.stringify(result)}`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /**
   * One message to every session online (mod_announce's `announce/online`,
   * sent by the admin account): ejabberd routes it to each session itself. A
   * headline, so neither the archive nor offline storage keeps a copy per
   * recipient: a live broadcast.
   */
  async broadcastOnline(body: string): Promise<void> {
    this.#admin ??= openXmppConnection({ url: this.wsUrl, domain: this.host, user: ADMIN_USER, password: this.adminPassword, resource: 'announcer' });
    (await this.#admin).send(`<message to="${this.host}/announce/online" type="headline"><body>${escapeXml(body)}</body></message>`);
  }

  /** The node's CPU time and RSS (its beam.smp, from /proc); null once it is gone. */
  usage(): ProcessSample | null {
    return sampleProcess(this.pid);
  }

  /** What ejabberd logged at level error (its error.log): how many, and the first few. */
  errors(first = 5): { count: number; first: string[] } {
    let text = '';
    try {
      text = fs.readFileSync(path.join(this.#logsDir, 'error.log'), 'utf8');
    } catch {
      // no error.log: nothing logged at level error
    }
    // An entry starts with its timestamp; its continuation lines do not.
    const entries = text.split(/\n(?=\d{4}-\d\d-\d\d )/).filter((entry) => entry.trim());
    return { count: entries.length, first: entries.slice(0, first).map((entry) => entry.slice(0, 300)) };
  }

  logTail(): string {
    try {
      const text = fs.readFileSync(path.join(this.#logsDir, 'erl.out'), 'utf8');
      return text.slice(-LOG_TAIL_BYTES);
    } catch {
      return '(no output)';
    }
  }

  /** Stops the node (SIGTERM: the VM's orderly shutdown; SIGKILL after 15 s) and removes its directory. */
  async stop(): Promise<void> {
    if (this.#admin) await (await this.#admin.catch(() => null))?.close();
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        this.#child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        this.#child.kill('SIGTERM');
      });
    }
    process.removeListener('exit', this.#exitHook);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
