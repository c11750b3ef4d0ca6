/**
 * The ejabberd peer (issue 18), against a real ejabberd the tests start: the
 * chat load at a tiny size (everything acknowledged is delivered and in both
 * archives), and the lean connection module (200 connections from several
 * local addresses, heartbeats answered, one broadcast reaching every one).
 * Without ejabberd the tests are skipped with a loud notice; under CI=true
 * they run and fail saying ejabberd is missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseChatArgs } from '../../chat/options.ts';
import { ejabberdChatMain } from './ejabberdChatCli.ts';
import { EjabberdNode, findEjabberd } from './EjabberdNode.ts';
import { heartbeatsAnswered, openXmppConnection, type XmppConnection } from './xmppConnection.ts';

const install = findEjabberd();
const enabled = install !== null || process.env.CI === 'true';
if (!enabled) {
  console.warn(['', '!'.repeat(78), '!!  SKIPPING the ejabberd peer tests (loadtest/src/peers/ejabberd): ejabberd is not installed', '!!  apt-get install ejabberd. Under CI=true these tests fail instead.', '!'.repeat(78), ''].join('\n'));
}

/** Waits until `condition` holds (checked every 50 ms); fails with `what` after `timeoutMs`. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Processes whose command line names the node: none once it is stopped. */
function processesOf(nodeName: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(nodeName);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.runIf(enabled)('the ejabberd peer', () => {
  it('finds ejabberd installed', () => {
    expect(install, 'ejabberd is not installed, and CI=true needs it: apt-get install ejabberd (ejabberdctl and its Erlang libraries)').not.toBeNull();
  });

  it('runs the chat load against an ejabberd it starts: everything acknowledged is delivered and archived twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-ejabberd-lt-'));
    const parsed = parseChatArgs(['--scenario', 'chat', '--target', 'ejabberd', '--users', '6', '--rate', '12', '--duration', '2', '--bot-processes', '1', '--json', path.join(dir, 'chat.json'), '--md', path.join(dir, 'chat.md')]);
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await ejabberdChatMain(parsed.options)).toBe(0);
      log.mockRestore();
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'chat.json'), 'utf8'));
      expect(report).toMatchObject({ scenario: 'chat', target: 'ejabberd', bots: { requested: 6, connected: 6, failed: 0 }, provisioning: { users: 6, directConversations: 3 }, messages: { failed: 0 } });
      expect(report.messages.persistedPerSec).toBeGreaterThan(0);
      expect(report.deliveries.received).toBeGreaterThan(0);
      // Nothing lost: every acknowledged message reached its partner, and sits in both archives (all 6 counted).
      expect(report.deliveries.received).toBe(report.deliveries.expected);
      const copies = report.deliveries.expected + report.deliveries.received;
      expect(report.archive).toEqual({ accounts: 6, messages: copies, expected: copies, queriesFailed: 0 });
      for (const p of ['p50', 'p95', 'p99']) expect(report.latencyMs.direct[p]).toBeGreaterThan(0);
      expect(report.server.rssMB).toBeGreaterThan(0);
      expect(report.server.cpuPct).not.toBeNull();
      expect(report.loadGenerator.cpuPct).toBeGreaterThanOrEqual(0);
      expect(report.timeline.some((p: { phase: string }) => p.phase === 'steady')).toBe(true);
      // The configuration the node ran with, beside the reports.
      expect(report.ejabberd.configFile).toBe('chat.ejabberd.yml');
      const config = fs.readFileSync(path.join(dir, 'chat.ejabberd.yml'), 'utf8');
      expect(config).toContain('/ws: ejabberd_http_ws');
      expect(config).toContain('db_type: mnesia');
      expect(fs.readFileSync(path.join(dir, 'chat.md'), 'utf8')).toContain('persisted messages per second');
      // The node and everything it started are gone.
      expect(processesOf(report.ejabberd.node)).toEqual([]);
    } finally {
      log.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  describe('lean XMPP connections', () => {
    const N = 200;
    let node: EjabberdNode;
    const connections: XmppConnection[] = [];
    const received = new Map<string, string[]>();
    const lost: string[] = [];

    beforeAll(async () => {
      // A heartbeat a second, so every connection answers one within the test.
      node = await EjabberdNode.start({ users: N, heartbeatSeconds: 1 });
      const users = Array.from({ length: N }, (_, i) => ({ user: `c${i}`, password: `pw-${i}` }));
      await node.registerUsers(users);
      let next = 0;
      await Promise.all(
        Array.from({ length: 25 }, async () => {
          for (let i = next++; i < N; i = next++) {
            const { user, password } = users[i]!;
            received.set(user, []);
            const connection = await openXmppConnection({
              url: node.wsUrl,
              domain: node.host,
              user,
              password,
              resource: 'lt',
              localAddress: `127.0.0.${2 + (i % 8)}`,
              onMessage: (body) => received.get(user)!.push(body),
              onLost: (reason) => lost.push(`${user}: ${reason}`),
            });
            connections.push(connection);
          }
        }),
      );
    }, 120_000);

    afterAll(async () => {
      await Promise.all(connections.map((c) => c.close()));
      if (!node) return;
      const name = node.nodeName;
      await node.stop();
      expect(node.usage()).toBeNull();
      expect(processesOf(name)).toEqual([]);
    }, 60_000);

    it('opens every connection, bound to its own account, and answers the server heartbeat', async () => {
      expect(connections).toHaveLength(N);
      expect(new Set(connections.map((c) => c.jid.split('/')[0])).size).toBe(N);
      expect(connections.every((c) => c.jid.endsWith(`@${node.host}/lt`))).toBe(true);
      await waitFor(() => heartbeatsAnswered() >= N, `${N} heartbeats`);
      // A round trip through the session process still works (XEP-0199 to the server).
      expect(await connections[0]!.iq('get', '<ping xmlns="urn:xmpp:ping"/>', node.host)).toMatch(/type=['"]result['"]/);
      expect(lost).toEqual([]);
    });

    it('delivers one broadcast to every connection, once', async () => {
      const body = `broadcast ${process.pid} ${Date.now()}`;
      await node.broadcastOnline(body);
      await waitFor(() => [...received.values()].every((bodies) => bodies.includes(body)), 'the broadcast on every connection');
      for (const bodies of received.values()) expect(bodies.filter((b) => b === body)).toHaveLength(1);
      const usage = node.usage();
      expect(usage?.rssBytes).toBeGreaterThan(0);
      expect(usage?.cpuMicros).toBeGreaterThan(0);
    });
  });
});
