/** A test fixture in a child process (testing/fixtures/<name>.ts under tsx), whose stdout lines the test waits on. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);

export interface Child {
  process: ChildProcess;
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnFilesFixture(name: string, env: Record<string, string>): Child {
  const script = path.join(ROOT, 'src', 'testing', 'fixtures', `${name}.ts`);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    waitForLine(match, what, timeoutMs = 60_000) {
      const already = lines.find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        const listener = (line: string) => match(line) && finish(undefined, line);
        const finish = (error?: Error, line?: string) => {
          clearTimeout(timer);
          listeners.delete(listener);
          if (error) reject(error);
          else resolve(line!);
        };
        listeners.add(listener);
        void exited.then(() => finish(new Error(`${name} exited before ${what}; stderr: ${stderr.slice(-2000)}`)));
      });
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
