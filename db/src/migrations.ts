import type { Logger } from '@muster/kit/log';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { bytesType, type EngineHandles, type EngineName } from './Engine.ts';
import { channelsMigration } from './schemas/channels.ts';
import { momentsMigration } from './schemas/moments.ts';

/**
 * Every schema change, in order, in code: nothing is read from disk at run
 * time, and one list serves both engines. A migration is never edited once
 * released; a change is a new entry. The few engine differences go through
 * helpers (bytesType).
 */
export function createMigrations(engine: EngineName): Record<string, Migration> {
  const bytes = bytesType(engine);
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('meetings')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('starts_at', 'bigint')
          .addColumn('config', bytes, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('meetings_created_at').on('meetings').columns(['created_at', 'id']).execute();

        await db.schema
          .createTable('boards')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('meta', bytes)
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('size_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createTable('board_updates')
          .addColumn('board_id', 'text', (c) => c.notNull().references('boards.id').onDelete('cascade'))
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('data', bytes, (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('board_updates_pk', ['board_id', 'seq'])
          .execute();
        await db.schema
          .createTable('board_snapshots')
          .addColumn('board_id', 'text', (c) => c.primaryKey().references('boards.id').onDelete('cascade'))
          .addColumn('upto_seq', 'bigint', (c) => c.notNull())
          .addColumn('state', bytes, (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('keyring')
          .addColumn('key_id', 'text', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('wrapped', bytes, (c) => c.notNull())
          .addColumn('kdf', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        // At most one active key, enforced by the database: two servers
        // starting on an empty database at once cannot both create a data key.
        await db.schema.createIndex('keyring_one_active').on('keyring').column('status').unique().where(sql.ref('status'), '=', 'active').execute();

        await db.schema
          .createTable('rotation_progress')
          .addColumn('target_key_id', 'text', (c) => c.notNull())
          .addColumn('table_name', 'text', (c) => c.notNull())
          .addColumn('last_key', 'text')
          .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('rotation_progress_pk', ['target_key_id', 'table_name'])
          .execute();

        await db.schema
          .createTable('audit_log')
          .addColumn('seq', 'bigint', (c) => c.primaryKey())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('body', bytes, (c) => c.notNull())
          .addColumn('prev_hash', bytes, (c) => c.notNull())
          .addColumn('hash', bytes, (c) => c.notNull())
          .execute();
      },
    },
    // Recording descriptions, which the recorder kept as recordings/<id>/recording.json:
    // in the database they are re-encrypted by a rotation and included in backups.
    '0002_recordings': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('recordings')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('info', bytes, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('recordings_started_at').on('recordings').columns(['started_at', 'id']).execute();
      },
    },
    // Accounts, their devices, one-time codes and links, security events, settings (see @muster/accounts).
    '0003_accounts': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('accounts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('phone_index', 'text')
          .addColumn('muster_id', 'text')
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('locked_until', 'bigint')
          .addColumn('profile', bytes, (c) => c.notNull())
          .addColumn('credentials', bytes)
          .execute();
        await db.schema.createIndex('accounts_phone_index').on('accounts').column('phone_index').unique().execute();
        await db.schema.createIndex('accounts_muster_id').on('accounts').column('muster_id').unique().execute();
        await db.schema.createIndex('accounts_created_at').on('accounts').columns(['created_at', 'id']).execute();

        await db.schema
          .createTable('account_avatars')
          .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('small', bytes, (c) => c.notNull())
          .addColumn('large', bytes, (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('account_sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .addColumn('generation', 'integer', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .addColumn('secret', bytes, (c) => c.notNull())
          .addColumn('device', bytes, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('account_sessions_account').on('account_sessions').columns(['account_id', 'created_at']).execute();
        // Every process polls this for revocations made by the others (SessionGuard).
        await db.schema.createIndex('account_sessions_revoked').on('account_sessions').column('revoked_at').execute();

        await db.schema
          .createTable('auth_codes')
          .addColumn('phone_index', 'text', (c) => c.notNull())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('code_hash', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('auth_codes_pk', ['phone_index', 'purpose'])
          .execute();

        await db.schema
          .createTable('one_time_links')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('used_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('security_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('account_id', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('details', bytes, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('security_events_at').on('security_events').columns(['at', 'id']).execute();
        await db.schema.createIndex('security_events_account').on('security_events').columns(['account_id', 'at']).execute();

        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', bytes, (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Meetings owned by an account ("my meetings"): the owner hosts on any device.
    '0004_meeting_owner': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('meetings').addColumn('owner_id', 'text').execute();
        await db.schema.createIndex('meetings_owner').on('meetings').columns(['owner_id', 'created_at']).execute();
      },
    },
    // Contacts (see @muster/im): friend requests, friendships (a row per side), blocks.
    '0005_contacts': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('contact_requests')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('from_id', 'text', (c) => c.notNull())
          .addColumn('to_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('greeting', bytes)
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('contact_requests_to').on('contact_requests').columns(['to_id', 'created_at']).execute();
        await db.schema.createIndex('contact_requests_from').on('contact_requests').columns(['from_id', 'to_id']).execute();
        await db.schema
          .createTable('contacts')
          .addColumn('owner_id', 'text', (c) => c.notNull())
          .addColumn('contact_id', 'text', (c) => c.notNull())
          .addColumn('details', bytes)
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('contacts_pk', ['owner_id', 'contact_id'])
          .execute();
        await db.schema
          .createTable('blocks')
          .addColumn('owner_id', 'text', (c) => c.notNull())
          .addColumn('blocked_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('blocks_pk', ['owner_id', 'blocked_id'])
          .execute();
      },
    },
    // Conversations and messages (see @muster/im): a message is stored once per
    // conversation under a gap-free seq; each member has a read pointer.
    '0006_conversations': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('conversations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('direct_key', 'text')
          .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('meta', bytes)
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('conversations_direct').on('conversations').column('direct_key').unique().execute();
        await db.schema
          .createTable('conversation_members')
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('read_seq', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('joined_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('conversation_members_pk', ['conversation_id', 'user_id'])
          .execute();
        await db.schema.createIndex('conversation_members_user').on('conversation_members').columns(['user_id', 'conversation_id']).execute();
        await db.schema
          .createTable('messages')
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('sender_id', 'text', (c) => c.notNull())
          .addColumn('client_msg_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('body', bytes, (c) => c.notNull())
          .addColumn('sent_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('messages_pk', ['conversation_id', 'seq'])
          .execute();
        await db.schema.createIndex('messages_id').on('messages').column('id').unique().execute();
        // A retried send finds the first one: idempotence by the client's id, per sender and conversation.
        await db.schema.createIndex('messages_client').on('messages').columns(['conversation_id', 'sender_id', 'client_msg_id']).unique().execute();
      },
    },
    '0007_message_revisions': {
      async up(db: Kysely<any>) {
        // Every change to a conversation's messages (a new one, an edit, a recall) takes the next rev,
        // so a device catches up on changes, not only on new seqs.
        await db.schema.alterTable('conversations').addColumn('last_rev', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('messages').addColumn('rev', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.createIndex('messages_rev').on('messages').columns(['conversation_id', 'rev']).execute();
        // "Delete for me": hidden on every device of one person only.
        await db.schema
          .createTable('message_hides')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('message_hides_pk', ['user_id', 'conversation_id', 'seq'])
          .execute();
        await db.schema.createIndex('message_hides_at').on('message_hides').columns(['user_id', 'at']).execute();
      },
    },
    // Group administration (see @muster/im Groups): plain flags and times beside the sealed
    // conversations.meta, so the temporary-group sweeper finds its groups without opening any.
    '0009_groups': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('groups')
          .addColumn('conversation_id', 'text', (c) => c.primaryKey())
          .addColumn('temporary', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('expires_at', 'bigint')
          .addColumn('join_approval', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('mute_all', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('dissolved_at', 'bigint')
          .addColumn('expiry_notice_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('groups_temporary').on('groups').columns(['temporary', 'dissolved_at']).execute();
        await db.schema
          .createTable('group_mutes')
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('until', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('group_mutes_pk', ['conversation_id', 'user_id'])
          .execute();
        await db.schema
          .createTable('group_join_requests')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('inviter_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('group_join_requests_group').on('group_join_requests').columns(['conversation_id', 'state', 'created_at']).execute();
      },
    },
    '0010_sync_prefs_presence': {
      async up(db: Kysely<any>) {
        // A REST sync client's position: a sealed snapshot of what it was last sent (per conversation:
        // rev, read pointers, settings version), and the one before it, so a reply lost on the way is
        // asked for again with the same token. Bound to one account; unused for 7 days, it lapses.
        await db.schema
          .createTable('sync_cursors')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('gen', 'bigint', (c) => c.notNull())
          .addColumn('state', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sync_cursors_expires').on('sync_cursors').columns(['expires_at']).execute();
        // One person's settings of one conversation: flags plain, the draft sealed.
        await db.schema
          .createTable('conversation_prefs')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('pinned_at', 'bigint')
          .addColumn('muted', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('hidden_seq', 'bigint')
          .addColumn('marked_unread', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('draft', bytes)
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('conversation_prefs_pk', ['user_id', 'conversation_id'])
          .execute();
        // A person's IM privacy settings and when they were last seen online.
        await db.schema
          .createTable('im_settings')
          .addColumn('account_id', 'text', (c) => c.primaryKey())
          .addColumn('hide_last_seen', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('accept_from_non_friends', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_seen_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0011_message_search': {
      async up(db: Kysely<any>) {
        // Message search (see im/src/domain/SearchIndexer.ts): one row per distinct token of a
        // message, the token as a keyed hash (Sealer.blindIndex 'search-term'), never the word.
        await db.schema
          .createTable('message_terms')
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('term', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('message_terms_pk', ['conversation_id', 'term', 'seq'])
          .execute();
        // Re-indexing one message deletes its terms by seq.
        await db.schema.createIndex('message_terms_seq').on('message_terms').columns(['conversation_id', 'seq']).execute();
        // How far each conversation is indexed (its rev), and under which data key the terms are hashed.
        await db.schema
          .createTable('search_progress')
          .addColumn('conversation_id', 'text', (c) => c.primaryKey())
          .addColumn('indexed_rev', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // A group's avatar (see @muster/im Groups.setAvatar): sealed WebP images as a person's (account_avatars),
    // keyed by the group's id. Removing it clears the images but keeps the version, so a new one gets a new path.
    '0012_group_avatars': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('group_avatars')
          .addColumn('conversation_id', 'text', (c) => c.primaryKey())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('small', bytes)
          .addColumn('large', bytes)
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Files (@muster/files): one row per upload. Plain: what the sweeper and the access checks query (owner,
    // conversation, status, times, kind); sealed: the name and everything else about the content (meta), and the
    // file's own content key (data_key; cleared when retention deletes the bytes). The bytes live outside the
    // database (disk or S3), encrypted under data_key. file_prefs: a person's download cache period.
    '0013_files': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('files')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('owner_id', 'text', (c) => c.notNull())
          .addColumn('conversation_id', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('kind', 'text')
          .addColumn('size', 'bigint')
          .addColumn('meta', bytes, (c) => c.notNull())
          .addColumn('data_key', bytes)
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('completed_at', 'bigint')
          .addColumn('last_ref_at', 'bigint')
          .addColumn('expired_at', 'bigint')
          .execute();
        await db.schema.createIndex('files_status_ref').on('files').columns(['status', 'last_ref_at']).execute();
        await db.schema.createIndex('files_status_created').on('files').columns(['status', 'created_at']).execute();
        await db.schema.createIndex('files_owner').on('files').columns(['owner_id', 'created_at']).execute();
        await db.schema
          .createTable('file_prefs')
          .addColumn('account_id', 'text', (c) => c.primaryKey())
          .addColumn('cache_days', 'integer')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Offline notifications (@muster/push). push_subscriptions: one row per push endpoint (a browser's Web Push
    // subscription, a UnifiedPush distributor's URL, an organisation gateway's address); the endpoint and its keys
    // are sealed (target), endpoint_index is their blind index (one row per endpoint), session_id the signed-in
    // device (account_sessions.id) that registered it: once that session is revoked, the subscription is deleted.
    // push_settings: a person's previews switch (plain) and do-not-disturb hours (sealed).
    '0014_push': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('push_subscriptions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('session_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('endpoint_index', 'text', (c) => c.notNull())
          .addColumn('target', bytes, (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_success_at', 'bigint')
          .execute();
        await db.schema.createIndex('push_subscriptions_endpoint').on('push_subscriptions').column('endpoint_index').unique().execute();
        await db.schema.createIndex('push_subscriptions_account').on('push_subscriptions').columns(['account_id', 'created_at']).execute();
        await db.schema.createIndex('push_subscriptions_session').on('push_subscriptions').column('session_id').execute();
        await db.schema
          .createTable('push_settings')
          .addColumn('account_id', 'text', (c) => c.primaryKey())
          .addColumn('previews', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('dnd', bytes)
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // Which message carries which file (@muster/im media messages): who may read a file is decided by the
    // conversations whose messages reference it (the files domain asks through its canRead port), and a
    // forward adds a row for the same file, never a copy. A recall removes the message's row.
    '0015_message_files': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('message_files')
          .addColumn('conversation_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('file_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('message_files_pk', ['conversation_id', 'seq'])
          .execute();
        await db.schema.createIndex('message_files_file').on('message_files').columns(['file_id', 'conversation_id']).execute();
      },
    },
    // Chat export as minutes (@muster/im export): a group setting that keeps exporting to its owner and admins, and
    // an index that finds a conversation's seq range for a time range without reading its other messages.
    '0016_group_export': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('groups').addColumn('export_admins_only', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.createIndex('messages_sent_at').on('messages').columns(['conversation_id', 'sent_at']).execute();
      },
    },
    // Refresh-token rotation with a grace: when the token was last rotated, so that a client whose answer was lost
    // may present the previous one again for a short while without being signed out (accounts Authenticator.refresh).
    '0017_refresh_grace': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('account_sessions').addColumn('rotated_at', 'bigint').execute();
      },
    },
    // Service accounts: accounts, editors, articles and their versions, subscriptions, comments (db/src/schemas/channels.ts).
    '0018_channels': channelsMigration(engine),
    // Moments: posts, their files, likes, comments, notices, reports (db/src/schemas/moments.ts).
    '0019_moments': momentsMigration(engine),
  };
}

export function migrationNames(engine: EngineName): string[] {
  return Object.keys(createMigrations(engine)).sort();
}

function migrator(handles: EngineHandles): Migrator {
  const migrations = createMigrations(handles.engine);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // On PostgreSQL the schema is named: Kysely otherwise looks for its
  // migration table in every schema and takes another schema's for ours.
  return new Migrator({ db: handles.writer, provider, migrationTableSchema: handles.pgSchema });
}

export async function migrateToLatest(handles: EngineHandles, logger: Logger): Promise<void> {
  const { error, results } = await migrator(handles).migrateToLatest();
  for (const result of results ?? []) {
    if (result.status === 'Success') logger.info({ migration: result.migrationName }, 'db: migration applied');
    if (result.status === 'Error') logger.error({ migration: result.migrationName }, 'db: migration failed');
  }
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${String(error)}`);
}

/** The names of the migrations applied to this database (empty for a new one). */
export async function appliedMigrations(handles: EngineHandles): Promise<string[]> {
  const migrations = await migrator(handles).getMigrations();
  return migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name);
}
