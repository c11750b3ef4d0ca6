import crypto from 'node:crypto';
import { tokenize } from '@muster/im';
import type { FileView } from '@muster/files/protocol';
import type { Logger } from '@muster/kit/log';
import { documentFileIds, documentMedia, documentSummary, documentText } from '../document/text.ts';
import { MEDIA_NODES } from '../document/schema.ts';
import { validateDocument, type DocumentJson } from '../document/validate.ts';
import { ChannelsError } from '../errors.ts';
import {
  DAILY_CAP_WINDOW_MS,
  DEFAULT_PAGE,
  MAX_VERSIONS_LISTED,
  type ArticleSummary,
  type ArticleVersionEntry,
  type ArticleVersionView,
  type ArticleView,
  type EditArticle,
  type PublishArticle,
} from '../protocol.ts';
import type { ArticleHead, ArticleRepository, StoredArticle } from '../store/ArticleRepository.ts';
import type { ServiceAccountRepository, StoredServiceAccount } from '../store/ServiceAccountRepository.ts';
import type { SubscriptionRepository } from '../store/SubscriptionRepository.ts';
import { actorId, type Actor } from './Actor.ts';
import type { ChannelFiles } from './ChannelFiles.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { FileAccess } from './FileAccess.ts';
import type { ServiceAccounts } from './ServiceAccounts.ts';

export interface ArticlesOptions {
  store: ArticleRepository;
  accountStore: ServiceAccountRepository;
  serviceAccounts: ServiceAccounts;
  subscriptions: SubscriptionRepository;
  files: ChannelFiles;
  fileAccess: FileAccess;
  logger: Logger;
  now: () => number;
}

const newId = () => `ar${crypto.randomBytes(16).toString('base64url')}`;
/** An edit that lost a race with another is read again and retried this many times. */
const EDIT_TRIES = 5;
/** Articles re-hashed per step after a key rotation (a search first brings its account's terms up to date). */
const REHASH_BATCH = 100;

/**
 * Articles: published by an account's editors (or the organisation's
 * token) as one structured document, checked against the article schema
 * and stored once; edited into new versions (readers see the newest,
 * marked edited; editors see every version); read by anyone signed in;
 * listed newest first with search. Publishing costs the same whatever the
 * audience: subscribers find new articles through their feed (read
 * diffusion), and no live event or push goes to them.
 */
export class Articles {
  readonly #o: ArticlesOptions;

  constructor(options: ArticlesOptions) {
    this.#o = options;
  }

  // ------------------------------------------------------------ writing

