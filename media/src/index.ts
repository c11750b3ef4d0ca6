export { Worker, type WorkerEvents } from './Worker.ts';
export { WorkerPool, type WorkerPoolEvents } from './WorkerPool.ts';
export { mediaConfigFromEnv, type MediaConfig } from './config.ts';
export type * from './channel.ts';
export type { TransportDirection, ConnectionState, PublishedTrack } from './WebRtcTransport.ts';
export { createSfuClientPeer } from './peer.ts';
