import type { WorkerStats } from '@muster/media';

type Reader = (s: WorkerStats) => number;
type Family = [name: string, help: string, type: 'counter' | 'gauge', read: Reader];

/**
 * Pipe traffic of a worker. Workers of a build from before pipe transports
 * report none: counted as zero, so that the families exist on every host.
 */
const pipe = (s: WorkerStats) => s.pipe ?? { rtpPacketsSent: 0, rtpPacketsReceived: 0, rtcpPacketsSent: 0, rtcpPacketsReceived: 0, bytesSent: 0, bytesReceived: 0, transports: 0 };

/** Each figure once per worker (`muster_media_worker_<name>{worker,pid}`) and once for the host (`muster_media_<name>`). */
const FAMILIES: Family[] = [
  ['routers', 'Routers (rooms, and rooms’ parts on this host).', 'gauge', (s) => s.routers],
  ['transports', 'WebRTC transports.', 'gauge', (s) => s.transports],
  ['producers', 'Producers (published tracks, and tracks arriving over pipes).', 'gauge', (s) => s.producers],
  ['consumers', 'Consumers (subscribed tracks).', 'gauge', (s) => s.consumers],
  ['cpu_seconds_total', 'CPU time used by media workers.', 'counter', (s) => s.cpuMicros / 1e6],
  ['rss_bytes', 'Resident memory of media workers.', 'gauge', (s) => s.rssBytes],
  ['packets_in_total', 'RTP packets received.', 'counter', (s) => s.packetsIn],
  ['packets_out_total', 'RTP packets forwarded.', 'counter', (s) => s.packetsOut],
  ['bytes_in_total', 'RTP payload bytes received.', 'counter', (s) => s.bytesIn],
  ['bytes_out_total', 'RTP payload bytes forwarded.', 'counter', (s) => s.bytesOut],
  ['pipe_rtp_packets_sent_total', 'RTP packets sent into pipe transports (to other workers and hosts).', 'counter', (s) => pipe(s).rtpPacketsSent],
  ['pipe_rtp_packets_received_total', 'RTP packets received from pipe transports.', 'counter', (s) => pipe(s).rtpPacketsReceived],
  ['pipe_rtcp_packets_sent_total', 'RTCP packets sent into pipe transports.', 'counter', (s) => pipe(s).rtcpPacketsSent],
  ['pipe_rtcp_packets_received_total', 'RTCP packets received from pipe transports.', 'counter', (s) => pipe(s).rtcpPacketsReceived],
  ['pipe_bytes_sent_total', 'Bytes sent into pipe transports.', 'counter', (s) => pipe(s).bytesSent],
  ['pipe_bytes_received_total', 'Bytes received from pipe transports.', 'counter', (s) => pipe(s).bytesReceived],
  ['pipe_transports', 'Open pipe transports.', 'gauge', (s) => pipe(s).transports],
];

/**
 * A media host's `/metrics` (Prometheus text): its workers, each and in
 * total. The totals are their own families (`muster_media_*`), not an
 * unlabelled series beside the per-worker ones, so that a sum over a
 * family never counts a worker twice. A worker's counters restart with it
 * (a replacement is a new `pid`), as Prometheus's `rate()` expects.
 */
export function renderMediaHostMetrics(workers: { id: number; stats: WorkerStats }[], links: number): string {
  const lines: string[] = [];
  const family = (name: string, help: string, type: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family('muster_media_workers', 'Live media worker processes on this host.', 'gauge');
  lines.push(`muster_media_workers ${workers.length}`);
  family('muster_media_links', 'Signaling processes (apps) linked to this host.', 'gauge');
  lines.push(`muster_media_links ${links}`);
  for (const [name, help, type, read] of FAMILIES) {
    family(`muster_media_${name}`, `${help} All workers of this host.`, type);
    lines.push(`muster_media_${name} ${workers.reduce((total, w) => total + read(w.stats), 0)}`);
  }
  for (const [name, help, type, read] of FAMILIES) {
    family(`muster_media_worker_${name}`, `${help} One worker.`, type);
    for (const { id, stats } of workers) lines.push(`muster_media_worker_${name}{worker="${id}",pid="${stats.pid}"} ${read(stats)}`);
  }
  return `${lines.join('\n')}\n`;
}
