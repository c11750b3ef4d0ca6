/**
 * Message search: how far the index lags behind sends, and how fast a
 * query answers. `messages` texts (Chinese and English, ~40 characters,
 * each with one unique marker word) are sent at `rate` per second across
 * `conversations` one-to-one conversations and one 20-person group, open
 * loop, through the IM domain (the send path as the REST route and the
 * socket use it). The indexer runs as in the server, off the send path.
 *
 * Index lag: from a send's acknowledgement to the moment its conversation's
 * indexed rev covers the message (polled every 5 ms: the figures include up
 * to one poll interval). Query latency: searches over everything once the
 * index has caught up (a common word across all conversations, two words,
 * a rare word, one conversation). Writes JSON and Markdown under im/bench-results/.
 *
 *   npm run bench:search -w im -- [messages=3000] [rate=300] [conversations=40] [sqlite|postgres] [live|backfill]
 *
 * `backfill` stops the indexer while sending (the send path's own figures),
 * then starts one as a restarted process would and times its catching up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { testLocation } from '@muster/db/testing';
import { SearchIndexer } from '../domain/SearchIndexer.ts';
import { SearchIndexRepository } from '../store/SearchIndexRepository.ts';
import { openImTestWorld } from '../testing/index.ts';

const total = Number(process.argv[2] ?? 3000);
const rate = Number(process.argv[3] ?? 300);
const conversationCount = Number(process.argv[4] ?? 40);
const engine = (process.argv[5] ?? 'sqlite') as 'sqlite' | 'postgres';
/** `live` (default): the indexer runs while sending; `backfill`: it starts once every message is sent (the send path alone, then the backfill's speed). */
const mode = (process.argv[6] ?? 'live') as 'live' | 'backfill';
const POLL_MS = 5;

