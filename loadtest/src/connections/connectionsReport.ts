import type { ConnectionsReport } from './ConnectionsLoadTest.ts';

const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '–' : `${v.toLocaleString('en')}${unit}`);
const reasons = (byReason: Record<string, number>) => {
  const entries = Object.entries(byReason).sort((a, b) => b[1] - a[1]);
  return entries.length ? ` (${entries.map(([reason, n]) => `${reason} ${n.toLocaleString('en')}`).join(', ')})` : '';
};
const kb = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? null : Math.round((bytes / 1024) * 100) / 100);

/** The connections scenario's Markdown report: the same figures as the JSON. */
export function connectionsMarkdownReport(r: ConnectionsReport): string {
  const c = r.connections;
  const o = r.options;
  const k = r.kernel;
  const roles = Object.entries(r.server.processes.byRole).map(([role, n]) => `${n} ${role}`).join(', ');
  return `# Muster load test: connections

Run ${r.startedAt} on ${r.machine.cpuModel}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.platform}, Node ${r.machine.node}. Whole machine busy during the hold: ${fmt(r.machine.busyPct)} % of one core; least memory available during the run: ${fmt(r.machine.memAvailableMB, ' MB')}.

Target ${r.target} over ${r.transport}${o.url ? ` at ${o.url}` : ''}: ${fmt(o.connections)} connections of ${fmt(r.users)} people, opened over ${o.ramp} s and held ${o.hold} s, from ${r.loadgen.processes} bot processes on ${r.loadgen.sourceAddresses} source addresses${o.gateways !== null ? `, GATEWAYS=${o.gateways}` : ''}. People provisioned by ${r.provisioning.via}: ${fmt(r.provisioning.imported)} new, ${fmt(r.provisioning.existing)} found (${Object.entries(r.provisioning.seconds).map(([step, s]) => `${step} ${s} s`).join(', ')}).

| figure | value |
| --- | --- |
| connections requested / connected / **held to the end** | ${fmt(c.requested)} / ${fmt(c.connected)} / **${fmt(c.heldToEnd)}** |
| refused | ${fmt(c.refused.total)}${reasons(c.refused.byReason)} |
| dropped (ended after coming up) | ${fmt(c.dropped.total)}${reasons(c.dropped.byReason)} |
| not opened (low memory) / still pending | ${fmt(c.notOpened)} / ${fmt(c.pending)} |
| retries / token refreshes (ok, failed) | ${fmt(c.retries.total)}${reasons(c.retries.byReason)} / ${fmt(c.refreshes.ok)}, ${fmt(c.refreshes.failed)}${reasons(c.refreshes.failedByReason)} |
| ramp: asked / measured | ${r.ramp.requestedSeconds} s / ${fmt(r.ramp.seconds, ' s')} (${fmt(r.ramp.connectedPerSec)} connections/s)${r.ramp.haltedLowMemory ? ', **stopped: the machine ran short of memory**' : ''} |
| hold / heartbeat | ${r.hold.seconds} s / ${r.hold.heartbeatMs === null ? 'the transport\'s own' : `${r.hold.heartbeatMs / 1000} s`} |
| **broadcast reached** / expected | **${fmt(r.broadcast.reached)}** / ${fmt(r.broadcast.expected)} (waited ${r.broadcast.waitedSeconds} s) |
| **broadcast send → receive**, p50 / p95 / **p99** / max | ${fmt(r.broadcast.p50Ms)} / ${fmt(r.broadcast.p95Ms)} / **${fmt(r.broadcast.p99Ms)}** / ${fmt(r.broadcast.maxMs)} ms |
| **server RSS** held (before the ramp) | **${fmt(r.server.rssMB, ' MB')}** (${fmt(r.server.baselineRssMB, ' MB')}) |
| **server memory per connection** (RSS) | **${fmt(r.server.memoryPerConnectionKB, ' KB')}** |
| server V8 heap held (before the ramp) / **per connection** | ${fmt(r.server.heapMB, ' MB')} (${fmt(r.server.baselineHeapMB, ' MB')}) / **${fmt(r.server.heapPerConnectionKB, ' KB')}** |
| server CPU during the hold (at rest before the ramp) / **per 1000 idle connections** | ${fmt(r.server.cpuPct, ' %')} (${fmt(r.server.baselineCpuPct, ' %')}) / **${fmt(r.server.cpuPer1000IdlePct, ' %')}** of one core |
| server processes | ${r.server.processes.count}${roles ? ` (${roles})` : ''} |
| server RSS by role, before the ramp → held | ${Object.entries(r.server.rssByRole).map(([role, m]) => `${role} ${fmt(m.baselineMB)} → ${fmt(m.heldMB)} MB`).join('; ')} |
| kernel TCP sockets (both ends) held / per connection | ${k ? `${fmt(k.held.inUse)} / ${fmt(k.perConnection.sockets)}` : '–'} |
| kernel TCP buffers / slab per connection (both ends) | ${k ? `${fmt(kb(k.perConnection.bufferBytes), ' KB')} / ${fmt(kb(k.perConnection.slabBytes), ' KB')}` : '–'} |
| load generator CPU during the hold / RSS / worst event-loop lag | ${fmt(r.loadgen.cpuPct, ' %')} / ${fmt(r.loadgen.rssMB, ' MB')} / ${fmt(r.loadgen.maxEventLoopLagMs, ' ms')}${r.loadgen.crashed ? ` (**${r.loadgen.crashed} bot processes crashed**)` : ''} |

Server processes at the end of the hold (CPU over the hold):

| pid | role | CPU % | RSS MB |
| --- | --- | --- | --- |
${r.server.processes.list.map((p) => `| ${p.pid} | ${p.role} | ${fmt(p.cpuPct)} | ${fmt(p.rssMB)} |`).join('\n')}

Memory per connection is the server's whole process tree's RSS with the connections held, less its RSS at rest before the ramp, over the connections held: gateways started as connections grew count in it. CPU per 1000 idle connections is the tree's CPU during the hold less its CPU at rest, over the thousands held. Kernel figures are machine-wide (/proc/net/sockstat, the slab caches in /proc/meminfo) and hold both ends of every connection, since the bots share the machine. Broadcast latency runs from the server's send time to each bot's receipt on the same clock. Per-second figures are in the JSON report's \`timeline\`.
`;
}
