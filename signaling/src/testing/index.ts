/** Test helpers other workspaces use (`@muster/signaling/testing`): protocol and WebRTC clients of a meeting. */
export { ProtocolClient, type Reply } from './protocolClient.ts';
export { NodePeer } from './nodePeer.ts';
