/**
 * The tables as Kysely sees them. Times are milliseconds since the epoch
 * (int8 on PostgreSQL, parsed to numbers: they stay far below 2^53). Sealed
 * columns hold the Sealer's binary values (`Buffer`), never plaintext.
 */
import type { ChannelsTables } from './schemas/channels.ts';
import type { MomentsTables } from './schemas/moments.ts';

export interface Schema extends ChannelsTables, MomentsTables {
  meetings: MeetingsTable;
  boards: BoardsTable;
  board_updates: BoardUpdatesTable;
  board_snapshots: BoardSnapshotsTable;
  keyring: KeyringTable;
  rotation_progress: RotationProgressTable;
  audit_log: AuditLogTable;
  recordings: RecordingsTable;
  accounts: AccountsTable;
  account_avatars: AccountAvatarsTable;
  account_sessions: AccountSessionsTable;
  auth_codes: AuthCodesTable;
  one_time_links: OneTimeLinksTable;
  security_events: SecurityEventsTable;
  settings: SettingsTable;
  contact_requests: ContactRequestsTable;
  contacts: ContactsTable;
  blocks: BlocksTable;
  conversations: ConversationsTable;
  conversation_members: ConversationMembersTable;
  messages: MessagesTable;
  message_hides: MessageHidesTable;
  message_files: MessageFilesTable;
  message_terms: MessageTermsTable;
  search_progress: SearchProgressTable;
  sync_cursors: SyncCursorsTable;
  conversation_prefs: ConversationPrefsTable;
  im_settings: ImSettingsTable;
  groups: GroupsTable;
  group_mutes: GroupMutesTable;
  group_join_requests: GroupJoinRequestsTable;
  group_avatars: GroupAvatarsTable;
  push_subscriptions: PushSubscriptionsTable;
  push_settings: PushSettingsTable;
  files: FilesTable;
  file_prefs: FilePrefsTable;
}

export interface MeetingsTable {
  id: string;
  created_at: number;
  updated_at: number;
  /** Scheduled start (ms) or null; plain, so "upcoming meetings" is a query. */
  starts_at: number | null;
  /** The owning account's id, or null (API-created, or made before accounts). */
  owner_id: string | null;
  /** Sealed JSON: the whole meeting configuration (topic, passcode, host key, settings…). */
  config: Buffer;
}

export interface BoardsTable {
  id: string;
  /** Sealed JSON (access settings, owner key hash…), or null before any was set. */
  meta: Buffer | null;
  created_at: number;
  updated_at: number;
  /** Plaintext bytes of the snapshot plus the update tail: what a quota counts. */
  size_bytes: number;
  /** The last sequence number handed out; never reused, even after compaction. */
  last_seq: number;
}

export interface BoardUpdatesTable {
  board_id: string;
  seq: number;
  /** Sealed Yjs update. */
  data: Buffer;
  at: number;
}

export interface BoardSnapshotsTable {
  board_id: string;
  /** The snapshot holds every update with seq ≤ upto_seq. */
  upto_seq: number;
  /** Sealed merged Yjs state. */
  state: Buffer;
  at: number;
}

export interface KeyringTable {
  /** 8 hex characters; the same id is written into every value sealed under the key. */
  key_id: string;
  /** 'active' (seals new values) or 'retiring' (still opens values until a rotation ends). */
  status: 'active' | 'retiring';
  /** The data key wrapped under the key-encryption key (see Keyring.ts). */
  wrapped: Buffer;
  /** JSON KdfParams: algorithm, cost and the two salts. */
  kdf: string;
  created_at: number;
}

export interface RotationProgressTable {
  /** The key every sealed value is being re-encrypted to. */
  target_key_id: string;
  table_name: string;
  /** JSON array: the primary key of the last row re-encrypted, null before the first batch. */
  last_key: string | null;
  done: number;
  updated_at: number;
}