  /**
   * Publishes an article: `{ id, rows }` (`rows`: the rows the publish
   * wrote, a constant for a given document). DAILY_CAP_REACHED once the
   * account has published its cap in the last 24 hours.
   */
  async publish(actor: Actor, serviceAccountId: string, input: PublishArticle): Promise<{ id: string; rows: number }> {
    const account = await this.#o.serviceAccounts.asEditor(actor, serviceAccountId);
    const version = await this.#version(actor, account, input.title, input.content);
    const id = newId();
    const at = this.#o.now();
    const result = await this.#o.store.publish(
      { ...version, id, serviceAccountId: account.id, authorId: actorId(actor), commentsEnabled: input.commentsEnabled ?? true, at },
      { limit: account.dailyCap, windowMs: DAILY_CAP_WINDOW_MS },
    );
    if ('gone' in result) throw new ChannelsError('NOT_FOUND', 'no such service account');
    if ('capped' in result) {
      throw new ChannelsError('DAILY_CAP_REACHED', `this account publishes at most ${account.dailyCap} articles in 24 hours`, (result.retryAt - at) / 1000);
    }
    await this.#referenced(version.fileIds, at);
    return { id, rows: result.rows };
  }

  /** A new version (title and document): readers see it marked edited; the versions before stay for the editors. */
  async edit(actor: Actor, articleId: string, input: EditArticle): Promise<ArticleView> {
    const { article, account } = await this.#visible(articleId);
    await this.#o.serviceAccounts.asEditor(actor, account.id);
    const version = await this.#version(actor, account, input.title, input.content);
    let base = article.version;
    for (let attempt = 0; ; attempt++) {
      const at = this.#o.now();
      const result = await this.#o.store.edit({ ...version, id: articleId, baseVersion: base, editorId: actorId(actor), at });
      if ('edited' in result) {
        await this.#referenced(version.fileIds, at);
        return this.read(actor, articleId);
      }
      if ('gone' in result || attempt + 1 >= EDIT_TRIES) throw new ChannelsError('NOT_FOUND', 'no such article');
      // Another editor saved first: this edit goes on top of theirs (both stay in the history).
      const again = await this.#o.store.get(articleId);
      if (!again) throw new ChannelsError('NOT_FOUND', 'no such article');
      base = again.version;
    }
  }

  async setCommentsEnabled(actor: Actor, articleId: string, enabled: boolean): Promise<ArticleView> {
    const { account } = await this.#visible(articleId);
    await this.#o.serviceAccounts.asEditor(actor, account.id);
    if (!(await this.#o.store.setCommentsEnabled(articleId, enabled))) throw new ChannelsError('NOT_FOUND', 'no such article');
    return this.read(actor, articleId);
  }

  /** Deletes an article for everyone (404 from now on); it leaves the account's history, search and feed. */
  async delete(actor: Actor, articleId: string): Promise<{ serviceAccountId: string }> {
    const { account } = await this.#visible(articleId);
    await this.#o.serviceAccounts.asEditor(actor, account.id);
    if (!(await this.#o.store.delete(articleId, this.#o.now()))) throw new ChannelsError('NOT_FOUND', 'no such article');
    return { serviceAccountId: account.id };
  }

  /** A version as stored: the checked document, its head, files and search tokens; BAD_DOCUMENT naming the problem. */
  async #version(actor: Actor, account: StoredServiceAccount, title: string, content: unknown) {
    const checked = validateDocument(content);
    if (!checked.ok) throw new ChannelsError('BAD_DOCUMENT', checked.reason);
    const doc = checked.doc;
    const media = documentMedia(doc);
    const fileIds = documentFileIds(doc);
    const views = await this.#o.fileAccess.attachable(actor, actor.kind === 'organisation' ? await this.#o.serviceAccounts.editors(account.id) : [], fileIds);
    for (const { fileId, node } of media) {
      const view = views.get(fileId);
      if (!view) throw new ChannelsError('BAD_DOCUMENT', `${node} ${fileId}: not a finished upload you may attach (yours, or one you can read${actor.kind === 'organisation' ? ', or for the organisation’s token, an editor’s' : ''})`);
      if (view.expired) throw new ChannelsError('BAD_DOCUMENT', `${node} ${fileId}: the file has expired`);
      if (view.kind !== MEDIA_NODES[node]) throw new ChannelsError('BAD_DOCUMENT', `${node} ${fileId}: the file is ${view.kind === 'other' ? 'not a media file' : `a${view.kind === 'image' || view.kind === 'audio' ? 'n' : ''} ${view.kind}`}, not ${node === 'audio' ? 'audio (voice)' : `a${node === 'image' ? 'n' : ''} ${node}`}`);
    }
    const text = documentText(doc);
    const head: ArticleHead = { title, summary: documentSummary(doc), cover: media.find((m) => m.node === 'image')?.fileId ?? null };
    return { title, content: doc, head, fileIds, tokens: tokenize(`${title}\n${text}`) };
  }

  async #referenced(fileIds: readonly string[], at: number): Promise<void> {
    if (fileIds.length === 0) return;
    try {
      await this.#o.files.referenced(fileIds, at);
    } catch (error) {
      // The article is published; retention counts from the previous reference until the next edit.
      this.#o.logger.warn({ err: error, files: fileIds.length }, 'channels: could not record the files an article references');
    }
  }

  // ------------------------------------------------------------ reading

  /** An article not deleted of a live account, or NOT_FOUND. */
  async #visible(articleId: string): Promise<{ article: StoredArticle; account: StoredServiceAccount }> {
    const article = await this.#o.store.get(articleId);
    const account = article ? await this.#o.accountStore.get(article.serviceAccountId) : null;
    if (!article || !account) throw new ChannelsError('NOT_FOUND', 'no such article');
    return { article, account };
  }

  /** The article (any signed-in person, subscribed or not; the organisation's token): its current version. Opening it marks the account seen. */
  async read(actor: Actor, articleId: string): Promise<ArticleView> {
    const { article, account } = await this.#visible(articleId);
    const current = await this.#o.store.version(articleId, article.version);
    if (!current) throw new ChannelsError('NOT_FOUND', 'no such article');
    const subscribed = await this.#seen(actor, account);
    return {
      ...summaryOf(article),
      title: current.title,
      content: current.content as ArticleView['content'],
      files: await this.#views(current.content),
      serviceAccount: { id: account.id, name: account.name, avatarFileId: account.avatarFileId },
      subscribed,
      editor: await this.#o.serviceAccounts.isEditor(actor, account.id),
    };
  }

  /**
   * An account's articles, newest first (`q`: those whose title or text
   * have all its words), a page at a time. Opening the list marks the
   * account seen.
   */
  async list(actor: Actor, serviceAccountId: string, query: { q?: string; before?: string; limit?: number }): Promise<{ articles: ArticleSummary[]; next: string | null }> {
    const account = await this.#o.serviceAccounts.live(serviceAccountId);
    const cursor = decodeCursor(query.before, ['number', 'string'] as const);
    const before = cursor ? { at: cursor[0], id: cursor[1] } : undefined;
    const limit = query.limit ?? DEFAULT_PAGE;
    let articles: StoredArticle[];
    if (query.q !== undefined && query.q.trim() !== '') {
      const tokens = tokenize(query.q);
      await this.#rehashStale(account.id);
      articles = tokens.length === 0 ? [] : await this.#o.store.search(account.id, tokens, before, limit);
    } else {
      articles = await this.#o.store.list(account.id, before, limit);
    }
    await this.#seen(actor, account);
    const last = articles[articles.length - 1];
    return { articles: articles.map(summaryOf), next: articles.length === limit && last ? encodeCursor([last.publishedAt, last.id]) : null };
  }

  /** The versions of an article, newest first (editors). */
  async versions(actor: Actor, articleId: string): Promise<ArticleVersionEntry[]> {
    const { article, account } = await this.#visible(articleId);
    await this.#o.serviceAccounts.asEditor(actor, account.id);
    const versions = await this.#o.store.versions(articleId, MAX_VERSIONS_LISTED);
    return versions.map((v) => ({ version: v.version, title: v.title, at: v.at, editorId: v.editorId, current: v.version === article.version }));
  }

  /** One version with its document (editors). */
  async version(actor: Actor, articleId: string, version: number): Promise<ArticleVersionView> {
    const { article, account } = await this.#visible(articleId);
    await this.#o.serviceAccounts.asEditor(actor, account.id);
    const stored = await this.#o.store.version(articleId, version);
    if (!stored) throw new ChannelsError('NOT_FOUND', 'no such version');
    return { version: stored.version, title: stored.title, at: stored.at, editorId: stored.editorId, current: stored.version === article.version, content: stored.content as ArticleVersionView['content'], files: await this.#views(stored.content) };
  }

  /** The article's visible parts for a comment's checks: its account (live) and whether comments are on. NOT_FOUND otherwise. */
  async visible(articleId: string): Promise<{ article: StoredArticle; account: StoredServiceAccount }> {
    return this.#visible(articleId);
  }

  /** Titles of live articles, by id (notices, the moderation queue). */
  async heads(articleIds: readonly string[]): Promise<Map<string, StoredArticle>> {
    return this.#o.store.getMany(articleIds);
  }

  async #views(doc: DocumentJson): Promise<FileView[]> {
    const ids = documentFileIds(doc);
    if (ids.length === 0) return [];
    const views = await this.#o.files.views(ids);
    return ids.flatMap((id) => (views.has(id) ? [views.get(id)!] : []));
  }

  /** Whether the actor subscribes to the account; marks it seen when it shows a dot. */
  async #seen(actor: Actor, account: StoredServiceAccount): Promise<boolean> {
    if (actor.kind !== 'person') return false;
    const subscription = await this.#o.subscriptions.get(actor.principal.accountId, account.id);
    if (!subscription) return false;
    if (account.latestArticleAt !== null && account.latestArticleAt > subscription.seenAt) {
      await this.#o.subscriptions.markSeen(actor.principal.accountId, account.id, account.latestArticleAt, this.#o.now());
    }
    return true;
  }

  /** After a key rotation: hashes again the terms of the account's articles still under another key. */
  async #rehashStale(serviceAccountId: string): Promise<void> {
    for (;;) {
      const stale = await this.#o.store.staleTerms(serviceAccountId, this.#o.store.activeKeyId, REHASH_BATCH);
      if (stale.length === 0) return;
      let progressed = false;
      for (const { id, version } of stale) {
        const current = await this.#o.store.version(id, version);
        if (!current) continue;
        if (await this.#o.store.rehash(id, version, tokenize(`${current.title}\n${documentText(current.content)}`))) progressed = true;
      }
      // None moved (edited meanwhile, hashed under the active key by the edit itself; or unreadable): done for now.
      if (!progressed) return;
    }
  }

  // ------------------------------------------------------------ files

  /**
   * Whether `accountId` (anyone signed in) may read a file through an
   * article: the current version of a live article names it, or it is a
   * live account's avatar; or an older version (or a deleted article) of an
   * account they are an editor of names it.
   */
  async readsFile(fileId: string, accountId: string): Promise<boolean> {
    if (await this.#o.accountStore.isAvatar(fileId)) return true;
    const use = await this.#o.store.fileUse(fileId);
    if (use.public) return true;
    if (use.editorsOf.length === 0) return false;
    return (await this.#o.accountStore.editorOf(accountId, use.editorsOf)).size > 0;
  }
}

export function summaryOf(article: StoredArticle): ArticleSummary {
  return {
    id: article.id,
    serviceAccountId: article.serviceAccountId,
    title: article.head.title,
    summary: article.head.summary,
    cover: article.head.cover,
    publishedAt: article.publishedAt,
    edited: article.editedAt !== null,
    editedAt: article.editedAt,
    version: article.version,
    commentsEnabled: article.commentsEnabled,
  };
}
