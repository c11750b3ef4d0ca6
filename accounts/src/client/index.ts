/**
 * The accounts SDK (`@muster/accounts/client`): framework-free, for browsers
 * and Node. It imports only types from the accounts protocol, never server
 * code, so a client bundle carries none of it.
 */
export { AccountClient, AccountApiError, isAccountApiError, errorOf, type AccountClientOptions, type AccountEvents, type AccountNotice, type CreatedGuest, type DeviceDescription, type LoginInput, type PendingCode, type ProfileChange, type SecurityEvent, type SignedOutReason, type SignupInput, type SignupResult } from './AccountClient.ts';
export { MemoryTokenStore, isStoredSession, type Elevation, type StoredSession, type TokenStore } from './tokenStore.ts';
export { watchAccount, type AccountSocketFactory, type AccountSocketLike, type AccountSocketOptions } from './accountSocket.ts';
export { longlink, LonglinkSocket, type WebSocketConstructor, type WebSocketLike } from './longlinkSocket.ts';
export type { CreateMeetingInput, MyMeeting, MyMeetings, MyRecording } from './meetings.ts';
export type { AccountErrorCode, AccountRole, AccountSettings, AccountStatus, AdminUser, CodePurpose, Device, PublicProfile, SessionReply, SignupPolicy, User } from '../protocol.ts';
