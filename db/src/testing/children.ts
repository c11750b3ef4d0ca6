/**
 * Child processes for crash tests: a TypeScript script run under tsx whose
 * stdout lines the test reads as they come, and which the test may SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const DB_ROOT = path.resolve(new URL('../..', import.meta.url).pathname);

export interface TsxChild {
  process: ChildProcess;
  /** Resolves with the first stdout line matching, or rejects when the child exits first. */
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Every stdout line so far. */
  lines: string[];
  stderr(): string;
  /** Resolves when the process has exited (with its code or signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `db/src/testing/fixtures/<name>.ts` with `node --import tsx`. */
export function spawnFixture(name: string, env: Record<string, string | undefined>): TsxChild {
  const script = path.join(DB_ROOT, 'src', 'testing', 'fixtures', `${name}.ts`);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: DB_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const listeners = new Set<(line: string) => void>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    process: child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(match, what, timeoutMs = 60_000) {
      const already = lines.find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        const listener = (line: string) => {
          if (match(line)) done(undefined, line);
        };
        const done = (error?: Error, line?: string) => {
          clearTimeout(timer);
          listeners.delete(listener);
          if (error) reject(error);
          else resolve(line!);
        };
        listeners.add(listener);
        void exited.then(({ code, signal }) => done(new Error(`${name} exited (${code ?? signal}) before ${what}; stderr: ${stderr.slice(-2000)}`)));
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