export interface AuditLogTable {
  seq: number;
  at: number;
  action: string;
  /** An opaque object id (meeting id, board id); never personal data. */
  target: string;
  /** Sealed JSON { actor, details, salt }. */
  body: Buffer;
  prev_hash: Buffer;
  hash: Buffer;
}

/** Meeting recordings' descriptions; their media files stay on disk (see @muster/recorder). */
export interface RecordingsTable {
  /** The recording's id (the name of its directory of media files). */
  id: string;
  /** When the recording started (ms); plain, for ordering. */
  started_at: number;
  /** Sealed JSON: the recorder's RecordingInfo (state, hosts, who started it, the manifest with participants' names). */
  info: Buffer;
}

/**
 * People who sign in (see @muster/accounts). Whatever identifies a person is
 * sealed; the phone number is found through its blind index.
 */
export interface AccountsTable {
  id: string;
  /** Sealer.blindIndex('phone', E.164): unique among accounts; null for guests. */
  phone_index: string | null;
  /** The public handle (lower case), unique; plain, so "find by Muster ID" is a query. */
  muster_id: string | null;
  role: 'user' | 'admin' | 'guest';
  status: 'active' | 'pending' | 'disabled';
  created_at: number;
  updated_at: number;
  /** Guests: after this (ms) the account cannot sign in. */
  expires_at: number | null;
  /** Password sign-in is refused until then (ms); code sign-in still works. */
  locked_until: number | null;
  /** Sealed JSON: phone, nickname, gender, region, signature, avatar version, Muster ID change time. */
  profile: Buffer;
  /** Sealed JSON: password hash, console password hash, TOTP secret; null before any is set. */
  credentials: Buffer | null;
}

export interface AccountAvatarsTable {
  account_id: string;
  /** Bumped on every upload: part of the avatar's URL, so caches never show an old one. */
  version: number;
  /** Sealed WebP, 64 px. */
  small: Buffer;
  /** Sealed WebP, 256 px. */
  large: Buffer;
  updated_at: number;
}

/** One signed-in device: its rotating refresh token and what the device list shows. */
export interface AccountSessionsTable {
  id: string;
  account_id: string;
  created_at: number;
  last_seen_at: number;
  /** The generation of the refresh token now valid; an older one presented again is a reuse. */
  generation: number;
  /** When the refresh token was last rotated (ms), or null: the one before may be presented again for a short while (a lost answer). */
  rotated_at: number | null;
  revoked_at: number | null;
  /** Sealed: the secret refresh tokens are derived from (HMAC of the generation). */
  secret: Buffer;
  /** Sealed JSON: device name, platform, address. */
  device: Buffer;
}

/** One-time sign-up, log-in and reset codes: only their keyed hash is kept. */
export interface AuthCodesTable {
  /** Sealer.blindIndex('phone', E.164). */
  phone_index: string;
  purpose: string;
  /** Sealer.blindIndex('auth-code', purpose:phone:code). */
  code_hash: string;
  expires_at: number;
  attempts: number;
  created_at: number;
}

