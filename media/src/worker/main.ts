import type { ChannelMessage } from '../channel.ts';
import type { MediaConfig } from '../config.ts';
import { nativePacketStatus } from '../rtp/nativePacket.ts';
import { WorkerProcess } from './WorkerProcess.ts';
import { log as rootLog } from '@muster/kit/log';

const log = rootLog.child({ component: 'media-worker' });

if (!process.send) {
  log.error('media worker must be started by the main process over IPC');
  process.exit(1);
}

const config = JSON.parse(process.env.MUSTER_MEDIA_CONFIG ?? '{}') as MediaConfig;
const starting = WorkerProcess.start(config, (message) => {
  // A closed channel means the parent is gone; the 'disconnect' handler exits.
  if (process.connected) process.send!(message);
});
let worker: WorkerProcess | undefined;

// Requests that arrive while the worker binds its port wait for it, in order.
process.on('message', (message: ChannelMessage) => {
  void starting.then((w) => w.handle(message), () => undefined);
});
// Without a parent there is nobody to serve: exit rather than linger as an orphan.
process.on('disconnect', () => {
  worker?.close();
  process.exit(0);
});
// A clean exit on SIGTERM lets --cpu-prof write its profile.
process.on('SIGTERM', () => {
  worker?.close();
  process.exit(0);
});
process.on('uncaughtException', (error) => {
  // werift raises from socket callbacks on malformed packets; one bad peer must
  // not take down every room on this worker.
  log.error({ err: error }, 'uncaught exception');
});
process.on('unhandledRejection', (reason) => {
  log.error({ err: reason }, 'unhandled rejection');
});
if (!nativePacketStatus.loaded && process.env.MUSTER_NATIVE !== '0') {
  // Loud, once per worker: the JS path works but costs more CPU per packet (docs/operations.md, Platforms).
  log.warn({ reason: nativePacketStatus.reason }, 'native packet path not loaded; using JavaScript. Run `npm run build:native -w media`.');
}
starting.then(
  (started) => {
    worker = started;
    started.ready();
  },
  (error: Error) => {
    // Without its UDP port the worker can carry no media: exit, and the pool reports the failed start.
    log.error({ err: error }, 'media worker cannot start');
    process.exit(1);
  },
);
