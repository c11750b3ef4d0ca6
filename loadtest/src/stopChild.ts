import type { ChildProcess } from 'node:child_process';

/**
 * Stops a child process of the harness (a bot process, a server under test,
 * a peer): asks it with `message` over IPC when it has a channel (else
 * SIGTERM), and kills it if it has not exited after `graceMs`. Resolves
 * once it is gone; at once if it already is.
 */
export function stopChild(child: ChildProcess, options: { message?: object; graceMs: number }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, options.graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (options.message && child.connected) child.send(options.message);
    else child.kill('SIGTERM');
  });
}
