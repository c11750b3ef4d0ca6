import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostAddresses } from './hostAddresses.ts';
import { JanusConfig } from './JanusConfig.ts';
import { JanusSession } from './JanusSession.ts';
import { freePort } from '@muster/kit/testing';
import { stopChild } from '../../stopChild.ts';

export const JANUS_BINARY = '/usr/bin/janus';

const START_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3;
const LOG_TAIL_BYTES = 4_000;


/**
 * A Janus the harness starts for itself: its configuration generated into a
 * temporary directory (JanusConfig), its log in that directory, ready once a
 * Janus API session can be created on its WebSocket port.
 */
export class JanusServer {
  readonly #child: ChildProcess;
  readonly config: JanusConfig;
  readonly version: string;

  private constructor(child: ChildProcess, config: JanusConfig, version: string) {
    this.#child = child;
    this.config = config;
    this.version = version;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.config.wsPort}`;
  }

  get #logFile(): string {
    return path.join(this.config.dir, 'janus.log');
  }

  /** `eventLoops`: see JanusConfig (0: Janus's default, a thread per handle). */
  static async start(eventLoops = 0): Promise<JanusServer> {
    // `janus --version` is not an option; its banner (printed before it parses options) says it.
    const banner = execFileSync(JANUS_BINARY, ['--help'], { encoding: 'utf8' });
    const version = /Janus version: \d+ \(([^)]+)\)/.exec(banner)?.[1] ?? 'unknown';
    const mediaAddress = hostAddresses()[0];
    if (!mediaAddress) throw new Error('janus: this machine has no non-loopback IPv4 address, and Janus gathers no loopback candidate');
    // The WebSocket port is the kernel's free pick, bound by Janus a moment later: should another
    // process take it meanwhile, Janus exits at start-up, and it starts again on another port.
    for (let attempt = 1; ; attempt++) {
      const config = new JanusConfig(fs.mkdtempSync(path.join(os.tmpdir(), 'muster-janus-')), await freePort(), mediaAddress, eventLoops);
      config.write();
      const log = fs.openSync(path.join(config.dir, 'janus.log'), 'a');
      const child = spawn(JANUS_BINARY, ['--config', path.join(config.dir, 'janus.jcfg'), '--configs-folder', config.dir, '--disable-colors'], {
        stdio: ['ignore', log, log],
      });
      fs.closeSync(log);
      // Should the harness end without stopping it (an uncaught error), Janus goes with it.
      const killOnExit = () => child.kill('SIGKILL');
      process.once('exit', killOnExit);
      child.once('exit', () => process.off('exit', killOnExit));
      const server = new JanusServer(child, config, version);
      const outcome = await server.#ready().catch(async (error: unknown) => {
        await server.stop();
        throw error;
      });
      if (outcome === 'ready') return server;
      const tail = server.log().slice(-LOG_TAIL_BYTES);
      await server.stop();
      if (attempt === START_ATTEMPTS) throw new Error(`janus exited during start-up (${START_ATTEMPTS} times):\n${tail}`);
    }
  }

  /** Waits until a session can be created ('ready'), or Janus exits ('exited'); throws when the start-up time runs out. */
  async #ready(): Promise<'ready' | 'exited'> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const exited = new Promise<'exited'>((resolve) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) resolve('exited');
      else this.#child.once('exit', () => resolve('exited'));
    });
    for (;;) {
      const attempt = JanusSession.connect(this.url).then(
        (session) => session.close().then(() => 'ready' as const),
        () => null,
      );
      const outcome = await Promise.race([attempt, exited]);
      if (outcome) return outcome;
      if (Date.now() > deadline) throw new Error(`janus did not answer on ${this.url} within ${START_TIMEOUT_MS / 1000} s:\n${this.log().slice(-LOG_TAIL_BYTES)}`);
      // Not listening yet: retry shortly (the transport starts after the plugin).
      if ((await Promise.race([new Promise((r) => setTimeout(r, 100)), exited])) === 'exited') return 'exited';
    }
  }

  /** Janus's log so far: its banner, then warnings and errors (the configured level). */
  log(): string {
    try {
      return fs.readFileSync(this.#logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    await stopChild(this.#child, { graceMs: 10_000 });
    fs.rmSync(this.config.dir, { recursive: true, force: true });
  }
}
