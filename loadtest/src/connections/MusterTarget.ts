/**
 * Muster as the connections scenario's server: one it starts (people
 * provisioned into the fresh data directory first, then the supervisor with
 * its gateways), or one running (--url), whose database is provisioned in
 * place and whose processes are found from its listening port.
 */
import { pidListeningOn } from '../processStats.ts';
import { ServerUnderTest, serverProcesses } from '../ServerUnderTest.ts';
import type { BotUser } from './ConnectionKind.ts';
import type { Transport } from './connectionsProtocol.ts';
import type { ConnectionsOptions } from './options.ts';
import { provisionPeople, type ProvisionedPeople } from './provision.ts';
import type { TargetProvisioning, TargetServer } from './TargetServer.ts';

export class MusterTarget implements TargetServer {
  readonly name = 'muster';
  readonly transport: Transport;
  readonly url: string;
  readonly users: BotUser[];
  readonly provisioning: TargetProvisioning;
  readonly #apiToken: string;
  readonly #server: ServerUnderTest | null;
  /** The running server's first process (--url), found from its port; null when it is not on this machine. */
  readonly #rootPid: number | null;

  private constructor(o: { transport: Transport; url: string; apiToken: string; people: ProvisionedPeople; server: ServerUnderTest | null; rootPid: number | null }) {
    this.transport = o.transport;
    this.url = o.url;
    this.#apiToken = o.apiToken;
    this.users = o.people.users;
    this.provisioning = { via: 'database (accounts.admin.importPeople, auth.startSessions)', imported: o.people.imported, existing: o.people.existing, seconds: o.people.seconds };
    this.#server = o.server;
    this.#rootPid = o.rootPid;
  }

  static async start(options: ConnectionsOptions, onProgress: (line: string) => void): Promise<MusterTarget> {
    if (options.url) {
      onProgress(`provisioning ${options.users} people into ${options.dataDir} (the running server's database)`);
      const people = await provisionPeople({ dataDir: options.dataDir!, env: process.env, users: options.users, onProgress });
      const rootPid = pidListeningOn(Number(new URL(options.url).port));
      return new MusterTarget({ transport: options.transport, url: options.url, apiToken: options.apiToken!, people, server: null, rootPid });
    }
    const dataDir = ServerUnderTest.newDataDir();
    // Both open the database with this environment: the server's keys and DATABASE_URL are the provisioner's.
    const env: Record<string, string> = options.gateways !== undefined ? { GATEWAYS: String(options.gateways) } : {};
    onProgress(`provisioning ${options.users} people into a fresh data directory`);
    const people = await provisionPeople({ dataDir, env: { ...process.env, ...env }, users: options.users, onProgress });
    onProgress(`provisioned in ${people.seconds.people} + ${people.seconds.devices} s (people, devices); starting the server`);
    const server = await ServerUnderTest.start({ dataDir, workers: 1, env });
    return new MusterTarget({ transport: options.transport, url: server.url, apiToken: server.apiToken, people, server, rootPid: server.pid });
  }

  processes(): { pid: number; role: string }[] {
    return this.#rootPid === null ? [] : serverProcesses(this.#rootPid);
  }

  async heapBytes(): Promise<number | null> {
    try {
      const res = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) return null;
      return heapFromMetrics(await res.text());
    } catch {
      return null;
    }
  }

  async announce(text: string): Promise<{ id: string; sentAt: number }> {
    const res = await fetch(`${this.url}/api/v1/announcements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = await res.text();
    if (res.status !== 202) throw new Error(`POST /api/v1/announcements: ${res.status} ${body.slice(0, 300)}`);
    const { id, sentAt } = JSON.parse(body) as { id: string; sentAt: number };
    return { id, sentAt };
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }
}

/**
 * The app's heap plus every gateway's, from the Prometheus text of /metrics (`muster_app_heap_bytes`,
 * `muster_gateway_heap_bytes{gateway="…"}`: each gateway reports its own every few seconds); null without the app's.
 */
export function heapFromMetrics(text: string): number | null {
  let app: number | null = null;
  let gateways = 0;
  for (const line of text.split('\n')) {
    const m = /^(muster_app_heap_bytes|muster_gateway_heap_bytes)(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+?\d+)?)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'muster_app_heap_bytes') app = Number(m[2]);
    else gateways += Number(m[2]);
  }
  return app === null ? null : app + gateways;
}
