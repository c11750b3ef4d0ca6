/** Test helpers other workspaces use (`@muster/signaling/testing`): a whole server, protocol and WebRTC clients. */
export { startTestServer, waitUntil } from './testServer.ts';
export { ProtocolClient, type Reply } from './protocolClient.ts';
export { NodePeer } from './nodePeer.ts';
export { meetingOfTwo, mediaBackOnNewSubscribers } from './mediaRecovery.ts';
