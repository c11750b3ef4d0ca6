import { fmt, lat } from '../../chat/chatReport.ts';
import type { EjabberdChatReport } from './EjabberdChatLoadTest.ts';

/** The ejabberd chat run's Markdown report: the rows of Muster's chat report that both targets have, in the same words. */
export function ejabberdChatMarkdownReport(r: EjabberdChatReport): string {
  const o = r.options;
  const errors = Object.entries(r.messages.errors);
  return `# Peer load test: chat against ejabberd ${r.ejabberd.version}

Run ${r.startedAt} on ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.platform}, Node ${r.machine.node}. Whole machine busy in the steady window: ${fmt(r.machine.busyPct)} % of one core, of which other processes (neither ejabberd nor bots) ${fmt(r.machine.otherProcessesPct)} %.

Options: ${o.users} users (${r.provisioning.directConversations} one-to-one conversations), ${o.rate} messages/s asked, ${o.duration} s steady after ${r.timeline.filter((p) => p.phase === 'warm-up').length} s of warm-up, ${r.bots.processes} bot processes on the same machine, each person one XMPP-over-WebSocket connection (@xmpp/client, SASL PLAIN, stream management). ejabberd node \`${r.ejabberd.node}\`, messages archived by ${r.ejabberd.archive}${r.ejabberd.configFile ? `, configuration [${r.ejabberd.configFile}](${r.ejabberd.configFile})` : ''}.

Provisioning: ${r.provisioning.users} accounts imported (XEP-0227 file through the admin API) in ${r.provisioning.seconds.registration} s.

| figure | value |
| --- | --- |
| bots connected / failed | ${r.bots.connected} / ${r.bots.failed} |
| messages sent per second | ${r.messages.sentPerSec} (asked ${r.messages.targetPerSec}) |
| **persisted messages per second** (acknowledged: archived and routed) | **${r.messages.persistedPerSec}** |
| failed sends | ${r.messages.failed}${errors.length ? ` (${errors.map(([c, n]) => `${c} ${n}`).join(', ')})` : ''} |
| **send → receive, one-to-one**, p50 / p95 / p99 / max | ${lat(r.latencyMs.direct)} |
| send → stored (ack), p50 / p95 / p99 / max | ${lat(r.ackMs, 'sends')} |
| **deliveries per second** | **${r.deliveries.perSec}** |
| deliveries received / expected (whole run, after the drain) | ${r.deliveries.received} / ${r.deliveries.expected} (${r.deliveries.ratio === null ? '–' : `${(r.deliveries.ratio * 100).toFixed(3)} %`}) |
| messages in ${r.archive.accounts} accounts' archives / what they acknowledged and received (each message is in its sender's and its recipient's) | ${r.archive.messages} / ${r.archive.expected}${r.archive.queriesFailed ? ` (${r.archive.queriesFailed} counts failed)` : ''} |
| **server CPU** (beam.smp, % of one core) | **${fmt(r.server.cpuPct, ' %')}** |
| server CPU per persisted message | ${fmt(r.server.cpuMsPerMessage, ' ms')} |
| **server RSS** (beam.smp) | **${fmt(r.server.rssMB, ' MB')}** |
| load generator CPU / worst event-loop lag | ${r.loadGenerator.cpuPct} % / ${r.loadGenerator.maxEventLoopLagMs} ms |
${r.serverErrors.count ? `\nejabberd logged ${r.serverErrors.count} errors; the first:\n\n${r.serverErrors.first.map((e) => `- ${e}`).join('\n')}\n` : ''}${r.bots.failures.length ? `\nFailures (first ${r.bots.failures.length}):\n\n${r.bots.failures.map((f) => `- ${f}`).join('\n')}\n` : ''}
Steady-state seconds: ${r.windowSeconds}. Per-second figures are in the JSON report's \`timeline\`. Latency is measured from the bot's send call, so a saturated load generator adds its own queueing: read the load generator's CPU and lag first.
`;
}
