/**
 * The request/notification protocol between the main process and a media
 * worker process, over Node's IPC channel. One map, so both ends agree at
 * compile time on every method's parameters and result.
 */
import type { WebRtcServerStats } from './WebRtcServer.ts';
import type { ConsumerDump } from './Consumer.ts';
import type { ProducerDump } from './Producer.ts';
import type { PipeTransportDump } from './PipeTransport.ts';
import type { PlainLayers, PlainRtpParameters, PlainTransportDump } from './PlainTransport.ts';
import type { ConsumerPreferences } from './svc/LayerSelector.ts';
import type { RouterDump, RouterStats } from './Router.ts';
import type { ConnectionState, PublishedTrack, TransportDirection } from './WebRtcTransport.ts';

export interface ProducerInfo {
  id: string;
  kind: 'audio' | 'video';
  mid: string;
  source: string;
  codec: string;
}

export interface ConsumerInfo {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  mid: string | null;
}

/**
 * What a router needs to recreate a producer that arrives over a pipe
 * (PipeTransport): the origin producer's description, with the SSRCs the
 * pipe carries it on (one per simulcast encoding, else one).
 */
export interface PipeProducerParameters {
  id: string;
  kind: 'audio' | 'video';
  mid: string;
  source: string;
  codec: string;
  /** The SSRC of each encoding on the pipe, lowest encoding first (one for a single stream). */
  ssrcs: number[];
  audioLevelExtensionId: number;
  dependencyDescriptorExtensionId: number;
  simulcast?: { rids: string[]; ridExtensionId: number; repairedRidExtensionId: number };
  paused: boolean;
}

