/**
 * Every text and bytes column of every table is classified here, so no
 * plaintext column slips in: `sealed` (the Sealer's AES-GCM values, re-encrypted
 * by a key rotation), `hashed: …` (a keyed hash such as a blind index, or the
 * hash of a random secret), or `plain: <why it is not user content>` (ids,
 * enums, kinds, codes). A new column fails this test until it is classified
 * here, and a column in a migration but not in TABLES fails it too (the
 * database's own catalogue is read, on both engines).
 */
import { describe, expect, it } from 'vitest';
import { TABLES } from './tables.ts';
import { rawQuery, testEngines, useTestDatabase } from './testing/index.ts';

type Classification = 'sealed' | `hashed: ${string}` | `plain: ${string}`;

const ID = 'plain: an id (random, or the id of a row elsewhere), not user content';
const ACCOUNT_ID = 'plain: an account id';
const CONVERSATION_ID = 'plain: a conversation id';

/** `table.column` → its classification. */
const COLUMNS: Record<string, Classification> = {
  'keyring.key_id': 'plain: a data key id (8 hex characters)',
  'keyring.status': 'plain: enum active | retiring',
  'keyring.wrapped': 'plain: the data key wrapped (AES-GCM) under the key-encryption key from the two key passwords: key material, not user content',
  'keyring.kdf': 'plain: scrypt parameters and salts (JSON)',
  'rotation_progress.target_key_id': 'plain: a data key id',
  'rotation_progress.table_name': 'plain: a table name',
  'rotation_progress.last_key': 'plain: the primary key of the last row re-encrypted (JSON of ids and seqs; every primary key is an id, a seq or a setting name)',

  'meetings.id': ID,
  'meetings.owner_id': ACCOUNT_ID,
  'meetings.config': 'sealed',
  'boards.id': ID,
  'boards.meta': 'sealed',
  'board_updates.board_id': ID,
  'board_updates.data': 'sealed',
  'board_snapshots.board_id': ID,
  'board_snapshots.state': 'sealed',
  'audit_log.action': 'plain: an action code (user.delete, keyring.rotation.start…)',
  'audit_log.target': 'plain: what an action concerned, by id or kind (an account id, "keyring", "accounts"); details go in the sealed body',
  'audit_log.body': 'sealed',
  'audit_log.prev_hash': 'hashed: SHA-256 chain hash of the previous row (over its plaintext and a secret salt kept in the sealed body)',
  'audit_log.hash': 'hashed: SHA-256 chain hash of this row (over its plaintext and a secret salt kept in the sealed body)',
  'recordings.id': ID,
  'recordings.info': 'sealed',

  'accounts.id': ID,
  'accounts.phone_index': 'hashed: blind index of the phone number (Sealer.blindIndex "phone"; recomputed by a rotation)',
  'accounts.muster_id':
    'plain: the public Muster ID its owner chose (lower-cased, [a-z0-9_-]), shown on their public profile to anyone and looked up by exact match; unique, so it stays plain',
  'accounts.role': 'plain: enum user | admin | guest',
  'accounts.status': 'plain: enum active | pending | disabled',
  'accounts.profile': 'sealed',
  'accounts.credentials': 'sealed',
  'account_avatars.account_id': ACCOUNT_ID,
  'account_avatars.small': 'sealed',
  'account_avatars.large': 'sealed',
  'account_sessions.id': ID,
  'account_sessions.account_id': ACCOUNT_ID,
  'account_sessions.secret': 'sealed',
  'account_sessions.device': 'sealed',
  'auth_codes.phone_index': 'hashed: blind index of the phone number (Sealer.blindIndex "phone")',
  'auth_codes.purpose': 'plain: enum signup | login | reset',
  'auth_codes.code_hash': 'hashed: keyed hash of purpose, phone and code (Sealer.blindIndex "auth-code")',
  'one_time_links.token_hash': 'hashed: SHA-256 of a random link token (a secret, never user content)',
  'one_time_links.account_id': ACCOUNT_ID,
  'one_time_links.purpose': 'plain: enum guest | admin-setup',
  'security_events.id': ID,
  'security_events.account_id': ACCOUNT_ID,
  'security_events.kind': 'plain: an event kind code',
  'security_events.details': 'sealed',
  'settings.key': 'plain: a setting name chosen by the code (accounts, im…)',
  'settings.value': 'sealed',

  'contact_requests.id': ID,
  'contact_requests.from_id': ACCOUNT_ID,
  'contact_requests.to_id': ACCOUNT_ID,
  'contact_requests.state': 'plain: enum pending | accepted | declined',
  'contact_requests.greeting': 'sealed',
  'contacts.owner_id': ACCOUNT_ID,
  'contacts.contact_id': ACCOUNT_ID,
  'contacts.details': 'sealed',
  'blocks.owner_id': ACCOUNT_ID,
  'blocks.blocked_id': ACCOUNT_ID,
  'conversations.id': CONVERSATION_ID,
  'conversations.kind': 'plain: enum direct | group',
  'conversations.direct_key': 'plain: the two account ids of a direct conversation, sorted and joined',
  'conversations.meta': 'sealed',
  'conversation_members.conversation_id': CONVERSATION_ID,
  'conversation_members.user_id': ACCOUNT_ID,
  'conversation_members.role': 'plain: enum owner | admin | member',
  'messages.conversation_id': CONVERSATION_ID,
  'messages.id': ID,
  'messages.sender_id': ACCOUNT_ID,
  'messages.client_msg_id': 'plain: the client’s idempotency id (8–64 characters of [A-Za-z0-9_-], checked by the protocol schema)',
  'messages.type': 'plain: enum text | emoji | image | video | voice | file | forward | system | call',
  'messages.body': 'sealed',
  'message_files.conversation_id': CONVERSATION_ID,
  'message_files.file_id': 'plain: a file id (random)',
  'message_hides.user_id': ACCOUNT_ID,
  'message_hides.conversation_id': CONVERSATION_ID,
  'message_terms.conversation_id': CONVERSATION_ID,
  'message_terms.term': 'hashed: keyed hash of a search token (Sealer.blindIndex "search-term", 96 bits); re-hashed by the search indexer after a key rotation',
  'search_progress.conversation_id': CONVERSATION_ID,
  'search_progress.key_id': 'plain: the data key id the conversation’s search terms are hashed under',
  'sync_cursors.id': ID,
  'sync_cursors.account_id': ACCOUNT_ID,
  'sync_cursors.state': 'sealed',
  'conversation_prefs.user_id': ACCOUNT_ID,
  'conversation_prefs.conversation_id': CONVERSATION_ID,
  'conversation_prefs.draft': 'sealed',
  'im_settings.account_id': ACCOUNT_ID,
  'groups.conversation_id': CONVERSATION_ID,
  'group_mutes.conversation_id': CONVERSATION_ID,
  'group_mutes.user_id': ACCOUNT_ID,
  'group_join_requests.id': ID,
  'group_join_requests.conversation_id': CONVERSATION_ID,
  'group_join_requests.user_id': ACCOUNT_ID,
  'group_join_requests.inviter_id': ACCOUNT_ID,
  'group_join_requests.state': 'plain: enum pending | approved | declined',
  'group_avatars.conversation_id': CONVERSATION_ID,
  'group_avatars.small': 'sealed',
  'group_avatars.large': 'sealed',
  'push_subscriptions.id': ID,
  'push_subscriptions.account_id': ACCOUNT_ID,
  'push_subscriptions.session_id': ID,
  'push_subscriptions.kind': 'plain: enum webpush | unifiedpush, or the kind name of an organisation gateway registered in code',
  'push_subscriptions.endpoint_index': 'hashed: blind index of the push endpoint URL (Sealer.blindIndex "push-endpoint"; recomputed by a rotation)',
  'push_subscriptions.target': 'sealed',
  'push_settings.account_id': ACCOUNT_ID,
  'push_settings.dnd': 'sealed',
  'files.id': ID,
  'files.owner_id': ACCOUNT_ID,
  'files.conversation_id': CONVERSATION_ID,
  'files.status': 'plain: enum uploading | ready | deleting | expired',
  'files.kind': 'plain: enum image | video | audio | other (what the bytes are, coarsely; the true MIME type is sealed in meta)',
  'files.meta': 'sealed',
  'files.data_key': 'sealed',
  'file_prefs.account_id': ACCOUNT_ID,

  // Service accounts (@muster/channels, db/src/schemas/channels.ts).
  'service_accounts.id': ID,
  'service_accounts.name': 'plain: a service account’s public name in the organisation’s directory (anyone signed in lists and searches it), set by an admin as a Muster ID is chosen: not a person’s private words',
  'service_accounts.name_key': 'plain: that public name normalised (NFKC, lower case), unique among live accounts',
  'service_accounts.description': 'plain: a service account’s public description in the organisation’s directory, set by an admin, shown to anyone signed in',
  'service_accounts.kind': 'plain: enum subscription | service',
  'service_accounts.avatar_file_id': 'plain: a file id (random)',
  'service_accounts.latest_article_id': ID,
  'service_account_editors.service_account_id': ID,
  'service_account_editors.account_id': ACCOUNT_ID,
  'articles.id': ID,
  'articles.service_account_id': ID,
  'articles.author_id': ACCOUNT_ID,
  'articles.head': 'sealed',
  'articles.terms_key_id': 'plain: the data key id the article’s search terms are hashed under',
  'article_versions.article_id': ID,
  'article_versions.body': 'sealed',
  'article_versions.editor_id': ACCOUNT_ID,
  'article_files.article_id': ID,
  'article_files.file_id': 'plain: a file id (random)',
  'article_terms.service_account_id': ID,
  'article_terms.term': 'hashed: keyed hash of a search token (Sealer.blindIndex "channels-article-term", 96 bits); hashed again by channels after a key rotation',
  'article_terms.article_id': ID,
  'service_subscriptions.account_id': ACCOUNT_ID,
  'service_subscriptions.service_account_id': ID,
  'article_comments.id': ID,
  'article_comments.article_id': ID,
  'article_comments.service_account_id': ID,
  'article_comments.author_id': ACCOUNT_ID,
  'article_comments.body': 'sealed',
  'article_comments.state': 'plain: enum pending | approved',
  'article_comments.reply': 'sealed',
  'channel_notices.id': ID,
  'channel_notices.account_id': ACCOUNT_ID,
  'channel_notices.kind': 'plain: enum comment-approved | comment-deleted',
  'channel_notices.article_id': ID,
  'channel_notices.comment_id': ID,
  'channel_notices.body': 'sealed',

  // Moments (db/src/schemas/moments.ts).
  'moments.id': ID,
  'moments.author_id': ACCOUNT_ID,
  'moments.visibility': 'plain: enum all | friends | private',
  'moments.body': 'sealed',
  'moments.deleted_by': ACCOUNT_ID,
  'moments.terms_key': 'plain: the data key id the post’s search terms are hashed under',
  'moment_files.moment_id': ID,
  'moment_files.file_id': 'plain: a file id (random)',
  'moment_likes.moment_id': ID,
  'moment_likes.account_id': ACCOUNT_ID,
  'moment_comments.id': ID,
  'moment_comments.moment_id': ID,
  'moment_comments.author_id': ACCOUNT_ID,
  'moment_comments.reply_to': ID,
  'moment_comments.reply_to_author': ACCOUNT_ID,
  'moment_comments.body': 'sealed',
  'moment_terms.term': 'hashed: keyed hash of a search token (Sealer.blindIndex "moment-term", 96 bits); re-hashed by the moments indexer after a key rotation',
  'moment_terms.moment_id': ID,
  'moment_notices.id': ID,
  'moment_notices.recipient_id': ACCOUNT_ID,
  'moment_notices.kind': 'plain: enum like | comment | reply',
  'moment_notices.moment_id': ID,
  'moment_notices.actor_id': ACCOUNT_ID,
  'moment_notices.comment_id': ID,
  'moment_reports.id': ID,
  'moment_reports.moment_id': ID,
  'moment_reports.reporter_id': ACCOUNT_ID,
  'moment_reports.reason': 'sealed',
  'moment_reports.state': 'plain: enum open | resolved',
  'moment_reports.resolved_by': ACCOUNT_ID,
  'moment_reports.resolution': 'plain: enum dismiss | remove',
  'moment_feed_seen.account_id': ACCOUNT_ID,
};

