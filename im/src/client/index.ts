/**
 * The IM client SDK (`@muster/im/client`): framework-free, for browsers and
 * Node. It imports only the protocol (zod schemas and types), types from
 * the domain and the domain's pure pinyin rules (domain/pinyinNames.ts,
 * loaded on first use by names.ts), never server code.
 */
export { ImClient, type ImClientOptions, type ImPart } from './ImClient.ts';
export { AccountTransport, connectAccountTransport, type AccountTransportOptions, type ImSocketLike } from './accountTransport.ts';
export { ConversationStore, compareConversations, isMedia, isTransient, MAX_VOICE_MS, type ChatMessage, type LocalMedia, type MediaSend, type ConversationEvents, type ConversationState, type ConversationStoreOptions, type MessageState, type SendOptions, type Timeline } from './conversations.ts';
export { ContactsStore, pendingCount, type BlockedPerson, type ContactSection, type ContactsSnapshot, type ContactsStoreOptions, type LookupQuery } from './contacts.ts';
export { ImClientError, type FileReply, type ImTransport } from './transport.ts';
export { ChatExportClient, EXPORT_FORMATS, MAX_EXPORT_MESSAGES, MAX_EXPORT_PICKED, MAX_EXPORT_RANGE_DAYS, filenameOf, isoWithOffset, type ExportChatInput, type ExportedChat, type ExportFormat, type ExportInstant } from './exports.ts';
export { ImConsole } from './imConsole.ts';
export type { ImAdminSettings, TemporaryGroupView } from '../groupsProtocol.ts';
export { CallsClient, type CallsSnapshot, type IncomingCall } from './calls.ts';
export type { CallView, CallMedia, CallState, CallRecordDetail } from '../callProtocol.ts';
export { NameMatcher, RAIL_LETTERS, loadPinyin, pinyinIfLoaded, sectionsOf } from './names.ts';
export { GroupsStore, orderMembers, permissions as groupPermissions, type GroupChange, type GroupDetailsView, type GroupMemberView, type GroupPermissions, type GroupRole, type GroupsSnapshot, type GroupsStoreOptions, type JoinRequestView } from './groups.ts';
export type { GroupView } from '../protocol.ts';
export type { ImEventMap, ImEventName } from '../domain/ImHub.ts';
export type { ContactRequestView, ContactView, ConversationView, FileView, MediaType, MessageView, SystemNotice, ImErrorCode } from '../protocol.ts';
// Values from protocol.ts stay out: its zod schemas, built at import, probe for eval, which the page's CSP refuses.
export { SearchClient, SearchSession, type SearchQuery, type SearchSnapshot } from './search.ts';
export { PresenceStore, PrivacySettingsClient } from './presence.ts';
export type { SearchHit, SearchResults, PresenceView, ImSettings } from '../protocol.ts';
export { MAX_TEXT_BYTES } from './conversations.ts';
