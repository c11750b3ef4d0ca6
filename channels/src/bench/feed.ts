/**
 * Service accounts at the customer's scale: `accounts` accounts (1000), each
 * with `perAccount` articles (10: a day's worth), one of them with
 * `subscribers` subscribers (100,000). Times, through the channels domain
 * (what the REST routes call):
 *
 * - publishing to the 100,000-subscriber account and to a 10-subscriber
 *   one (read diffusion: the same cost, and the same rows written);
 * - the chat list's entry (summary) and the subscribed list (feed) for
 *   readers following 10, 100 and 1000 accounts;
 * - an account's page (its subscriber count: 100,000), its history (a page
 *   of 20, and the next), a search in it, and opening an article.
 *
 * Writes JSON and Markdown under channels/bench-results/.
 *
 *   npm run bench -w channels -- [sqlite|postgres] [accounts=1000] [perAccount=10] [subscribers=100000] [samples=200]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Principal } from '@muster/accounts';
import { testLocation } from '@muster/db/testing';
import { tokenize } from '@muster/im';
import { documentSummary, documentText } from '../document/text.ts';
import { person } from '../domain/Actor.ts';
import { ArticleRepository } from '../store/ArticleRepository.ts';
import { ServiceAccountRepository } from '../store/ServiceAccountRepository.ts';
import { SubscriptionRepository } from '../store/SubscriptionRepository.ts';
import { doc, openChannelsTestWorld } from '../testing/index.ts';

const engine = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres';
const accountCount = Number(process.argv[3] ?? 1000);
const perAccount = Number(process.argv[4] ?? 10);
const subscriberCount = Number(process.argv[5] ?? 100_000);
const samples = Number(process.argv[6] ?? 200);
const DAY = 24 * 3600_000;

const PHRASES = ['公司年会将于下周五举行', '请大家准时参加', '食堂本周菜单', '关于调整作息时间的通知', 'the quarterly report is out', 'new parking rules from Monday', '安全生产月活动', 'IT maintenance window on Saturday', '新员工入职培训安排', 'benefits enrolment closes Friday'];

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
const summarise = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN, samples: sorted.length };
};
type Timing = ReturnType<typeof summarise>;
async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < Math.min(5, n); i++) await fn(i);
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    values.push(performance.now() - t0);
  }
  return summarise(values);
}

const location = await testLocation(engine);
const db = await location.open();
try {
  const w = await openChannelsTestWorld(db);
  const accountsStore = new ServiceAccountRepository(db);
  const articles = new ArticleRepository(db);
  const subscriptions = new SubscriptionRepository(db);
  const editor = await w.person('Editor');
  const t0 = w.t.clock.now() - DAY;

  // ------------------------------------------------------------ the data set
  const setupStarted = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < accountCount; i++) {
    const id = `sa${String(i).padStart(22, '0')}`;
    ids.push(id);
    await accountsStore.create({ id, name: `Account ${i}`, description: PHRASES[i % PHRASES.length]!, kind: i % 5 === 0 ? 'service' : 'subscription', dailyCap: 1000, avatarFileId: null, createdAt: t0 }, [editor.accountId]);
  }
  // A day's articles for every account, through the store (the words tokenised once per text).
  const texts = PHRASES.map((phrase, i) => {
    const content = doc(`${phrase}。${PHRASES[(i + 3) % PHRASES.length]} ${PHRASES[(i + 7) % PHRASES.length]}`, `第二段 paragraph two ${phrase}`);
    return { content, summary: documentSummary(content), tokens: tokenize(`${phrase}\n${documentText(content)}`) };
  });
  let published = 0;
  for (let batch = 0; batch < ids.length; batch += 50) {
    await Promise.all(
      ids.slice(batch, batch + 50).map(async (sa, k) => {
        for (let j = 0; j < perAccount; j++) {
          const text = texts[(batch + k + j) % texts.length]!;
          const title = `${PHRASES[j % PHRASES.length]} #${j}`;
          await articles.publish(
            { id: `ar${String(batch + k).padStart(12, '0')}x${String(j).padStart(8, '0')}`, serviceAccountId: sa, authorId: editor.accountId, title, content: text.content, head: { title, summary: text.summary, cover: null }, fileIds: [], tokens: [...text.tokens, ...tokenize(title)], commentsEnabled: true, at: t0 + ((batch + k) * perAccount + j) * 100 },
            { limit: 1000, windowMs: DAY },
          );
          published++;
        }
      }),
    );
  }
  const [big, small] = [ids[0]!, ids[1]!];
  const bigSubscribers = Array.from({ length: subscriberCount }, (_, i) => `sub${String(i).padStart(9, '0')}`);
  await subscriptions.subscribeMany(bigSubscribers, big, t0);
  await subscriptions.subscribeMany(bigSubscribers.slice(0, 10), small, t0);
  // Readers following 10, 100 and 1000 accounts (the big one among them).
  const readers: Record<string, Principal> = {};
  for (const n of [10, 100, 1000].filter((n) => n <= accountCount)) {
    const reader = { accountId: `reader${n}`, sessionId: 's', role: 'user' as const };
    for (const sa of ids.slice(0, n)) await subscriptions.subscribe(reader.accountId, sa, t0);
    readers[n] = reader;
  }
  const setupMs = performance.now() - setupStarted;

  // ------------------------------------------------------------ publishing
  const rows: Record<string, number> = {};
  const publishTo = (sa: string, label: string) =>
    time(samples, async (i) => {
      w.t.clock.advance(1);
      const r = await w.channels.articles.publish(person(editor), sa, { title: `${label} ${i}`, content: texts[i % texts.length]!.content });
      rows[label] = r.rows;
    });
  const publishBig = await publishTo(big, 'big');
  const publishSmall = await publishTo(small, 'small');

  // ------------------------------------------------------------ reading
  const reading: Record<string, Timing> = {};
  for (const [n, reader] of Object.entries(readers)) {
    reading[`summary, ${n} subscriptions`] = await time(samples, () => w.channels.subscriptions.summary(person(reader)));
    reading[`subscribed list, ${n} subscriptions`] = await time(Math.min(samples, 50), () => w.channels.subscriptions.feed(person(reader)));
  }
  const someone = person({ accountId: 'sub000000007', sessionId: 's', role: 'user' });
  reading[`account page (${subscriberCount} subscribers counted)`] = await time(samples, () => w.channels.serviceAccounts.page(someone, big));
  const firstPage = await w.channels.articles.list(someone, big, { limit: 20 });
  reading['history, first page of 20'] = await time(samples, () => w.channels.articles.list(someone, big, { limit: 20 }));
  reading['history, next page of 20'] = await time(samples, () => w.channels.articles.list(someone, big, { limit: 20, before: firstPage.next! }));
  reading['search in an account (2 words)'] = await time(samples, () => w.channels.articles.list(someone, big, { q: '年会 准时', limit: 20 }));
  reading['open an article'] = await time(samples, (i) => w.channels.articles.read(someone, firstPage.articles[i % firstPage.articles.length]!.id));
  reading['directory (all accounts)'] = await time(Math.min(samples, 50), () => w.channels.serviceAccounts.directory(someone, undefined));

  const counts = {
    accounts: accountCount,
    articles: published + 2 * samples,
    subscriptionRows: Number((await db.kysely.selectFrom('service_subscriptions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    termRows: Number((await db.kysely.selectFrom('article_terms').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
  };
  await w.im.close();

  const result = {
    at: new Date().toISOString(),
    engine,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    dataSet: { ...counts, perAccount, bigAccountSubscribers: subscriberCount, setupMs },
    publishMs: { [`to ${subscriberCount} subscribers`]: publishBig, 'to 10 subscribers': publishSmall },
    rowsWrittenPerPublish: { [`to ${subscriberCount} subscribers`]: rows.big, 'to 10 subscribers': rows.small },
    readMs: reading,
  };
  const dir = path.resolve(new URL('../../bench-results', import.meta.url).pathname);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = result.at.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(dir, `feed-${engine}-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const row = (name: string, t: Timing) => `| ${name} | ${ms(t.p50)} | ${ms(t.p95)} | ${ms(t.p99)} | ${ms(t.max)} | ${t.samples} |`;
  const md = [
    `# Service accounts: publish and feed benchmark (${engine}), ${result.at}`,
    '',
    `Machine: ${result.machine.cpus} × ${result.machine.model}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}.`,
    `Data: ${counts.accounts} accounts, ${counts.articles} articles (${perAccount} per account, plus the timed ones), ${counts.subscriptionRows} subscription rows (one account has ${subscriberCount} subscribers), ${counts.termRows} search-term rows. Set up in ${(setupMs / 1000).toFixed(1)} s. Timed through the channels domain, one call at a time.`,
    '',
    '## Publishing (read diffusion: nothing per subscriber)',
    '',
    '| publish | p50 | p95 | p99 | max | samples |',
    '|---|---|---|---|---|---|',
    row(`to ${subscriberCount} subscribers`, publishBig),
    row('to 10 subscribers', publishSmall),
    '',
    `Rows written per publish: ${rows.big} to ${subscriberCount} subscribers, ${rows.small} to 10 (the same article: its row, version, search terms, and the account's latest-article time).`,
    '',
    '## Reading',
    '',
    '| call | p50 | p95 | p99 | max | samples |',
    '|---|---|---|---|---|---|',
    ...Object.entries(reading).map(([name, t]) => row(name, t)),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, `feed-${engine}-${stamp}.md`), md);
  process.stdout.write(`${md}\n`);
} finally {
  await db.close();
  await location.remove();
}
