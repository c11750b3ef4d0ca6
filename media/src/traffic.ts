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
