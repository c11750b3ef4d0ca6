/**
 * Read diffusion at the customer's scale, on both engines: an account with
 * 100,000 subscriber rows publishes, and the publish writes exactly the
 * rows it writes for an account with 10 — the article, its version, its
 * files and search terms, and the account's latest-article time — and not
 * one subscription row is written (their bytes are identical before and
 * after). Subscribers still find it: a dot in their entry. No timing is
 * asserted here (see `npm run bench -w channels`).
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Database, Schema } from '@muster/db';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { organisation, person } from './domain/Actor.ts';
import { SubscriptionRepository } from './store/SubscriptionRepository.ts';
import { doc, openChannelsTestWorld } from './testing/index.ts';

const engines = await testEngines('the PostgreSQL fan-out test (channels/src/fanout.test.ts)');
const SUBSCRIBERS = 100_000;

/** Every table a publish could touch: channels' own, and IM's messages (a publish must send none). */
const TABLES = ['service_accounts', 'service_account_editors', 'articles', 'article_versions', 'article_files', 'article_terms', 'service_subscriptions', 'article_comments', 'channel_notices', 'messages', 'conversations'] as const satisfies readonly (keyof Schema)[];

async function rowCounts(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const row = await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** A digest of every subscription row of an account, every column. */
async function subscriptionsDigest(db: Database, serviceAccountId: string): Promise<string> {
  const rows = await db.kysely.selectFrom('service_subscriptions').selectAll().where('service_account_id', '=', serviceAccountId).orderBy('account_id').execute();
  const hash = crypto.createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify([row.account_id, Number(row.pinned), Number(row.position), Number(row.subscribed_at), Number(row.seen_at)]));
  return `${rows.length}:${hash.digest('hex')}`;
}

describe.each(engines)('publishing to 100,000 subscribers (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('writes the same rows as for 10 subscribers, none of them per subscriber', { timeout: 300_000 }, async () => {
    const db = await testDb.open();
    const w = await openChannelsTestWorld(db);
    testDb.defer(() => w.im.close());
    const editor = await w.person('Editor');
    const reader = await w.person('Reader');
    const small = (await w.channels.serviceAccounts.create(organisation, { name: 'Small', editors: [editor.accountId] })).id;
    const big = (await w.channels.serviceAccounts.create(organisation, { name: 'Big', editors: [editor.accountId] })).id;
    const subscriptions = new SubscriptionRepository(db);
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`);
    await subscriptions.subscribeMany(ids('small', 9), small, 1);
    await subscriptions.subscribeMany(ids('big', SUBSCRIBERS - 1), big, 1);
    for (const sa of [small, big]) await w.channels.subscriptions.subscribe(person(reader), sa);
    expect(await subscriptions.count(small)).toBe(10);
    expect(await subscriptions.count(big)).toBe(SUBSCRIBERS);

    // The same article (same words, same files) to each account.
    const image = w.upload(editor);
    const content = doc('公司年会将于下周五举行 the annual party is next Friday', { type: 'image', attrs: { fileId: image } }, '请大家准时参加 please be on time');
    const publishTo = async (sa: string) => {
      const digest = await subscriptionsDigest(db, sa);
      const before = await rowCounts(db);
      const deliveries = w.deliveries.length;
      w.t.clock.advance(1000);
      const { rows } = await w.channels.articles.publish(person(editor), sa, { title: 'Annual party 年会', content });
      const after = await rowCounts(db);
      expect(await subscriptionsDigest(db, sa)).toBe(digest);
      expect(w.deliveries.length).toBe(deliveries);
      return { rows, added: Object.fromEntries(TABLES.map((t) => [t, after[t]! - before[t]!])) };
    };
    const toSmall = await publishTo(small);
    const toBig = await publishTo(big);

    expect(toBig).toEqual(toSmall);
    // One article, one version, one file row, one row per distinct search term; nothing per subscriber, no message.
    expect(toBig.added).toMatchObject({ service_accounts: 0, articles: 1, article_versions: 1, article_files: 1, service_subscriptions: 0, messages: 0, conversations: 0 });
    expect(toBig.added.article_terms).toBeGreaterThan(5);
    expect(toBig.added.article_terms).toBeLessThan(40);
    // The rows written: those inserted, and the account's row (its latest article).
    expect(toBig.rows).toBe(1 + toBig.added.articles! + toBig.added.article_versions! + toBig.added.article_files! + toBig.added.article_terms!);

    // Read diffusion: subscribers find it when they open the app.
    expect(await w.channels.subscriptions.summary(person(reader))).toMatchObject({ dot: true, latest: { serviceAccountId: big, title: 'Annual party 年会' } });
  });
});
