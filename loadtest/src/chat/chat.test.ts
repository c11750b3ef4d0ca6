/**
 * The chat scenario: its flags (a contract: --users, --groups, --group-size,
 * --rate, --duration, --json, --md), its plan, the sign-up codes read from
 * the server log, and one short real run whose report has every field.
 */
import { describe, expect, it } from 'vitest';
import { checkLoadtestRun } from '../loadtestRun.ts';
import { ServerUnderTest } from '../ServerUnderTest.ts';
import { parseChatArgs, planChat } from './options.ts';
import { CodeBook, botAddress } from './provision.ts';

describe('the chat scenario', () => {
  it('parses its flags, with defaults and refusals', () => {
    const ok = parseChatArgs(['--scenario', 'chat', '--users', '2000', '--groups', '20', '--group-size', '100', '--rate', '16000', '--duration', '30', '--json', 'r.json', '--md', 'r.md']);
    expect(ok).toMatchObject({ ok: true, options: { users: 2000, groups: 20, groupSize: 100, rate: 16000, duration: 30, groupShare: 0.5, json: 'r.json', md: 'r.md' } });
    expect(parseChatArgs(['--scenario', 'chat'])).toMatchObject({ ok: true, options: { users: 200, groups: 0, groupShare: 0, rate: 100, duration: 30 } });
    expect(parseChatArgs(['--scenario', 'chat', '--groups', '1', '--group-size', '1000', '--users', '1000', '--group-share', '1'])).toMatchObject({ ok: true, options: { groupShare: 1 } });
    const refusals: string[][] = [
      ['--scenario', 'chat', '--users', '1'],
      ['--scenario', 'chat', '--rate', '0'],
      ['--scenario', 'chat', '--rate', 'lots'],
      ['--scenario', 'chat', '--group-size', '1001', '--groups', '1', '--users', '2000'],
      ['--scenario', 'chat', '--groups', '1', '--group-size', '50', '--users', '10'],
      ['--scenario', 'chat', '--group-share', '0.5'],
      ['--scenario', 'chat', '--unknown', '1'],
      ['--scenario', 'meeting'],
      // --url goes with --data-dir, text only, against Muster.
      ['--scenario', 'chat', '--url', 'http://10.0.0.2:8080'],
      ['--scenario', 'chat', '--url', 'http://10.0.0.2:8080', '--data-dir', '/tmp/x', '--media-mix'],
      ['--scenario', 'chat', '--url', 'ftp://10.0.0.2', '--data-dir', '/tmp/x'],
      ['--scenario', 'chat', '--data-dir', '/tmp/x'],
    ];
    for (const argv of refusals) expect(parseChatArgs(argv).ok, argv.join(' ')).toBe(false);
    expect(parseChatArgs(['--scenario', 'chat', '--url', 'http://10.0.0.2:8080/, http://10.0.0.3:8080', '--data-dir', '/tmp/x'])).toMatchObject({
      ok: true,
      options: { remote: { urls: ['http://10.0.0.2:8080', 'http://10.0.0.3:8080'], dataDir: '/tmp/x' } },
    });
  });

  it('plans pairs, groups and each friendship once', () => {
    const plan = planChat({ users: 10, groups: 2, groupSize: 4 });
    expect(plan.pairs).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
    expect(plan.groups).toEqual([[0, 1, 2, 3], [5, 6, 7, 8]]);
    const keys = plan.friendships.map(([a, b]) => (a < b ? `${a}|${b}` : `${b}|${a}`));
    expect(new Set(keys).size).toBe(keys.length);
    // Every group member is the owner's contact.
    for (const [owner, ...members] of plan.groups) for (const m of members) expect(keys).toContain(m < owner! ? `${m}|${owner}` : `${owner}|${m}`);
    // A 1000-member group of 1000 users wraps round from its owner.
    const big = planChat({ users: 1000, groups: 1, groupSize: 1000 });
    expect(new Set(big.groups[0]).size).toBe(1000);
    expect(botAddress(70_000)).toBe('10.1.17.112');
  });

  it('reads sign-up codes from the server log lines, whichever comes first', async () => {
    const book = new CodeBook();
    book.line('{"msg":"accounts: one-time code 123456 for the number ending 0042 (signup)"}');
    expect(await book.take('0042')).toBe('123456');
    const later = book.take('0043');
    book.line('{"msg":"accounts: one-time code 654321 for the number ending 0043 (login)"}');
    book.line('{"msg":"accounts: one-time code 777777 for the number ending 0043 (signup)"}');
    expect(await later).toBe('777777');
  });

  it('runs a short chat load against a server it starts, and reports every field', async () => {
    const args = ['--scenario', 'chat', '--users', '40', '--groups', '2', '--group-size', '10', '--rate', '40', '--duration', '3', '--bot-processes', '1'];
    await checkLoadtestRun('chat', args, 150_000, ({ report, markdown }) => {
      expect(report.scenario).toBe('chat');
      expect(report.bots).toMatchObject({ requested: 40, connected: 40, failed: 0 });
      expect(report.provisioning).toMatchObject({ users: 40, directConversations: 20, groups: 2 });
      expect(report.messages.persistedPerSec).toBeGreaterThan(0);
      expect(report.messages.persistedDirectPerSec).toBeGreaterThan(0);
      expect(report.messages.persistedGroupPerSec).toBeGreaterThan(0);
      for (const kind of ['direct', 'group']) for (const p of ['p50', 'p95', 'p99']) expect(report.latencyMs[kind][p]).toBeGreaterThan(0);
      expect(report.deliveries.perSec).toBeGreaterThan(0);
      // Nothing lost: every acknowledged send reached every other member's socket.
      expect(report.deliveries.received).toBe(report.deliveries.expected);
      expect(report.server.cpuPct).toBeGreaterThan(0);
      expect(report.server.rssMB).toBeGreaterThan(0);
      expect(report.server.cpuMsPerMessage).toBeGreaterThan(0);
      expect(report.machine.cores).toBeGreaterThan(0);
      expect(report.timeline.some((p: { phase: string }) => p.phase === 'steady')).toBe(true);
      expect(markdown).toContain('persisted messages per second');
      expect(markdown).toContain('fan-out deliveries per second');
      expect(markdown).toContain('send → receive, groups');
    });
  }, 180_000);

  it('runs against app hosts already running (--url, --data-dir): people written into their database, the bots dealt over the URLs', async () => {
    const dataDir = ServerUnderTest.newDataDir();
    const server = await ServerUnderTest.start({ dataDir, workers: 1, env: { TRUST_PROXY: '127.0.0.1' } });
    try {
      // One server under two names: the bots are dealt over both, as over two app hosts.
      const urls = [server.url, server.url.replace('127.0.0.1', 'localhost')];
      const args = ['--scenario', 'chat', '--users', '20', '--rate', '20', '--duration', '3', '--bot-processes', '1', '--url', urls.join(','), '--data-dir', dataDir];
      await checkLoadtestRun('chat-remote', args, 150_000, ({ report, markdown }) => {
        expect(report.options).toMatchObject({ database: 'remote', servers: urls });
        expect(report.bots).toMatchObject({ requested: 20, connected: 20, failed: 0 });
        expect(report.provisioning).toMatchObject({ users: 20, directConversations: 10 });
        expect(report.messages.persistedPerSec).toBeGreaterThan(0);
        expect(report.deliveries.received).toBe(report.deliveries.expected);
        expect(report.deliveries.expected).toBeGreaterThan(0);
        // Not measured from here: the hosts run elsewhere.
        expect(report.server).toMatchObject({ cpuPct: null, rssMB: null, cpuMsPerMessage: null, processes: [] });
        expect(markdown).toContain(`app hosts ${urls.join(', ')}`);
        expect(markdown).toContain("people written into the hosts' database");
      });
    } finally {
      await server.stop();
    }
  }, 180_000);
});