const PHRASES = [
  '明天的会议改到三点',
  '项目Alpha的进度怎么样',
  '请大家准时参加',
  '下午开会讨论预算',
  '客户反馈很好',
  '周五之前提交报告',
  '今晚一起吃饭吗',
  '服务器已经重启了',
  'the budget review moved to Friday',
  'release notes are ready',
  'please check the latest build',
  'meeting room B is booked',
  '收到，谢谢',
  '这个需求下周再说',
];

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN, samples: sorted.length };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const location = await testLocation(engine);
const db = await location.open();
try {
  const w = await openImTestWorld(db);
  const people = [];
  for (let i = 0; i < 20; i++) people.push(await w.person(`Bench ${i}`));
  const owner = people[0]!;
  for (const other of people.slice(1)) await w.befriend(owner, other);
  // Direct conversations between distinct pairs of people (befriended as needed), then one group.
  const targets: { id: string; senders: typeof people }[] = [];
  pairs: for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      if (targets.length >= conversationCount) break pairs;
      const [a, b] = [people[i]!, people[j]!];
      if (i !== 0) await w.befriend(a, b);
      targets.push({ id: (await w.conversations.openDirect(a, b.accountId)).id, senders: [a, b] });
    }
  }
  const group = await w.im.groups.create(owner, { name: 'Bench group', members: people.slice(1).map((p) => p.accountId) });
  targets.push({ id: group.conversationId, senders: people });
  // Warm the segmenter's dictionary (the server does so at start), then measure.
  await w.conversations.send(owner, group.conversationId, { clientMsgId: 'bench-warm-0001', text: '预热 warm up' });
  await w.im.searchIndexer.idle();
  if (mode === 'backfill') await w.im.searchIndexer.stop();

  interface Sent {
    conversationId: string;
    rev: number;
    ackedAt: number;
    searchableAt?: number;
    marker: string;
    sender: (typeof people)[number];
  }
  const sent: Sent[] = [];
  const waiting = new Map<string, Sent[]>();
  let polling = true;
  const poller = (async () => {
    while (polling || [...waiting.values()].some((l) => l.length > 0)) {
      const rows = await db.kysely.selectFrom('search_progress').select(['conversation_id', 'indexed_rev']).execute();
      const now = performance.now();
      for (const row of rows) {
        const list = waiting.get(row.conversation_id);
        if (!list) continue;
        const indexed = Number(row.indexed_rev);
        while (list.length > 0 && list[0]!.rev <= indexed) list.shift()!.searchableAt = now;
      }
      await sleep(POLL_MS);
    }
  })();

  const sendLatency: number[] = [];
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  // mulberry32: a seeded generator, so runs compare.
  let rng = 12_345;
  const random = (n: number) => {
    rng = (rng + 0x6d2b79f5) | 0;
    let t = Math.imul(rng ^ (rng >>> 15), 1 | rng);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n);
  };
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const target = targets[random(targets.length)]!;
    const sender = target.senders[random(target.senders.length)]!;
    const marker = `mk${i}x`;
    const text = `${PHRASES[random(PHRASES.length)]} ${PHRASES[random(PHRASES.length)]} ${marker}`;
    const t0 = performance.now();
    inFlight.push(
      (async () => {
        const result = await w.conversations.send(sender, target.id, { clientMsgId: `bench-${String(i).padStart(8, '0')}`, text });
        const ackedAt = performance.now();
        sendLatency.push(ackedAt - t0);
        const message = (await w.store.bySeqs(target.id, [result.seq]))[0]!;
        const entry: Sent = { conversationId: target.id, rev: message.rev, ackedAt, marker, sender };
        sent.push(entry);
        const list = waiting.get(target.id) ?? [];
        // Revs of one conversation are acknowledged nearly in order; keep the list sorted for the poller.
        list.push(entry);
        list.sort((a, b) => a.rev - b.rev);
        waiting.set(target.id, list);
      })(),
    );
  }
  await Promise.all(inFlight);
  const sendWallMs = performance.now() - started;
  const backlogAtEnd = await w.im.searchIndexer.lag();
  let backfillStartedAt: number | null = null;
  let indexer = w.im.searchIndexer;
  if (mode === 'backfill') {
    // A restarted process: its indexer's first sweep is the backfill.
    backfillStartedAt = performance.now();
    indexer = new SearchIndexer({ index: new SearchIndexRepository(db), conversations: w.store, hub: w.im.hub, logger: db.logger, sweepMs: 0 });
    indexer.start();
    await indexer.sweep();
    await indexer.idle();
  }
  const backfillMs = backfillStartedAt === null ? null : performance.now() - backfillStartedAt;
  polling = false;
  await poller;
  const caughtUpMs = Math.max(...sent.map((s) => s.searchableAt!)) - started;

  // Spot checks: a sample of the markers is found by a real search, by the person who sent it.
  let found = 0;
  const sample = sent.filter((_, i) => i % Math.max(1, Math.floor(sent.length / 50)) === 0);
  for (const s of sample) found += (await w.im.search.search(s.sender, { q: s.marker, conversationId: s.conversationId })).results.length === 1 ? 1 : 0;
  const queries: Record<string, { q: string; conversationId?: string }> = {
    'common word, all conversations (会议)': { q: '会议' },
    'two words (会议 三点)': { q: '会议 三点' },
    'English word (budget)': { q: 'budget' },
    'rare word (one marker, its sender)': { q: sent[Math.floor(sent.length / 2)]!.marker },
    'common word, one group (预算)': { q: '预算', conversationId: group.conversationId },
  };
  const queryLatency: Record<string, ReturnType<typeof summary> & { results: number }> = {};
  for (const [name, query] of Object.entries(queries)) {
    const times: number[] = [];
    let results = 0;
    const who = name.startsWith('rare') ? sent[Math.floor(sent.length / 2)]!.sender : owner;
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      results = (await w.im.search.search(who, { ...query, limit: 20 })).results.length;
      times.push(performance.now() - t0);
    }
    queryLatency[name] = { ...summary(times), results };
  }
  const terms = Number((await db.kysely.selectFrom('message_terms').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0);
  const lag = summary(sent.map((s) => s.searchableAt! - s.ackedAt));
  const result = {
    benchmark: 'search-lag',
    at: new Date().toISOString(),
    engine,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    messages: total,
    targetRate: rate,
    achievedRate: total / (sendWallMs / 1000),
    conversations: targets.length,
    pollIntervalMs: POLL_MS,
    indexLagMs: lag,
    sendAckMs: summary(sendLatency),
    allSearchableAfterMs: caughtUpMs,
    backlogWhenLastSendAcked: backlogAtEnd.backlog,
    mode,
    backfill: backfillMs === null ? null : { ms: backfillMs, messagesPerSecond: total / (backfillMs / 1000) },
    indexer: indexer.stats(),
    index: { rows: terms, rowsPerMessage: terms / (total + 1) },
    spotChecks: { searched: sample.length, foundExactlyOnce: found },
    queryLatencyMs: queryLatency,
  };
  await w.im.close();
  const dir = path.resolve(new URL('../../bench-results', import.meta.url).pathname);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = result.at.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(dir, `search-${engine}-${mode}-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const md = [
    `# Message search benchmark (${engine}), ${result.at}`,
    '',
    `Machine: ${result.machine.cpus} × ${result.machine.model}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}.`,
    `${total} messages at ${rate}/s (achieved ${result.achievedRate.toFixed(0)}/s) over ${targets.length} conversations (one a 20-person group), through the IM domain; the indexer off the send path, batches of up to 100; ${mode === 'live' ? 'indexing while sending' : `indexer stopped while sending, then a restart's backfill: ${total} messages in ${backfillMs!.toFixed(0)} ms (${result.backfill!.messagesPerSecond.toFixed(0)}/s)`}.`,
    '',
    '## Index lag: send acknowledged → searchable',
    '',
    `Polled every ${POLL_MS} ms (figures include up to one interval).`,
    '',
    '| p50 | p95 | p99 | max | all searchable after |',
    '|---|---|---|---|---|',
    `| ${ms(lag.p50)} | ${ms(lag.p95)} | ${ms(lag.p99)} | ${ms(lag.max)} | ${ms(caughtUpMs)} from the first send (sending took ${ms(sendWallMs)}) |`,
    '',
    `Send acknowledged: p50 ${ms(result.sendAckMs.p50)}, p95 ${ms(result.sendAckMs.p95)}. Index: ${terms} rows (${result.index.rowsPerMessage.toFixed(1)} per message). Spot checks: ${found}/${sample.length} markers found by a real search. Indexer: ${result.indexer.batches} batches, ${result.indexer.lostRaces} lost races, ${result.indexer.errors} errors.`,
    '',
    '## Query latency (100 each, 20 results a page, after the index caught up)',
    '',
    '| query | results | p50 | p95 | max |',
    '|---|---|---|---|---|',
    ...Object.entries(queryLatency).map(([name, q]) => `| ${name} | ${q.results} | ${ms(q.p50)} | ${ms(q.p95)} | ${ms(q.max)} |`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, `search-${engine}-${mode}-${stamp}.md`), md);
  process.stdout.write(`${md}\n`);
} finally {
  await db.close();
  await location.remove();
}
