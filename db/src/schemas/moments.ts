import type { Kysely, Migration } from 'kysely';
import { bytesType, type EngineName } from '../Engine.ts';
import type { TableSpec } from '../tables.ts';

/**
 * The tables of @muster/moments (issue 19), kept in their own file: Schema
 * (schema.ts) extends MomentsTables, TABLES (tables.ts) ends with
 * MOMENTS_TABLES, and migrations.ts runs momentsMigration in its place.
 *
 * Who may see a post is decided in @muster/moments (its Audience), from
 * these rows and IM's contacts and blocks; nothing here is readable text:
 * a post's text and location, a comment's text and a report's reason are
 * sealed, search terms are keyed hashes.
 */
export interface MomentsTables {
  moments: MomentsTable;
  moment_files: MomentFilesTable;
  moment_likes: MomentLikesTable;
  moment_comments: MomentCommentsTable;
  moment_terms: MomentTermsTable;
  moment_notices: MomentNoticesTable;
  moment_reports: MomentReportsTable;
  moment_feed_seen: MomentFeedSeenTable;
}

/** A post. Soft-deleted (by its author or an admin): the row stays for reports and the audit; every read treats it as gone. */
export interface MomentsTable {
  id: string;
  author_id: string;
  /** all | friends | private ("Only me"): plain, so that feeds are one indexed query. */
  visibility: string;
  /** Sealed JSON { text, location }. */
  body: Buffer;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  /** Who deleted it: its author, or the admin who removed it. */
  deleted_by: string | null;
  /** The data key its search terms are hashed under (null: none, no text); another than the active one is re-hashed. */
  terms_key: string | null;
}

/** The files a post carries, in order (1–9 images or one video): who may read a file is asked through readsFile. */
export interface MomentFilesTable {
  moment_id: string;
  position: number;
  file_id: string;
}

export interface MomentLikesTable {
  moment_id: string;
  account_id: string;
  created_at: number;
}

export interface MomentCommentsTable {
  id: string;
  moment_id: string;
  author_id: string;
  /** The comment this one answers (same post), and its author (kept: the reply names them even once that comment is deleted). */
  reply_to: string | null;
  reply_to_author: string | null;
  /** Sealed text. */
  body: Buffer;
  created_at: number;
}

/** One row per distinct word of a post's text: the word as a keyed hash (Sealer.blindIndex 'moment-term'), never the word. */
export interface MomentTermsTable {
  term: string;
  moment_id: string;
}

/** "Likes and comments on your posts", and replies to your comments: references only, each checked again when listed. */
export interface MomentNoticesTable {
  id: string;
  recipient_id: string;
  /** like | comment | reply */
  kind: string;
  moment_id: string;
  actor_id: string;
  comment_id: string | null;
  created_at: number;
  read_at: number | null;
}

export interface MomentReportsTable {
  id: string;
  moment_id: string;
  reporter_id: string;
  /** Sealed text. */
  reason: Buffer;
  /** open | resolved */
  state: string;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  /** dismiss | remove */
  resolution: string | null;
}

/** When each person last opened the Moments tab: the badge counts friends' posts since. */
export interface MomentFeedSeenTable {
  account_id: string;
  seen_at: number;
}

const text = { kind: 'text' } as const;
const int = { kind: 'int' } as const;
const bytes = { kind: 'bytes' } as const;
const nullableText = { kind: 'text', nullable: true } as const;
const nullableInt = { kind: 'int', nullable: true } as const;

