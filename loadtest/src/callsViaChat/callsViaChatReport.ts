import { markdownReport } from '../report.ts';
import type { PhasePercentiles, WayLoss } from './callsTally.ts';
import type { CallsViaChatReport } from './CallsViaChatLoadTest.ts';

const ms = (p: PhasePercentiles) => (p.count === 0 ? '– (none)' : `${p.p50Ms ?? '–'} / ${p.p99Ms ?? '–'} ms (${p.count} calls)`);
const loss = (w: WayLoss) => `${w.ratio === null ? '–' : `${(w.ratio * 100).toFixed(3)} %`} (${w.received.toLocaleString('en')} of ${w.expected.toLocaleString('en')} packets)`;

/** The calls scenario's report, then what calls made through the chat add to it. */
export function callsViaChatMarkdown(r: CallsViaChatReport, chartFile: string): string {
  const failedAt = Object.entries(r.calls.failedAt);
  return `${markdownReport(r, chartFile, 'Muster load test: calls via chat')}
## Calls via chat

Each call rung from its one-to-one conversation (the IM client SDK's \`CallsClient\` over longlink, REST for the ring and the answer), answered at once by the callee's device, and carried in the private room it yields: both sides join as the web client does (the caller as it rings, the callee while its device rings), publish held, and release on the answer. Servers: ${r.servers.join(', ')}. People: ${r.provisioning.people} (${r.provisioning.imported} imported, ${r.provisioning.existing} already there) written into the database in ${r.provisioning.seconds.people} + ${r.provisioning.seconds.devices} s (people, devices), contacts in ${r.provisioning.seconds.friendships} s and one-to-one conversations in ${r.provisioning.seconds.conversations} s through REST.

**Media rate: ${r.media.rate}** — ${r.media.note}.

| figure | value |
| --- | --- |
| **calls connected / requested** | **${r.calls.connected} / ${r.calls.requested}** (video ${r.calls.video.connected} / ${r.calls.video.requested}, voice ${r.calls.voice.connected} / ${r.calls.voice.requested}); rung ${r.calls.rung}, set up in full ${r.calls.setUp} |
| **call set-up p50 / p99** (ring sent → both sides have the other's first media) | **${ms(r.setup)}** |
| calls set up, by the media address that carried them | ${Object.entries(r.calls.byMediaAddress).sort(([a], [b]) => a.localeCompare(b)).map(([address, n]) => `${address} ${n}`).join(', ') || '–'} |
| ring sent → the callee's device rings | ${ms(r.setup.ring)} |
| ring sent → the caller hears the answer | ${ms(r.setup.ringToAccepted)} |
| answer heard → both sides' first media | ${ms(r.setup.acceptedToMedia)} |
| video calls: set-up p50 / p99 | ${ms(r.setup.video)} |
| voice calls: set-up p50 / p99 | ${ms(r.setup.voice)} |
| **loss**, steady window, both ways | **${loss(r.loss)}** |
| video calls: caller → callee / callee → caller | ${loss(r.loss.video.callerToCallee)} / ${loss(r.loss.video.calleeToCaller)} |
| voice calls: caller → callee / callee → caller | ${loss(r.loss.voice.callerToCallee)} / ${loss(r.loss.voice.calleeToCaller)} |
| loss over the whole run (from each stream's first packet) | ${loss(r.loss.wholeRun)} |
${failedAt.length ? `| calls failed, by step | ${failedAt.map(([step, n]) => `${step} ${n}`).join(', ')} |\n` : ''}
Loss is counted by the bots, each way of every call, from the RTP probes of the streams that arrived: the packets the sender numbered from the first to the last one received, against those received (RFC 3550's way), in the steady window (every call up). A call whose other side never joined expects nothing: it is a failed call, not loss. Set-up times cover every call that came up, whenever it did.
`;
}
