import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestSchema, type TestSchema } from '@muster/db/testing';
import { HostProcess, LoadBalancer, NetnsLab } from './NetnsHosts.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** What a media host logs once it serves its workers (it registers right after). */
const MEDIA_HOST_READY = 'workers on port';

export interface MultihostLabOptions {
  /** Settings every host gets on top of the lab's own (MEDIA_WORKERS, GATEWAYS, ROOM_PARTICIPANTS_PER_WORKER, …). */
  env?: Record<string, string>;
  appHosts?: number;
  mediaHosts?: number;
}

/**
 * The deployment chapter's three-machine shape, on this one machine: app
 * hosts running `npm start`'s tree with no media workers of their own, media
 * hosts (`MUSTER_ROLE=media`), each in its own network namespace, sharing
 * this machine's PostgreSQL (a fresh schema) and Redis over a bridge, the
 * app hosts behind HAProxy (TCP, least connections, no stickiness). Used by
 * the multi-host test and by load tests against it (`labMain.ts`).
 */
export class MultihostLab {
  readonly apiToken = 'multihost-api-token-0123456789';
  readonly mediaSecret = 'multihost-media-secret-0123456789';
  /** The data key passwords every host opens the database with; a load test writing people into it needs them too. */
  readonly keyPasswords = { MUSTER_KEY_PASSWORD_1: 'multihost-first-key-password-1', MUSTER_KEY_PASSWORD_2: 'multihost-second-key-password-2' };
  readonly hosts: HostProcess[] = [];
  readonly mediaHosts: HostProcess[] = [];
  readonly #dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-multihost-'));
  #net?: NetnsLab;
  #schema?: TestSchema;
  #balancer?: LoadBalancer;

  /** Needs root, `ip` and haproxy (see NetnsLab.available, LoadBalancer.available). */
  static async start(options: MultihostLabOptions = {}): Promise<MultihostLab> {
    const lab = new MultihostLab();
    try {
      await lab.#start(options);
    } catch (error) {
      await lab.stop();
      throw error;
    }
    return lab;
  }

  async #start(options: MultihostLabOptions): Promise<void> {
    this.#schema = await createTestSchema();
    const net = (this.#net = NetnsLab.create());
    await net.forward(5432);
    await net.forward(6379);
    const shared = {
      DATABASE_URL: this.#schema.url.replace('@127.0.0.1:', `@${net.gateway}:`),
      REDIS_URL: `redis://${net.gateway}:6379`,
      REDIS_KEY_PREFIX: `multihost-${process.pid}`,
      ...this.keyPasswords,
      MUSTER_API_TOKEN: this.apiToken,
      MEDIA_WORKERS: '1',
      MEDIA_SECRET: this.mediaSecret,
      GATEWAYS: '2',
      PORT: '8080',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      // The balancer's health checks and the clients come from the bridge: no per-address limit should refuse them.
      RATE_REQUESTS_PER_ADDRESS: '100000',
      ...options.env,
    };
    // One after the other: the first creates the schema and the keyring.
    for (let i = 0; i < (options.appHosts ?? 2); i++) {
      const name = String.fromCharCode(97 + i);
      const { ns, address } = net.addHost(name, 2 + i);
      fs.mkdirSync(path.join(this.#dir, name));
      const app = {
        MUSTER_DATA_DIR: path.join(this.#dir, name),
        // Media only on the media hosts.
        MEDIA_LOCAL: '0',
        // The other app hosts relay meeting connections to the meeting's host: their X-Forwarded-For is believed.
        TRUST_PROXY: `${net.gateway.replace(/\.1$/, '.0')}/24`,
      };
      this.hosts.push(await HostProcess.start(ns, address, { ...shared, ...app, ...options.env }, REPO));
    }
    for (let i = 0; i < (options.mediaHosts ?? 2); i++) {
      const { ns, address } = net.addHost(`m${i + 1}`, 100 + i);
      const media = { MUSTER_ROLE: 'media', MEDIA_HOST_PORT: '4443', MEDIA_HOST_ADDRESS: address };
      this.mediaHosts.push(await HostProcess.start(ns, address, { ...shared, ...media }, REPO, MEDIA_HOST_READY));
    }
    this.#balancer = await LoadBalancer.start(this.#dir, this.hosts.map((h) => `${h.address}:8080`));
  }

  get balancer(): LoadBalancer {
    return this.#balancer!;
  }

  /** The database as this (root) namespace reaches it: for writing people straight into it. */
  get databaseUrl(): string {
    return this.#schema!.url;
  }

  /** Each app host's own address, past the balancer. */
  get appUrls(): string[] {
    return this.hosts.map((h) => `http://${h.address}:8080`);
  }

  /** Everything down: processes, balancer, namespaces, the schema, the directory. */
  async stop(): Promise<void> {
    this.#balancer?.stop();
    await Promise.all([...this.hosts, ...this.mediaHosts].map((h) => h.stop()));
    this.#net?.destroy();
    await this.#schema?.drop();
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}