export const MOMENTS_TABLES: readonly TableSpec[] = [
  {
    name: 'moments',
    key: ['id'],
    columns: { id: text, author_id: text, visibility: text, body: bytes, created_at: int, updated_at: int, deleted_at: nullableInt, deleted_by: nullableText, terms_key: nullableText },
    sealed: ['body'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'moment_files',
    key: ['moment_id', 'position'],
    columns: { moment_id: text, position: int, file_id: text },
    sealed: [],
  },
  {
    name: 'moment_likes',
    key: ['moment_id', 'account_id'],
    columns: { moment_id: text, account_id: text, created_at: int },
    sealed: [],
  },
  {
    name: 'moment_comments',
    key: ['id'],
    columns: { id: text, moment_id: text, author_id: text, reply_to: nullableText, reply_to_author: nullableText, body: bytes, created_at: int },
    sealed: ['body'],
    rowId: (row) => String(row.id),
  },
  {
    // Keyed hashes, not sealed values: a key rotation leaves them to the moments indexer, which re-hashes
    // the terms of every post whose moments.terms_key is not the active key.
    name: 'moment_terms',
    key: ['term', 'moment_id'],
    columns: { term: text, moment_id: text },
    sealed: [],
  },
  {
    name: 'moment_notices',
    key: ['id'],
    columns: { id: text, recipient_id: text, kind: text, moment_id: text, actor_id: text, comment_id: nullableText, created_at: int, read_at: nullableInt },
    sealed: [],
  },
  {
    name: 'moment_reports',
    key: ['id'],
    columns: {
      id: text,
      moment_id: text,
      reporter_id: text,
      reason: bytes,
      state: text,
      created_at: int,
      resolved_at: nullableInt,
      resolved_by: nullableText,
      resolution: nullableText,
    },
    sealed: ['reason'],
    rowId: (row) => String(row.id),
  },
  {
    name: 'moment_feed_seen',
    key: ['account_id'],
    columns: { account_id: text, seen_at: int },
    sealed: [],
  },
];

export function momentsMigration(engine: EngineName): Migration {
  const bytes = bytesType(engine);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('moments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('author_id', 'text', (c) => c.notNull())
        .addColumn('visibility', 'text', (c) => c.notNull())
        .addColumn('body', bytes, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .addColumn('deleted_by', 'text')
        .addColumn('terms_key', 'text')
        .execute();
      // The "all" feed walks every post newest first; a profile, "mine", the friends feed and the badge walk one author's.
      await db.schema.createIndex('moments_created').on('moments').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('moments_author').on('moments').columns(['author_id', 'created_at', 'id']).execute();
      // The indexer finds posts whose terms are hashed under a key that is no longer the active one.
      await db.schema.createIndex('moments_terms_key').on('moments').column('terms_key').execute();

      await db.schema
        .createTable('moment_files')
        .addColumn('moment_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('file_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('moment_files_pk', ['moment_id', 'position'])
        .execute();
      // readsFile: the posts carrying a file.
      await db.schema.createIndex('moment_files_file').on('moment_files').columns(['file_id', 'moment_id']).execute();

      await db.schema
        .createTable('moment_likes')
        .addColumn('moment_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('moment_likes_pk', ['moment_id', 'account_id'])
        .execute();

      await db.schema
        .createTable('moment_comments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('moment_id', 'text', (c) => c.notNull())
        .addColumn('author_id', 'text', (c) => c.notNull())
        .addColumn('reply_to', 'text')
        .addColumn('reply_to_author', 'text')
        .addColumn('body', bytes, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('moment_comments_moment').on('moment_comments').columns(['moment_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('moment_terms')
        .addColumn('term', 'text', (c) => c.notNull())
        .addColumn('moment_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('moment_terms_pk', ['term', 'moment_id'])
        .execute();
      // Re-indexing or deleting a post drops its terms.
      await db.schema.createIndex('moment_terms_moment').on('moment_terms').column('moment_id').execute();

      await db.schema
        .createTable('moment_notices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('recipient_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('moment_id', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('comment_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('read_at', 'bigint')
        .execute();
      await db.schema.createIndex('moment_notices_recipient').on('moment_notices').columns(['recipient_id', 'created_at', 'id']).execute();
      // An unlike or a deleted comment takes its notice away.
      await db.schema.createIndex('moment_notices_moment').on('moment_notices').columns(['moment_id', 'actor_id']).execute();

      await db.schema
        .createTable('moment_reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('moment_id', 'text', (c) => c.notNull())
        .addColumn('reporter_id', 'text', (c) => c.notNull())
        .addColumn('reason', bytes, (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .addColumn('resolved_by', 'text')
        .addColumn('resolution', 'text')
        .execute();
      // The console lists open or resolved reports, newest first; resolving by removal settles every open report of the post.
      await db.schema.createIndex('moment_reports_state').on('moment_reports').columns(['state', 'created_at', 'id']).execute();
      await db.schema.createIndex('moment_reports_moment').on('moment_reports').columns(['moment_id', 'state']).execute();

      await db.schema
        .createTable('moment_feed_seen')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
