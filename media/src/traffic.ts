import type { PipeTraffic } from './channel.ts';

/** RTP totals, the one shape transports, routers and workers all report. */
export interface Traffic {
  producers: number;
  consumers: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** Adds `from` into `into` and returns `into`. */
export function addTraffic<T extends Traffic>(into: T, from: Traffic): T {
  into.producers += from.producers;
  into.consumers += from.consumers;
  into.packetsIn += from.packetsIn;
  into.packetsOut += from.packetsOut;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  return into;
}

export function emptyPipeTraffic(): PipeTraffic {
  return { rtpPacketsSent: 0, rtpPacketsReceived: 0, rtcpPacketsSent: 0, rtcpPacketsReceived: 0, bytesSent: 0, bytesReceived: 0 };
}

/** Adds `from` into `into` and returns `into`. */
export function addPipeTraffic<T extends PipeTraffic>(into: T, from: PipeTraffic): T {
  into.rtpPacketsSent += from.rtpPacketsSent;
  into.rtpPacketsReceived += from.rtpPacketsReceived;
  into.rtcpPacketsSent += from.rtcpPacketsSent;
  into.rtcpPacketsReceived += from.rtcpPacketsReceived;
  into.bytesSent += from.bytesSent;
  into.bytesReceived += from.bytesReceived;
  return into;
}
