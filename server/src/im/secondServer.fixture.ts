/**
 * A second Muster server in its own process, for multiProcess.test.ts: a
 * test server on DATABASE_URL (the same PostgreSQL schema as the test's own
 * server), which prints `READY <url>` and stops on SIGTERM.
 */
import { startTestServer } from '../testing/index.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const server = await startTestServer({ databaseUrl });
process.stdout.write(`READY ${server.url}\n`);
const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
