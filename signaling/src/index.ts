/**
 * The meetings domain (`@muster/signaling`): rooms and their media, host
 * controls, meeting tokens, the socket protocol's gateway and the meetings'
 * REST routers. The app server (`@muster/server`) wires them into HTTP.
 */
export * from './protocol.ts';
export { RoomManager, newMeetingConfig, DEFAULT_PARTICIPANTS_PER_ROUTER, type MeetingOwnership } from './rooms/RoomManager.ts';
export { LiveRoomEntrySchema, type LiveRoomEntry, type RemoteLiveRooms } from './rooms/LiveRooms.ts';
export { MeetingStore, type MeetingConfig } from './rooms/MeetingStore.ts';
export { userIdentity, type SignedInUser } from './rooms/admission.ts';
export { importLegacyMeetings } from './rooms/importLegacyMeetings.ts';
export type { RoomTransaction } from './rooms/RoomTransaction.ts';
export { MeetingTokens } from './auth/MeetingTokens.ts';
export { RoomRecorder, COMPOSITE_LINK } from './controls/RoomRecorder.ts';
export { CONTROL_NAMES, type ControlName, type Actor } from './controls/RoomControls.ts';
export {
  attachSignaling,
  DEFAULT_REQUEST_LIMITS,
  DEFAULT_JOIN_TIMEOUT_MS,
  type RelayedConnection,
  type RequestLimits,
  type SignalingOptions,
  type SignalingRelay,
} from './socket/SignalingGateway.ts';
export { roomsApi } from './http/roomsApi.ts';
export { recordingsApi, recordingFilesApi } from './http/recordingsApi.ts';
