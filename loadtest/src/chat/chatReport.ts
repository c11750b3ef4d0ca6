import type { ChatReport } from './ChatLoadTest.ts';
import { mediaMarkdown } from './mediaReport.ts';

export const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '–' : `${v}${unit}`);
export const lat = (p: ChatReport['latencyMs']['direct'], what = 'deliveries') => (p.count === 0 ? '– (none)' : `${fmt(p.p50)} / ${fmt(p.p95)} / ${fmt(p.p99)} / ${fmt(p.max)} ms (${p.count} ${what})`);

/** The chat scenario's Markdown report. */
export function chatMarkdownReport(r: ChatReport): string {
  const o = r.options;
  const errors = Object.entries(r.messages.errors);
  return `# Muster load test: chat

Run ${r.startedAt} on ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.platform}, Node ${r.machine.node}. Whole machine busy in the steady window: ${fmt(r.machine.busyPct)} % of one core, of which other processes (neither server nor bots) ${fmt(r.machine.otherProcessesPct)} %.

Options: ${o.users} users (${r.provisioning.directConversations} one-to-one conversations), ${o.groups} groups of ${o.groupSize}, ${o.rate} messages/s asked (${Math.round(o.groupShare * 100)} % to groups), ${o.duration} s steady after ${r.timeline.filter((p) => p.phase === 'warm-up').length} s of warm-up, ${o.database === 'remote' ? `app hosts ${o.servers!.join(', ')} (running elsewhere: the bots dealt over them in turn; their CPU and memory are not read here)` : `server on ${o.database === 'postgres' ? 'PostgreSQL' : 'SQLite'}`}, ${r.bots.processes} bot processes on the same machine.

${o.database === 'remote' ? `Provisioning: ${r.provisioning.users} people written into the hosts' database in ${r.provisioning.seconds.signups} s, then through the REST API` : `Provisioning through the REST API: ${r.provisioning.users} sign-ups by code in ${r.provisioning.seconds.signups} s,`} ${r.provisioning.friendships} friendships in ${r.provisioning.seconds.friendships} s, conversations and groups in ${r.provisioning.seconds.conversations} s.

| figure | value |
| --- | --- |
| bots connected / failed | ${r.bots.connected} / ${r.bots.failed} |
| messages sent per second | ${r.messages.sentPerSec} (asked ${r.messages.targetPerSec}) |
| **persisted messages per second** | **${r.messages.persistedPerSec}** (one-to-one ${r.messages.persistedDirectPerSec}, groups ${r.messages.persistedGroupPerSec}) |
| failed sends | ${r.messages.failed}${errors.length ? ` (${errors.map(([c, n]) => `${c} ${n}`).join(', ')})` : ''} |
| **send → receive, one-to-one**, p50 / p95 / p99 / max | ${lat(r.latencyMs.direct)} |
| **send → receive, groups**, p50 / p95 / p99 / max | ${lat(r.latencyMs.group)} |
| send → stored (ack), p50 / p95 / p99 / max | ${lat(r.ackMs, 'sends')} |
| **fan-out deliveries per second** (to other members' sockets) | **${r.deliveries.perSec}** |
| deliveries received / expected (whole run, after the drain) | ${r.deliveries.received} / ${r.deliveries.expected} (${r.deliveries.ratio === null ? '–' : `${(r.deliveries.ratio * 100).toFixed(3)} %`}); the senders' own sockets got ${r.deliveries.echoes} copies |
| **server CPU** (all processes, % of one core) | **${fmt(r.server.cpuPct, ' %')}** |
| server CPU per persisted message (fan-out included) | ${fmt(r.server.cpuMsPerMessage, ' ms')} |
| **server RSS** | **${fmt(r.server.rssMB, ' MB')}** |
| load generator CPU / worst event-loop lag | ${r.loadGenerator.cpuPct} % / ${r.loadGenerator.maxEventLoopLagMs} ms |

Server processes (steady window):

| pid | role | CPU % | RSS MB |
| --- | --- | --- | --- |
${r.server.processes.map((p) => `| ${p.pid} | ${p.role} | ${fmt(p.cpuPct)} | ${fmt(p.rssMB)} |`).join('\n')}
${r.serverErrors.count ? `\nThe server logged ${r.serverErrors.count} errors; the first:\n\n${r.serverErrors.first.map((e) => `- ${e}`).join('\n')}\n` : ''}${r.bots.failures.length ? `\nFailures (first ${r.bots.failures.length}):\n\n${r.bots.failures.map((f) => `- ${f}`).join('\n')}\n` : ''}
Steady-state seconds: ${r.windowSeconds}. Per-second figures are in the JSON report's \`timeline\`. Latency is measured from the bot's send call, so a saturated load generator adds its own queueing: read the load generator's CPU and lag first.${r.media ? ' With the rich-media mix, the one-to-one and group latencies above are of text messages; per type below.' : ''}
${r.media ? `\n${mediaMarkdown(r.media)}` : ''}`;
}
