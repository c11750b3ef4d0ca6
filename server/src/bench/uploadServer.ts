/**
 * The server side of the upload benchmark (upload.bench.ts), in a process of
 * its own so its CPU time and memory can be read from /proc apart from the
 * client's: a whole Muster server (startTestServer: SQLite, a temporary data
 * directory, one media worker) and one person signed up over REST with the
 * code from the log channel. Tells the parent `{ url, dataDir, accessToken }`
 * over IPC, then waits for `close` (or the parent going away), closes the
 * server and removes its data directory.
 */
import type { LogCodeChannel, SessionReply } from '@muster/accounts';
import { startTestServer, waitUntil } from '../testing/index.ts';

export interface ReadyMessage {
  type: 'ready';
  url: string;
  dataDir: string;
  accessToken: string;
}

const PHONE = '+8613900001717';
const PASSWORD = 'bench-upload-quartz-17';

if (!process.send) throw new Error('uploadServer.ts is started by upload.bench.ts (with an IPC channel)');

const server = await startTestServer();
let closing: Promise<void> | undefined;
const close = () =>
  (closing ??= server
    .close()
    .catch((error: unknown) => void process.stderr.write(`bench server: close failed: ${String(error)}\n`))
    .finally(() => process.exit(0)));
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'close') void close();
});
process.on('disconnect', () => void close());
process.on('SIGTERM', () => void close());
process.on('SIGINT', () => void close());

try {
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${server.url}/api/v1${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
  await post('/auth/codes', { phone: PHONE, purpose: 'signup' });
  const channel = server.accounts.channel as LogCodeChannel;
  const code = await waitUntil(() => channel.pending().find((p) => p.phone === PHONE)?.code, 10_000, 'the sign-up code');
  const session = (await post('/auth/signup', { phone: PHONE, code, password: PASSWORD, nickname: 'Upload Bench' })) as SessionReply;
  const ready: ReadyMessage = { type: 'ready', url: server.url, dataDir: server.dataDir, accessToken: session.accessToken };
  process.send(ready);
} catch (error) {
  process.stderr.write(`bench server: could not set up: ${error instanceof Error ? error.stack : String(error)}\n`);
  await close();
}
