/**
 * ejabberd as the connections scenario's server (`--target ejabberd`), for
 * the same measurement on an established XMPP server: a node of its own
 * (peers/ejabberd/EjabberdNode.ts), its people registered in one bulk
 * import, the announcement sent to every online session by mod_announce as
 * a headline whose body is the announcement as JSON (XmppConnections reads
 * its send time there).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EjabberdNode } from '../peers/ejabberd/EjabberdNode.ts';
import { commandLine, processTree } from '../processStats.ts';
import type { BotUser } from './ConnectionKind.ts';
import type { ConnectionsOptions } from './options.ts';
import type { TargetProvisioning, TargetServer } from './TargetServer.ts';

export class EjabberdTarget implements TargetServer {
  readonly name = 'ejabberd';
  readonly transport = 'xmpp';
  readonly url: string;
  readonly domain: string;
  readonly users: BotUser[];
  readonly provisioning: TargetProvisioning;
  readonly #node: EjabberdNode;

  private constructor(node: EjabberdNode, users: BotUser[], seconds: number) {
    this.#node = node;
    this.url = node.wsUrl;
    this.domain = node.host;
    this.users = users;
    this.provisioning = { via: `ejabberd ${node.install.version} import_piefxis`, imported: users.length, existing: 0, seconds: { registration: seconds } };
  }

  static async start(options: ConnectionsOptions, onProgress: (line: string) => void): Promise<EjabberdTarget> {
    const node = await EjabberdNode.start({ users: options.users });
    try {
      onProgress(`ejabberd ${node.install.version} up at ${node.wsUrl}; registering ${options.users} people`);
      const started = performance.now();
      const users: BotUser[] = Array.from({ length: options.users }, (_, i) => ({ id: `bot${i}`, secret: randomBytes(9).toString('base64url') }));
      await node.registerUsers(users.map((u) => ({ user: u.id, password: u.secret })));
      return new EjabberdTarget(node, users, Math.round((performance.now() - started) / 100) / 10);
    } catch (error) {
      await node.stop();
      throw error;
    }
  }

  /** The Erlang VM (beam.smp) and whatever it runs beside it (erl_child_setup, inet_gethost). */
  processes(): { pid: number; role: string }[] {
    return processTree(this.#node.pid).map((pid) => ({ pid, role: pid === this.#node.pid ? 'beam' : (commandLine(pid)?.[0] ?? 'child').split('/').pop()! }));
  }

  /** An Erlang VM has no V8 heap: its memory is the RSS from /proc. */
  heapBytes(): Promise<number | null> {
    return Promise.resolve(null);
  }

  async announce(text: string): Promise<{ id: string; sentAt: number }> {
    const announcement = { id: randomUUID(), text, sentAt: Date.now() };
    await this.#node.broadcastOnline(JSON.stringify(announcement));
    return { id: announcement.id, sentAt: announcement.sentAt };
  }

  stop(): Promise<void> {
    return this.#node.stop();
  }
}