/** Packet counters of one pipe transport (or the sum of a worker's). */
export interface PipeTraffic {
  rtpPacketsSent: number;
  rtpPacketsReceived: number;
  rtcpPacketsSent: number;
  rtcpPacketsReceived: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface PipeTransportStats extends PipeTraffic {
  id: string;
  local: { ip: string; port: number };
  remote: { ip: string; port: number } | null;
  /** Producers this side sends into the pipe. */
  consumers: number;
  /** Producers this side receives from the pipe. */
  producers: number;
  /**
   * Datagrams refused (and left out of the received counters): from another
   * address than the connected one, malformed, or RTP of an SSRC no producer
   * here receives on.
   */
  dropped?: { foreign: number; malformed: number; unknownSsrc: number };
}

export interface WorkerStats extends RouterStats {
  pid: number;
  routers: number;
  /** Microseconds of CPU (user + system) since the worker started. */
  cpuMicros: number;
  rssBytes: number;
  /** SRTP and sending run in the native packet path (media/native), not JS. */
  nativePacketPath: boolean;
  /** The worker's shared UDP port, or null when each transport has its own sockets (RTC_SHARED_PORT=0). */
  webRtcServer: WebRtcServerStats | null;
  /** Every pipe transport of this worker, summed (closed ones included, so totals never go backwards). */
  pipe: PipeTraffic & { transports: number };
}

export interface WorkerMethods {
  'router.create': { params: { routerId: string }; result: void };
  'router.close': { params: { routerId: string }; result: void };
  'router.dump': { params: { routerId: string }; result: RouterDump };
  'transport.create': { params: { routerId: string; transportId: string; direction: TransportDirection }; result: void };
  'transport.close': { params: { routerId: string; transportId: string }; result: void };
  'transport.publish': {
    params: { routerId: string; transportId: string; sdp: string; tracks: PublishedTrack[] };
    result: { sdp: string; producers: ProducerInfo[]; closedProducerIds: string[] };
  };
  'transport.consume': {
    params: { routerId: string; transportId: string; producerId: string; consumerId: string };
    result: ConsumerInfo;
  };
  'transport.createOffer': {
    params: { routerId: string; transportId: string; iceRestart?: boolean };
    result: { sdp: string; consumers: ConsumerInfo[] };
  };
  'transport.applyAnswer': { params: { routerId: string; transportId: string; sdp: string }; result: void };
  'transport.getStats': { params: { routerId: string; transportId: string }; result: Record<string, unknown> };
  'producer.pause': { params: { routerId: string; producerId: string }; result: void };
  'producer.resume': { params: { routerId: string; producerId: string }; result: void };
  'producer.close': { params: { routerId: string; producerId: string }; result: void };
  'consumer.pause': { params: { routerId: string; consumerId: string }; result: void };
  'consumer.resume': { params: { routerId: string; consumerId: string }; result: void };
  'consumer.close': { params: { routerId: string; consumerId: string }; result: void };
  /** Tile size, visibility, layer preference (see svc/LayerSelector.ts). */
  'consumer.setPreferences': { params: { routerId: string; consumerId: string; preferences: ConsumerPreferences }; result: void };
  /** Plain-RTP outputs (recorder): a loopback socket; consumers start paused. */
  'plainTransport.create': { params: { routerId: string; transportId: string }; result: { localPort: number } };
  'plainTransport.close': { params: { routerId: string; transportId: string }; result: void };
  'plainTransport.consume': {
    params: { routerId: string; transportId: string; producerId: string; consumerId: string; remotePort: number; remoteIp?: string; layers?: PlainLayers };
    result: PlainRtpParameters;
  };
  'plainTransport.resume': { params: { routerId: string; transportId: string; consumerId: string }; result: void };
  'plainTransport.requestKeyFrame': { params: { routerId: string; transportId: string; consumerId: string }; result: void };
  'plainTransport.closeConsumer': { params: { routerId: string; transportId: string; consumerId: string }; result: void };
  'plainTransport.dump': { params: { routerId: string; transportId: string }; result: PlainTransportDump };
  /**
   * Pipe transports (a room spanning workers or hosts, as mediasoup's
   * pipeToRouter): plain RTP and RTCP over UDP between two routers. One is
   * created on each side, bound to `ip` (loopback between workers of one
   * host, the host's address between hosts), then each is connected to the
   * other's address. `consume` on the origin side sends a producer into the
   * pipe and returns what `produce` on the far side needs to recreate it
   * there, under the same producer id. Keyframe requests (RTCP PLI) travel
   * back to the origin producer.
   */
  'pipeTransport.create': { params: { routerId: string; transportId: string; ip: string }; result: { ip: string; port: number } };
  'pipeTransport.connect': { params: { routerId: string; transportId: string; ip: string; port: number }; result: void };
  'pipeTransport.consume': { params: { routerId: string; transportId: string; producerId: string }; result: PipeProducerParameters };
  'pipeTransport.produce': { params: { routerId: string; transportId: string; parameters: PipeProducerParameters }; result: void };
  'pipeTransport.close': { params: { routerId: string; transportId: string }; result: void };
  'pipeTransport.getStats': { params: { routerId: string; transportId: string }; result: PipeTransportStats };
  'worker.stats': { params: Record<string, never>; result: WorkerStats };
  'worker.dump': { params: Record<string, never>; result: { pid: number; routers: RouterDump[] } };
  /** The main process's watchdog: an answer proves the worker's event loop runs (Worker.ts). */
  'worker.ping': { params: Record<string, never>; result: void };
}

export type WorkerMethod = keyof WorkerMethods;

export interface WorkerNotifications {
  'worker.ready': { pid: number };
  'transport.connectionstatechange': { routerId: string; transportId: string; state: ConnectionState };
  'producer.close': { routerId: string; producerId: string };
  'consumer.close': { routerId: string; consumerId: string; reason: string };
  'router.dominantspeaker': { routerId: string; producerId: string | null };
  'plainTransport.consumerclose': { routerId: string; transportId: string; consumerId: string; reason: string };
}

export type WorkerNotificationName = keyof WorkerNotifications;

export type ChannelRequest = { kind: 'request'; id: number; method: WorkerMethod; params: unknown };
export type ChannelResponse =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };
export type ChannelNotification = { kind: 'notification'; event: WorkerNotificationName; data: unknown };
export type ChannelMessage = ChannelRequest | ChannelResponse | ChannelNotification;

export type { ConsumerDump, ConsumerPreferences, PipeTransportDump, PlainLayers, PlainRtpParameters, PlainTransportDump, ProducerDump, RouterDump };