/** Single-use links (guest log-in, the first admin's set-up): only a hash of the token is kept. */
export interface OneTimeLinksTable {
  token_hash: string;
  account_id: string;
  purpose: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

/** Log-ins, failures, lock-outs, password changes: what an admin reviews. */
export interface SecurityEventsTable {
  id: string;
  at: number;
  account_id: string | null;
  kind: string;
  /** Sealed JSON: address, device, other details. */
  details: Buffer;
}

/** Organisation-wide settings (sign-up policy, signing keys…), sealed. */
export interface SettingsTable {
  key: string;
  value: Buffer;
  updated_at: number;
}

/** Friend requests (see @muster/im): pending, accepted, declined; a pending one expires. */
export interface ContactRequestsTable {
  id: string;
  from_id: string;
  to_id: string;
  state: 'pending' | 'accepted' | 'declined';
  /** Sealed greeting line, or null. */
  greeting: Buffer | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

/** One side of a friendship: `owner_id` has `contact_id` in their list. */
export interface ContactsTable {
  owner_id: string;
  contact_id: string;
  /** Sealed JSON { remark, tags }: only the owner sees them. */
  details: Buffer | null;
  created_at: number;
  updated_at: number;
}

export interface BlocksTable {
  owner_id: string;
  blocked_id: string;
  created_at: number;
}

/** A one-to-one or group conversation (see @muster/im). */
export interface ConversationsTable {
  id: string;
  kind: 'direct' | 'group';
  /** Direct conversations: the two user ids, sorted, joined by '|' (one conversation per pair). */
  direct_key: string | null;
  /** The last seq handed out; the next message takes last_seq + 1 in the same transaction. */
  last_seq: number;
  /** The last rev handed out: every new, edited or recalled message takes the next one (catch-up on changes). */
  last_rev: number;
  /** Sealed JSON: a group's name, notice… (null for direct ones). */
  meta: Buffer | null;
  created_at: number;
  updated_at: number;
}

export interface ConversationMembersTable {
  conversation_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member';
  /** Everything up to this seq is read; unread = conversations.last_seq - read_seq. */
  read_seq: number;
  joined_at: number;
}

/** A message, stored once per conversation (a 1000-member group's message is one row). */
export interface MessagesTable {
  conversation_id: string;
  seq: number;
  id: string;
  sender_id: string;
  client_msg_id: string;
  type: string;
  /** Sealed JSON: the text, mentions, reply, and later media references. */
  body: Buffer;
  sent_at: number;
  /** The conversation's rev when this message last changed (sent, edited, recalled). */
  rev: number;
}

/** "Delete for me": a message one person hides on all of their devices. */
/** Which message carries which file (see migration 0015). */
export interface MessageFilesTable {
  conversation_id: string;
  seq: number;
  file_id: string;
}

export interface MessageHidesTable {
  user_id: string;
  conversation_id: string;
  seq: number;
  at: number;
}

/** A REST sync client's position (see im/src/domain/Sync.ts). */
export interface SyncCursorsTable {
  id: string;
  account_id: string;
  /** Bumped by each reply that moves the cursor; the token names the generation it was given for. */
  gen: number;
  /** Sealed JSON: the snapshot of this generation and of the one before. */
  state: Buffer;
  created_at: number;
  /** Moved 7 days ahead on each use; past it the token is SYNC_TOKEN_EXPIRED. */
  expires_at: number;
}

/** One person's settings of one conversation, synced to all of their devices. */
export interface ConversationPrefsTable {
  user_id: string;
  conversation_id: string;
  /** When it was pinned, or null. */
  pinned_at: number | null;
  muted: number;
  /** Hidden while the conversation's last seq is at most this; a new message shows it again. */
  hidden_seq: number | null;
  marked_unread: number;
  /** Sealed JSON: the draft text, or null. */
  draft: Buffer | null;
  /** Bumped by every change: the sync notices changed settings by it. */
  version: number;
  updated_at: number;
}

/** A person's IM privacy settings, and when they were last seen online. */
export interface ImSettingsTable {
  account_id: string;
  hide_last_seen: number;
  accept_from_non_friends: number;
  last_seen_at: number | null;
  updated_at: number;
}

/**
 * Message search: one row per distinct token of a message. `term` is a keyed
 * hash of the token (Sealer.blindIndex 'search-term'), never the word.
 */
export interface MessageTermsTable {
  conversation_id: string;
  term: string;
  seq: number;
}

/** How far a conversation's messages are indexed for search, and under which data key the terms are hashed. */
export interface SearchProgressTable {
  conversation_id: string;
  indexed_rev: number;
  key_id: string;
  updated_at: number;
}

export type TableName = keyof Schema;

/** A group's settings and lifecycle beside its sealed conversations.meta (see @muster/im Groups); flags 0/1. */
export interface GroupsTable {
  conversation_id: string;
  /** Cleared when idle for the console's number of days, or at expires_at. */
  temporary: number;
  expires_at: number | null;
  /** A plain member's invitation becomes a join request the owner or an admin answers. */
  join_approval: number;
  /** Only the owner and admins may send. */
  mute_all: number;
  /** Only the owner and admins may export the chat as minutes (migration 0016). */
  export_admins_only: number;
  /** Dissolved (by its owner, or cleared): nobody sends; members keep what is left. */
  dissolved_at: number | null;
  /** When the "expiring" notice of the current idle stretch went out. */
  expiry_notice_at: number | null;
  updated_at: number;
}

/** A member muted in a group, until a time or (null) until unmuted. */
export interface GroupMutesTable {
  conversation_id: string;
  user_id: string;
  until: number | null;
  created_at: number;
}

/** A plain member's invitation into a group with join approval: pending, approved or declined. */
export interface GroupJoinRequestsTable {
  id: string;
  conversation_id: string;
  user_id: string;
  inviter_id: string;
  state: 'pending' | 'approved' | 'declined';
  created_at: number;
  updated_at: number;
}

/** A group's avatar: as account_avatars, keyed by the group (its conversation) id. */
export interface GroupAvatarsTable {
  conversation_id: string;
  /** Bumped on every upload, kept when removed: part of the avatar's URL, so caches never show an old one. */
  version: number;
  /** Sealed WebP, 64 px; null once removed. */
  small: Buffer | null;
  /** Sealed WebP, 256 px; null once removed. */
  large: Buffer | null;
  updated_at: number;
}

/**
 * Where a person's offline notifications go (see @muster/push): a Web Push subscription, a UnifiedPush
 * endpoint, or an organisation gateway's address. The endpoint URL and its keys are sealed in `target`;
 * `endpoint_index` is their blind index (Sealer.blindIndex 'push-endpoint'), one row per endpoint.
 */
export interface PushSubscriptionsTable {
  id: string;
  account_id: string;
  /** The account_sessions id of the device that registered it: once that device is signed out, nothing goes there. */
  session_id: string;
  /** webpush | unifiedpush | a gateway's own kind. */
  kind: string;
  endpoint_index: string;
  /** Sealed JSON: { endpoint, keys? }. */
  target: Buffer;
  created_at: number;
  /** When the push service last took a notification for it. */
  last_success_at: number | null;
}

/** A person's notification settings: message previews (0/1), do-not-disturb hours (sealed JSON or null). */
export interface PushSettingsTable {
  account_id: string;
  previews: number;
  dnd: Buffer | null;
  updated_at: number;
}

/**
 * An uploaded file (@muster/files). Its bytes are outside the database (disk or S3), encrypted with AES-256-CTR
 * under its own content key, which is sealed here (data_key); everything about it but what queries need is in
 * the sealed meta (name, true type, dimensions, duration, waveform, whether it has a thumbnail).
 */
export interface FilesTable {
  id: string;
  owner_id: string;
  /** The conversation the upload was made for (Upload-Metadata conversationId), or null. */
  conversation_id: string | null;
  /** uploading → ready; ready → deleting → expired (retention). */
  status: 'uploading' | 'ready' | 'deleting' | 'expired';
  /** image | video | audio | other once processed; null while uploading. */
  kind: string | null;
  /** Bytes: the declared Upload-Length (null while deferred), then the stored content's size. */
  size: number | null;
  /** Sealed JSON: the name and what processing found. */
  meta: Buffer;
  /** Sealed: the file's 256-bit content key and IV; null once retention deleted the bytes. */
  data_key: Buffer | null;
  created_at: number;
  completed_at: number | null;
  /** When a message last referenced it: retention counts from here. */
  last_ref_at: number | null;
  expired_at: number | null;
}

/** A person's file settings: how many days their devices keep downloaded files (null: for ever). */
export interface FilePrefsTable {
  account_id: string;
  cache_days: number | null;
  updated_at: number;
}
