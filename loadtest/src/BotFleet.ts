import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BotSpec } from './Bot.ts';
import type { ChatCallSpec } from './callsViaChat/ChatCall.ts';
import type { FleetCommand, FleetMessage, FleetSample, PeerName } from './fleetProtocol.ts';
import { stopChild } from './stopChild.ts';

const ENTRY = fileURLToPath(new URL('./botEntry.mjs', import.meta.url));

/** The bot processes of one run, and their latest samples. */
export class BotFleet {
  readonly #children: ChildProcess[] = [];
  readonly latest = new Map<number, FleetSample>();
  readonly #onSample: (index: number, sample: FleetSample) => void;

  constructor(onSample: (index: number, sample: FleetSample) => void) {
    this.#onSample = onSample;
  }

  get pids(): number[] {
    return this.#children.map((c) => c.pid!).filter(Boolean);
  }

  /**
   * Deals bots out to `processes` processes, keeping each room's bots together
   * (their packets then cross one fewer process boundary in the figures), and
   * calls via chat likewise, each call (its two people and their bots) whole.
   * `peer`: the bots speak that SFU's protocol (src/peers/) instead of Muster's.
   */
  async start(url: string, bots: BotSpec[], options: { processes: number; ratePerSecond: number; peer?: PeerName; calls?: ChatCallSpec[] }): Promise<void> {
    const groups: BotSpec[][] = Array.from({ length: options.processes }, () => []);
    const rooms = [...new Set(bots.map((b) => b.room))];
    rooms.forEach((room, i) => groups[i % options.processes]!.push(...bots.filter((b) => b.room === room)));
    const callGroups: ChatCallSpec[][] = Array.from({ length: options.processes }, () => []);
    (options.calls ?? []).forEach((call, i) => callGroups[i % options.processes]!.push(call));
    const perProcessRate = options.ratePerSecond / options.processes;
    await Promise.all(
      groups.map(async (group, index) => {
        const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
        this.#children.push(child);
        await new Promise<void>((resolve, reject) => {
          child.once('exit', () => reject(new Error('bot process exited during start-up')));
          child.on('message', (message: FleetMessage) => {
            if (message.type === 'ready') resolve();
            if (message.type === 'sample') {
              this.latest.set(index, message);
              this.#onSample(index, message);
            }
          });
        });
        const command: FleetCommand = { type: 'spawn', url, bots: group, calls: callGroups[index], ratePerSecond: perProcessRate, peer: options.peer };
        child.send(command);
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map(
        (child) => stopChild(child, { message: { type: 'stop' } satisfies FleetCommand, graceMs: 15_000 }),
      ),
    );
  }
}
