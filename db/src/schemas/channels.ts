import type { Kysely, Migration } from 'kysely';
import { bytesType, type EngineName } from '../Engine.ts';
import type { TableSpec } from '../tables.ts';

/**
 * The tables of @muster/channels (issue 19), kept in their own file: Schema
 * (schema.ts) extends ChannelsTables, TABLES (tables.ts) ends with
 * CHANNELS_TABLES, and migrations.ts runs channelsMigration in its place.
 *
 * Read diffusion: an article is stored once (its row, its versions, its
 * files and search terms); nothing is written per subscriber when it is
 * published. A subscriber's feed is their subscription rows joined with
 * the accounts' `latest_article_at`.
 */
export interface ChannelsTables {
  service_accounts: ServiceAccountsTable;
  service_account_editors: ServiceAccountEditorsTable;
  articles: ArticlesTable;
  article_versions: ArticleVersionsTable;
  article_files: ArticleFilesTable;
  article_terms: ArticleTermsTable;
  service_subscriptions: ServiceSubscriptionsTable;
  article_comments: ArticleCommentsTable;
  channel_notices: ChannelNoticesTable;
}

export interface ServiceAccountsTable {
  id: string;
  /**
   * Plain: an account's name and description are its public face in the
   * organisation's directory (anyone signed in lists and searches them, as
   * a Muster ID is), chosen by an admin, not a person's private words.
   */
  name: string;
  /** The name normalised (NFKC, lower case, spaces collapsed): unique among accounts not deleted; null once deleted. */
  name_key: string | null;
  description: string;
  /** subscription (订阅号) | service (服务号). */
  kind: string;
  /** Articles at most in any 24 hours (≥ 10). */
  daily_cap: number;
  avatar_file_id: string | null;
  /** The newest article not deleted, and when it was published: the subscribers' feed reads these (read diffusion). */
  latest_article_id: string | null;
  latest_article_at: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface ServiceAccountEditorsTable {
  service_account_id: string;
  account_id: string;
  added_at: number;
}

export interface ArticlesTable {
  id: string;
  service_account_id: string;
  /** The person who published it; null when the organisation's API token did. */
  author_id: string | null;
  /** Sealed JSON: { title, summary, cover } of the current version (what a list shows, without opening the content). */
  head: Buffer;
  /** The current version (1 when published; each edit adds one). Its content is article_versions' row. */
  version: number;
  published_at: number;
  edited_at: number | null;
  comments_enabled: number;
  deleted_at: number | null;
  /** The data key its search terms are hashed under (after a key rotation they are hashed again). */
  terms_key_id: string;
}

export interface ArticleVersionsTable {
  article_id: string;
  version: number;
  /** Sealed JSON: { title, content } (content: the checked document). */
  body: Buffer;
  /** Who made this version (null: the organisation's API token). */
  editor_id: string | null;
  at: number;
}

export interface ArticleFilesTable {
  article_id: string;
  version: number;
  file_id: string;
}

export interface ArticleTermsTable {
  service_account_id: string;
  /** Keyed hash of a search token of the title and text (Sealer.blindIndex 'channels-article-term'), never the word. */
  term: string;
  article_id: string;
}

export interface ServiceSubscriptionsTable {
  account_id: string;
  service_account_id: string;
  pinned: number;
  /** The order among pinned accounts (ascending). */
  position: number;
  subscribed_at: number;
  /** When the subscriber last opened the account or one of its articles: a dot while latest_article_at is later. */
  seen_at: number;
}

export interface ArticleCommentsTable {
  id: string;
  article_id: string;
  service_account_id: string;
  author_id: string;
  /** Sealed JSON: { text, reasons } (reasons: why the content check flagged it); null once deleted. */
  body: Buffer | null;
  /** pending | approved. */
  state: string;
  flagged: number;
  pinned: number;
  /** Sealed JSON: the editors' reply { text, at }, or null. */
  reply: Buffer | null;
  created_at: number;
  approved_at: number | null;
  deleted_at: number | null;
}

export interface ChannelNoticesTable {
  id: string;
  /** The commenter it is for. */
  account_id: string;
  /** comment-approved | comment-deleted. */
  kind: string;
  article_id: string;
  comment_id: string;
  /** Sealed JSON: { excerpt } of the comment (a deleted comment's text is gone from its row). */
  body: Buffer;
  at: number;
  read_at: number | null;
}

const text = { kind: 'text' } as const;
const int = { kind: 'int' } as const;
const bytes = { kind: 'bytes' } as const;
const nullableText = { kind: 'text', nullable: true } as const;
const nullableInt = { kind: 'int', nullable: true } as const;
const nullableBytes = { kind: 'bytes', nullable: true } as const;

export const CHANNELS_TABLES: readonly TableSpec[] = [
  {
    name: 'service_accounts',
    key: ['id'],
    columns: {
      id: text,
      name: text,
      name_key: nullableText,
      description: text,
      kind: text,
      daily_cap: int,
      avatar_file_id: nullableText,
      latest_article_id: nullableText,
      latest_article_at: nullableInt,
      created_at: int,
      updated_at: int,
      deleted_at: nullableInt,
    },
    sealed: [],
  },
  {
    name: 'service_account_editors',
    key: ['service_account_id', 'account_id'],
    columns: { service_account_id: text, account_id: text, added_at: int },
    sealed: [],
  },
  {
    name: 'articles',
    key: ['id'],
    columns: {
      id: text,
      service_account_id: text,
      author_id: nullableText,
      head: bytes,
      version: int,
      published_at: int,
      edited_at: nullableInt,
      comments_enabled: int,
      deleted_at: nullableInt,
      terms_key_id: text,
    },
    sealed: ['head'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'article_versions',
    key: ['article_id', 'version'],
    columns: { article_id: text, version: int, body: bytes, editor_id: nullableText, at: int },
    sealed: ['body'],
    rowId: (row) => `${row.article_id}/${row.version}`,
  },
  {
    name: 'article_files',
    key: ['article_id', 'version', 'file_id'],
    columns: { article_id: text, version: int, file_id: text },
    sealed: [],
  },
  {
    // Keyed hashes, not sealed values: a key rotation leaves them to channels, which hashes an article's terms
    // again when its terms_key_id is not the active key (before searching that account).
    name: 'article_terms',
    key: ['service_account_id', 'term', 'article_id'],
    columns: { service_account_id: text, term: text, article_id: text },
    sealed: [],
  },
  {
    name: 'service_subscriptions',
    key: ['account_id', 'service_account_id'],
    columns: { account_id: text, service_account_id: text, pinned: int, position: int, subscribed_at: int, seen_at: int },
    sealed: [],
  },
  {
    name: 'article_comments',
    key: ['id'],
    columns: {
      id: text,
      article_id: text,
      service_account_id: text,
      author_id: text,
      body: nullableBytes,
      state: text,
      flagged: int,
      pinned: int,
      reply: nullableBytes,
      created_at: int,
      approved_at: nullableInt,
      deleted_at: nullableInt,
    },
    sealed: ['body', 'reply'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'channel_notices',
    key: ['id'],
    columns: { id: text, account_id: text, kind: text, article_id: text, comment_id: text, body: bytes, at: int, read_at: nullableInt },
    sealed: ['body'],
    rowId: (row) => String(row.id),
  },
];

export function channelsMigration(engine: EngineName): Migration {
  const bytes = bytesType(engine);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('service_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text')
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('daily_cap', 'integer', (c) => c.notNull())
        .addColumn('avatar_file_id', 'text')
        .addColumn('latest_article_id', 'text')
        .addColumn('latest_article_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute();
      // Names are unique among live accounts (a deleted one's key is null: both engines allow many nulls).
      await db.schema.createIndex('service_accounts_name').on('service_accounts').column('name_key').unique().execute();
      // readsFile: an account's avatar is readable by anyone signed in.
      await db.schema.createIndex('service_accounts_avatar').on('service_accounts').column('avatar_file_id').execute();

      await db.schema
        .createTable('service_account_editors')
        .addColumn('service_account_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('added_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('service_account_editors_pk', ['service_account_id', 'account_id'])
        .execute();
      await db.schema.createIndex('service_account_editors_account').on('service_account_editors').column('account_id').execute();

      await db.schema
        .createTable('articles')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('service_account_id', 'text', (c) => c.notNull())
        .addColumn('author_id', 'text')
        .addColumn('head', bytes, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('published_at', 'bigint', (c) => c.notNull())
        .addColumn('edited_at', 'bigint')
        .addColumn('comments_enabled', 'integer', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .addColumn('terms_key_id', 'text', (c) => c.notNull())
        .execute();
      // An account's history, newest first (with a cursor), its daily cap, and its latest article.
      await db.schema.createIndex('articles_account').on('articles').columns(['service_account_id', 'published_at', 'id']).execute();

      await db.schema
        .createTable('article_versions')
        .addColumn('article_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('body', bytes, (c) => c.notNull())
        .addColumn('editor_id', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('article_versions_pk', ['article_id', 'version'])
        .execute();

      await db.schema
        .createTable('article_files')
        .addColumn('article_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('file_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('article_files_pk', ['article_id', 'version', 'file_id'])
        .execute();
      // readsFile: which articles (and versions) carry a file.
      await db.schema.createIndex('article_files_file').on('article_files').columns(['file_id', 'article_id']).execute();

      await db.schema
        .createTable('article_terms')
        .addColumn('service_account_id', 'text', (c) => c.notNull())
        .addColumn('term', 'text', (c) => c.notNull())
        .addColumn('article_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('article_terms_pk', ['service_account_id', 'term', 'article_id'])
        .execute();
      // An edit or a re-hash replaces one article's terms.
      await db.schema.createIndex('article_terms_article').on('article_terms').column('article_id').execute();

      await db.schema
        .createTable('service_subscriptions')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('service_account_id', 'text', (c) => c.notNull())
        .addColumn('pinned', 'integer', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('subscribed_at', 'bigint', (c) => c.notNull())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('service_subscriptions_pk', ['account_id', 'service_account_id'])
        .execute();
      // An account's subscriber count (and nothing else: publishing never reads or writes its subscribers).
      await db.schema.createIndex('service_subscriptions_account').on('service_subscriptions').column('service_account_id').execute();

      await db.schema
        .createTable('article_comments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('article_id', 'text', (c) => c.notNull())
        .addColumn('service_account_id', 'text', (c) => c.notNull())
        .addColumn('author_id', 'text', (c) => c.notNull())
        .addColumn('body', bytes)
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('flagged', 'integer', (c) => c.notNull())
        .addColumn('pinned', 'integer', (c) => c.notNull())
        .addColumn('reply', bytes)
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('approved_at', 'bigint')
        .addColumn('deleted_at', 'bigint')
        .execute();
      // An article's comments, newest first; an account's moderation queue by state, newest first.
      await db.schema.createIndex('article_comments_article').on('article_comments').columns(['article_id', 'created_at']).execute();
      await db.schema.createIndex('article_comments_queue').on('article_comments').columns(['service_account_id', 'state', 'created_at']).execute();

      await db.schema
        .createTable('channel_notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('article_id', 'text', (c) => c.notNull())
        .addColumn('comment_id', 'text', (c) => c.notNull())
        .addColumn('body', bytes, (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('read_at', 'bigint')
        .execute();
      await db.schema.createIndex('channel_notices_account').on('channel_notices').columns(['account_id', 'at']).execute();
    },
  };
}
