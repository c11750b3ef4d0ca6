export { Worker, type WorkerEvents } from './Worker.ts';
export type { MediaWorker, MediaWorkerEvents } from './MediaWorker.ts';
export { WorkerPool, type WorkerPoolEvents } from './WorkerPool.ts';
// Media hosts (MUSTER_ROLE=media): their side of the link, and signaling's (a link per host, its workers).
export { MediaHostServer, type MediaHostServerOptions } from './remote/MediaHostServer.ts';
export { MediaHostLink, type MediaHostLinkEvents, type MediaHostLinkOptions } from './remote/MediaHostLink.ts';
export { RemoteWorker } from './remote/RemoteWorker.ts';
export { MEDIA_LINK_PATH, MEDIA_LINK_SUBPROTOCOL, MEDIA_LINK_VERSION } from './remote/protocol.ts';
export { mediaConfigFromEnv, type MediaConfig } from './config.ts';
export type * from './channel.ts';
export type { TransportDirection, ConnectionState, PublishedTrack } from './WebRtcTransport.ts';
export { createSfuClientPeer } from './peer.ts';
// Signaling refuses a malformed or oversized client SDP with the same bounded check the worker applies.
export {
  checkRemoteSdp,
  MAX_ANSWER_MEDIA_SECTIONS,
  MAX_PUBLISH_MEDIA_SECTIONS,
  MAX_SDP_BYTES,
  MAX_SDP_LINE_LENGTH,
  MAX_SDP_LINES,
  type SdpCheck,
  type SdpCheckOptions,
} from './sdp.ts';
// The SFU's packet path on the client side of a werift peer: load generators and benchmarks.
export { FastRtpClient, type FastRtpPacket } from './testing/fastRtpClient.ts';
export type { MediaPacket } from './rtp/rtpPacket.ts';
export type { PlainLayers, PlainRtpParameters, PlainTransportDump, PlainConsumerDump } from './PlainTransport.ts';
// The recorder's depacketizers read the same descriptors as the SFU (one parser for both).
export { Vp9Descriptor, parseVp9Descriptor, writeVp9Descriptor } from './svc/vp9.ts';
export { Av1Descriptor, DTI_NOT_PRESENT, decodeTargetFor, parseDependencyDescriptor, writeDependencyDescriptor, svcStructure, type Av1TemplateStructure } from './svc/av1.ts';
export { extensionLength, findHeaderExtension } from './rtp/rtpPacket.ts';
export { bindUdp } from './rtp/udp.ts';