/** Every text or bytes column TABLES declares, as `table.column`. */
function declared(): { name: string; sealed: boolean }[] {
  return TABLES.flatMap((spec) =>
    Object.entries(spec.columns)
      .filter(([, column]) => column.kind === 'text' || column.kind === 'bytes')
      .map(([column]) => ({ name: `${spec.name}.${column}`, sealed: spec.sealed.includes(column) })),
  );
}

describe('every text and bytes column is sealed, hashed, or plain for a stated reason', () => {
  it('classifies every column TABLES declares, sealed exactly where the spec seals', () => {
    const problems: string[] = [];
    for (const { name, sealed } of declared()) {
      const classification = COLUMNS[name];
      if (classification === undefined) {
        problems.push(`${name} is not classified: add it to COLUMNS in db/src/textColumns.test.ts as 'sealed' (and seal it), 'hashed: …' (a keyed hash) or 'plain: <why it cannot hold user content>'`);
      } else if (sealed && classification !== 'sealed') {
        problems.push(`${name} is sealed in TABLES but classified '${classification}'`);
      } else if (!sealed && classification === 'sealed') {
        problems.push(`${name} is classified sealed but TABLES does not seal it (a rotation would not re-encrypt it)`);
      } else if (classification !== 'sealed' && !/^(hashed|plain): .{10,}/.test(classification)) {
        problems.push(`${name}: say why, after 'hashed: ' or 'plain: ' (${classification})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has no entry for a column that does not exist (a renamed or dropped column is reclassified)', () => {
    const names = new Set(declared().map((c) => c.name));
    expect(Object.keys(COLUMNS).filter((name) => !names.has(name))).toEqual([]);
  });

  it('a blind-index column is hashed, and every column its index comes from is sealed', () => {
    for (const spec of TABLES) {
      for (const index of spec.blindIndexes ?? []) {
        expect(COLUMNS[`${spec.name}.${index.column}`]).toMatch(/^hashed: /);
        expect(spec.sealed).toContain(index.from);
      }
    }
  });
});

describe.each(await testEngines('the PostgreSQL text column check (db/src/textColumns.test.ts)'))('the database has no text or bytes column TABLES does not declare (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('every text and bytes column of a migrated database is in TABLES, with its kind', async () => {
    const db = await testDb.open();
    await db.close();
    const location = testDb.location;
    let columns: { table: string; column: string; type: string }[];
    if (engine === 'sqlite') {
      const tables = await rawQuery<{ name: string }>(location, `select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'`);
      columns = [];
      for (const { name } of tables) {
        for (const c of await rawQuery<{ name: string; type: string }>(location, `select name, type from pragma_table_info(?)`, [name])) columns.push({ table: name, column: c.name, type: c.type.toLowerCase() });
      }
    } else {
      columns = (
        await rawQuery<{ table_name: string; column_name: string; data_type: string }>(
          location,
          `select table_name, column_name, data_type from information_schema.columns where table_schema = ? and table_name not like 'kysely_%'`,
          [location.schema!.schema],
        )
      ).map((c) => ({ table: c.table_name, column: c.column_name, type: c.data_type.toLowerCase() }));
    }
    const kindOf = (type: string) => (/^(text|character varying|varchar|char)/.test(type) ? 'text' : /^(blob|bytea)$/.test(type) ? 'bytes' : 'other');
    const specs = new Map(TABLES.map((t) => [t.name as string, t]));
    const problems: string[] = [];
    for (const { table, column, type } of columns) {
      const kind = kindOf(type);
      if (kind === 'other') continue;
      const declaredKind = specs.get(table)?.columns[column]?.kind;
      if (declaredKind !== kind) problems.push(`${table}.${column} is ${type} in the database but ${declaredKind ?? 'missing'} in TABLES (db/src/tables.ts)`);
    }
    expect(columns.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });
});
