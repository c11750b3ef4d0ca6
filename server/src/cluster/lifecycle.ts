/**
 * How the processes of a host's tree stop: the top one (the supervisor, or
 * the single process) on SIGINT or SIGTERM, a second signal forcing it; a
 * child when its supervisor says so, goes away (killed: nobody would
 * restart anything any more), or sends SIGTERM. Ctrl-C reaches the whole
 * process group, so children ignore SIGINT and let the top one decide the
 * order. Each exits 0 once stopped, 1 if stopping failed.
 */
import type { Logger } from '@muster/kit/log';
import type { SupervisorMessage } from './processProtocol.ts';

function once(stop: () => Promise<void>): () => void {
  let stopping = false;
  return () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
}

/** The top process: stops on SIGINT or SIGTERM; a second signal exits at once. */
export function stopOnSignals(log: Logger, stop: () => Promise<void>): void {
  const run = once(stop);
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(1);
      signalled = true;
      log.info({ signal }, 'Muster is shutting down');
      run();
    });
  }
}

/** A child of the supervisor: stops when told, when the supervisor is gone, or on SIGTERM. */
export function stopAsChild(stop: () => Promise<void>): void {
  const run = once(stop);
  process.on('message', (message: SupervisorMessage) => {
    if (message.t === 'stop') run();
  });
  process.on('disconnect', run);
  process.on('SIGTERM', run);
  process.on('SIGINT', () => undefined);
}
