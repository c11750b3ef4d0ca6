import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '@muster/kit/testing';

/**
 * Test hosts on one machine (issue 18's multi-host tests): each a network
 * namespace with its own interface on a bridge in the root namespace, so
 * that its processes see only their own loopback and the bridge's subnet,
 * as a separate machine would. The services the hosts share (PostgreSQL,
 * Redis) listen on the root namespace's loopback; `forward` exposes one on
 * the bridge's address. Needs root (`ip netns`, from iproute2).
 */
export class NetnsLab {
  /** The root namespace's address on the bridge: what the hosts reach shared services at. */
  readonly gateway: string;
  readonly #bridge: string;
  readonly #subnet: string;
  readonly #names: string[] = [];
  readonly #servers: net.Server[] = [];

  private constructor(id: number) {
    this.#bridge = `mbr${id}`;
    this.#subnet = `10.231.${id % 250}`;
    this.gateway = `${this.#subnet}.1`;
  }

  /** Whether this machine can make namespaces (root, `ip` present). */
  static available(): boolean {
    if (process.getuid?.() !== 0) return false;
    try {
      execFileSync('ip', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  static create(): NetnsLab {
    const lab = new NetnsLab(process.pid % 100_000);
    lab.#ip('link', 'add', lab.#bridge, 'type', 'bridge');
    lab.#ip('addr', 'add', `${lab.gateway}/24`, 'dev', lab.#bridge);
    lab.#ip('link', 'set', lab.#bridge, 'up');
    return lab;
  }

  /** A new host with the address `<subnet>.<n>`; returns that address. */
  addHost(name: string, n: number): { ns: string; address: string } {
    const ns = `${this.#bridge}-${name}`;
    const outside = `${this.#bridge}${name}`.slice(0, 15);
    const address = `${this.#subnet}.${n}`;
    this.#ip('netns', 'add', ns);
    this.#names.push(ns);
    this.#ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    this.#ip('link', 'set', outside, 'master', this.#bridge);
    this.#ip('link', 'set', outside, 'up');
    this.#ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    this.#ip('-n', ns, 'link', 'set', 'eth0', 'up');
    this.#ip('-n', ns, 'link', 'set', 'lo', 'up');
    this.#ip('-n', ns, 'route', 'add', 'default', 'via', this.gateway);
    return { ns, address };
  }

  /** Exposes a root-namespace loopback service (`127.0.0.1:port`) on the bridge at `gateway:port`. */
  async forward(port: number): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
    this.#servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.gateway, () => resolve());
    });
  }

  /** Removes the namespaces (killing what still runs in them), the bridge and the forwarders. */
  destroy(): void {
    for (const server of this.#servers) server.close();
    for (const ns of this.#names) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns]).toString().split(/\s+/).filter(Boolean);
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
      this.#quiet('netns', 'del', ns);
    }
    this.#quiet('link', 'del', this.#bridge);
  }

  #ip(...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  #quiet(...args: string[]): void {
    try {
      this.#ip(...args);
    } catch {
      // Already gone.
    }
  }
}

/**
 * One host's `npm start` (server/src/main.ts, the supervisor and its
 * children) inside a namespace, its log read line by line.
 */
export class HostProcess {
  readonly address: string;
  readonly #child: ChildProcess;
  readonly lines: string[] = [];

  private constructor(child: ChildProcess, address: string) {
    this.#child = child;
    this.address = address;
    readline.createInterface({ input: child.stdout! }).on('line', (line) => this.lines.push(line));
    readline.createInterface({ input: child.stderr! }).on('line', (line) => this.lines.push(line));
  }

  /** `ready`: the log line that says the host serves (an app host's by default). */
  static async start(ns: string, address: string, env: Record<string, string>, repo: string, ready = 'Muster is listening on'): Promise<HostProcess> {
    // `ip netns exec` runs the command in the namespace; detached: its own process group, killed whole.
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', path.join(repo, 'server/src/main.ts')], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const host = new HostProcess(child, address);
    const started = Date.now();
    while (!host.lines.some((l) => l.includes(ready))) {
      if (child.exitCode !== null) throw new Error(`host ${ns} exited while starting:\n${host.lines.slice(-30).join('\n')}`);
      if (Date.now() - started > 120_000) throw new Error(`host ${ns} did not start:\n${host.lines.slice(-30).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return host;
  }

  /** The newest one-time code this host's log shows for a number ending in these four digits. */
  codeFor(phoneEnding: string): string | undefined {
    for (const line of [...this.lines].reverse()) {
      const m = new RegExp(`one-time code (\\d{6}) for the number ending ${phoneEnding}`).exec(line);
      if (m) return m[1];
    }
    return undefined;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The whole tree at once, as a power cut would. */
  kill(): Promise<void> {
    if (!this.running) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    try {
      process.kill(-this.#child.pid!, 'SIGKILL');
    } catch {
      this.#child.kill('SIGKILL');
    }
    return exited;
  }

  /** A graceful stop (SIGTERM to the supervisor). */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => void this.kill(), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** HAProxy in front of the hosts, as the deployment chapter describes: TCP, least connections, no stickiness. */
export class LoadBalancer {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;

  private constructor(child: ChildProcess, port: number, dir: string) {
    this.#child = child;
    this.port = port;
    this.#dir = dir;
  }

  static available(): boolean {
    try {
      execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  static async start(dir: string, backends: string[]): Promise<LoadBalancer> {
    const port = await freePort();
    const config = [
      'global',
      // Below what one process may open here (20,000 files; HAProxy needs about two per connection).
      '  maxconn 5000',
      'defaults',
      '  mode tcp',
      '  timeout connect 2s',
      '  timeout client 1h',
      '  timeout server 1h',
      '  retries 2',
      '  option redispatch',
      'frontend muster',
      `  bind 127.0.0.1:${port}`,
      '  default_backend hosts',
      'backend hosts',
      '  balance leastconn',
      '  option httpchk GET /healthz',
      ...backends.map((b, i) => `  server host${i} ${b} check inter 500 fall 2 rise 2`),
      '',
    ].join('\n');
    const file = path.join(dir, 'haproxy.cfg');
    fs.writeFileSync(file, config);
    const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
    const lb = new LoadBalancer(child, port, dir);
    const started = Date.now();
    while (!(await reachable(port))) {
      if (child.exitCode !== null) throw new Error(`haproxy exited while starting: ${output.slice(-2000)}`);
      if (Date.now() - started > 20_000) throw new Error('haproxy did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return lb;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get config(): string {
    return fs.readFileSync(path.join(this.#dir, 'haproxy.cfg'), 'utf8');
  }

  stop(): void {
    this.#child.kill('SIGKILL');
  }
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
