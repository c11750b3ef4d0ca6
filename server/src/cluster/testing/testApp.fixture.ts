/**
 * The app process of a supervisor under test: a test server (cheap key
 * derivation and Argon2id, given key passwords) on loopback with the
 * supervisor's secret, speaking the app's IPC (ready with its port; stop).
 * Its data directory comes from MUSTER_DATA_DIR, so a restarted app finds
 * the same people.
 */
import { trustProxyFrom } from '@muster/kit/client-address';
import { startTestServer } from '../../testing/index.ts';
import type { ChildMessage } from '../processProtocol.ts';
import { stopAsChild } from '../lifecycle.ts';

const dataDir = process.env.MUSTER_DATA_DIR!;
const server = await startTestServer({ internalSecret: process.env.MUSTER_INTERNAL_SECRET, dataDir, security: { trustProxy: trustProxyFrom('loopback') } });
// Sign-up by password: the test is in another process and cannot read this one's codes.
await server.accounts.admin.updateSettings({ accountId: 'fixture', sessionId: 'fixture', role: 'admin' }, { signupPolicy: 'password' });
// The helper deletes only the empty directory it made; MUSTER_DATA_DIR stays for the next app.
stopAsChild(() => server.close());
process.send?.({ t: 'ready', port: server.port } satisfies ChildMessage);
