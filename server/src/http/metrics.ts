import type { WorkerPool } from '@muster/media';
import type { RoomManager } from '@muster/signaling';
import type { GatewayHubStats } from '../gateway/GatewayHub.ts';

/** The IM send cap's figures (im's SendBudget). */
export interface SendFigures {
  readonly inFlight: number;
  readonly refused: number;
  readonly limit: number;
}

/** Prometheus text exposition of what an operator watches: load and per-worker cost, and IM sends in flight when given. */
export function renderMetrics(rooms: RoomManager, pool: WorkerPool, sends?: SendFigures, gateways?: GatewayHubStats): string {
  let participants = 0;
  let producers = 0;
  let consumers = 0;
  for (const room of rooms.rooms) {
    for (const p of room.participants.values()) {
      participants++;
      producers += p.tracks.size;
      consumers += p.consumers.size;
    }
  }
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
  };
  gauge('muster_rooms', 'Open rooms.', rooms.rooms.length);
  gauge('muster_participants', 'Participants in all rooms.', participants);
  gauge('muster_producers', 'Published tracks.', producers);
  gauge('muster_consumers', 'Subscribed tracks.', consumers);
  gauge('muster_media_workers', 'Live media worker processes.', pool.workers.filter((w) => !w.closed).length);
  // Where rooms can go: this host's own workers (host="local") and each linked media host's.
  const byHost = new Map<string, number>();
  for (const w of pool.workers) if (!w.closed) byHost.set(w.host, (byHost.get(w.host) ?? 0) + 1);
  lines.push('# HELP muster_media_host_workers Live media workers rooms can be placed on, by host.', '# TYPE muster_media_host_workers gauge');
  for (const [host, count] of byHost) lines.push(`muster_media_host_workers{host="${host}"} ${count}`);
  if (sends) {
    // Near the cap, or refusals climbing: this process is offered more chat sends than it stores (IM_MAX_SENDS_IN_FLIGHT).
    gauge('muster_im_sends_in_flight', 'IM sends and forwards taken and not yet answered.', sends.inFlight);
    gauge('muster_im_sends_in_flight_max', 'The cap on IM sends in flight (IM_MAX_SENDS_IN_FLIGHT).', sends.limit);
    lines.push('# HELP muster_im_sends_refused_total IM sends refused with BUSY at the cap.', '# TYPE muster_im_sends_refused_total counter', `muster_im_sends_refused_total ${sends.refused}`);
  }

  const memory = process.memoryUsage();
  gauge('muster_app_heap_bytes', 'V8 heap in use in this app process.', memory.heapUsed);
  gauge('muster_app_rss_bytes', 'Resident memory of this app process.', memory.rss);
  if (gateways) {
    gauge('muster_gateways', 'Gateway processes attached to this app.', gateways.gateways);
    gauge('muster_gateway_connections_total', 'Signed-in longlink connections on all gateways of this app.', gateways.connections);
    gauge('muster_gateway_accounts', 'Accounts with a longlink connection on a gateway of this app.', gateways.accounts);
    const perGateway: [string, string, keyof Omit<GatewayHubStats['each'][number], 'id'>][] = [
      ['muster_gateway_connections', 'Open connections of one gateway (longlink and passing through), as it reported them.', 'connections'],
      ['muster_gateway_heap_bytes', 'V8 heap in use in one gateway process.', 'heapUsed'],
      ['muster_gateway_rss_bytes', 'Resident memory of one gateway process.', 'rss'],
    ];
    for (const [name, help, field] of perGateway) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const g of gateways.each) if (g[field] !== undefined) lines.push(`${name}{gateway="${g.id}"} ${g[field]}`);
    }
  }

  // A reader returns undefined where the figure does not apply to that worker (it is left out).
  const perWorker: [string, string, 'counter' | 'gauge', (s: NonNullable<(typeof pool.workers)[number]['lastStats']>) => number | undefined][] = [
    ['muster_worker_cpu_seconds_total', 'CPU time used by the media worker.', 'counter', (s) => s.cpuMicros / 1e6],
    ['muster_worker_rss_bytes', 'Resident memory of the media worker.', 'gauge', (s) => s.rssBytes],
    ['muster_worker_packets_in_total', 'RTP packets received by the media worker.', 'counter', (s) => s.packetsIn],
    ['muster_worker_packets_out_total', 'RTP packets forwarded by the media worker.', 'counter', (s) => s.packetsOut],
    ['muster_worker_bytes_in_total', 'RTP payload bytes received by the media worker.', 'counter', (s) => s.bytesIn],
    ['muster_worker_bytes_out_total', 'RTP payload bytes forwarded by the media worker.', 'counter', (s) => s.bytesOut],
    ['muster_worker_routers', 'Rooms hosted by the media worker.', 'gauge', (s) => s.routers],
    ['muster_worker_consumers', 'Consumers on the media worker.', 'gauge', (s) => s.consumers],
    ['muster_worker_native_packet_path', '1 when the worker runs SRTP and sends in the native packet path (media/native), 0 on the JS path.', 'gauge', (s) => (s.nativePacketPath ? 1 : 0)],
    ['muster_worker_udp_port', 'The UDP port all WebRTC transports of the worker share (RTC_SHARED_PORT).', 'gauge', (s) => s.webRtcServer?.port],
    ['muster_worker_udp_receive_buffer_bytes', 'Kernel receive buffer of the shared port (raise net.core.rmem_max if small).', 'gauge', (s) => s.webRtcServer?.receiveBufferBytes],
    ['muster_worker_udp_unroutable_total', 'Datagrams to the shared port from no known peer.', 'counter', (s) => s.webRtcServer?.unroutable],
    ['muster_worker_udp_send_dropped_total', 'Forwarded datagrams the kernel refused on the shared port.', 'counter', (s) => s.webRtcServer?.sendDropped],
  ];
  for (const [name, help, type, read] of perWorker) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const worker of pool.workers) {
      const value = worker.lastStats ? read(worker.lastStats) : undefined;
      if (value !== undefined) lines.push(`${name}{worker="${worker.id}",pid="${worker.lastStats!.pid}"} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
