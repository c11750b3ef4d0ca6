/**
 * Log-in latency with the production Argon2id cost (19 MiB, 2 passes):
 * `concurrency` people log in at once, `rounds` times, against a whole
 * server over HTTP (as behind a reverse proxy, each with its own address,
 * so the per-address limits do not refuse the crowd). Writes JSON and
 * Markdown under server/bench-results/.
 *
 *   npm run bench:login -w server -- [concurrency=50] [rounds=6]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PASSWORD_COST, type SessionReply } from '@muster/accounts';
import { trustProxyFrom } from '@muster/kit/client-address';
import { startTestServer } from '../testing/index.ts';

const concurrency = Number(process.argv[2] ?? 50);
const rounds = Number(process.argv[3] ?? 6);
const PASSWORD = 'bench-orchid-lantern-42';

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

const server = await startTestServer({
  accounts: { passwordCost: DEFAULT_PASSWORD_COST },
  security: { trustProxy: trustProxyFrom('loopback') },
});
try {
  await server.accounts.admin.updateSettings({ accountId: 'bench', sessionId: 'bench', role: 'admin' }, { signupPolicy: 'password' });
  const phones = Array.from({ length: concurrency }, (_, i) => `+86139${String(20_000_000 + i).slice(-8)}`);
  const post = (url: string, body: unknown, address: string) =>
    fetch(`${server.url}/api/v1${url}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: JSON.stringify(body) });
  // Sign-ups hash too: done before the clock starts, a few at a time.
  for (let i = 0; i < phones.length; i += 10) {
    await Promise.all(
      phones.slice(i, i + 10).map(async (phone, j) => {
        const res = await post('/auth/signup', { phone, password: PASSWORD, nickname: `Bench ${i + j}` }, `10.50.${i + j}.1`);
        if (res.status !== 201) throw new Error(`sign-up ${phone}: ${res.status} ${await res.text()}`);
      }),
    );
  }
  const latencies: number[] = [];
  const roundWall: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await Promise.all(
      phones.map(async (phone, i) => {
        const t0 = performance.now();
        const res = await post('/auth/login', { phone, password: PASSWORD, device: { name: 'bench', platform: 'api' } }, `10.60.${i}.${round + 1}`);
        const body = (await res.json()) as SessionReply;
        if (res.status !== 200 || !body.accessToken) throw new Error(`log-in ${phone}: ${res.status} ${JSON.stringify(body)}`);
        latencies.push(performance.now() - t0);
      }),
    );
    roundWall.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const result = {
    benchmark: 'login',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    argon2id: { memoryKiB: DEFAULT_PASSWORD_COST.memoryCost, passes: DEFAULT_PASSWORD_COST.timeCost, lanes: 1 },
    concurrency,
    rounds,
    logins: latencies.length,
    latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), p99: quantile(latencies, 0.99), max: latencies.at(-1)! },
    roundWallMs: { median: quantile([...roundWall].sort((a, b) => a - b), 0.5) },
    loginsPerSecond: latencies.length / (roundWall.reduce((a, b) => a + b, 0) / 1000),
  };
  const dir = path.resolve(new URL('../../bench-results', import.meta.url).pathname);
  fs.mkdirSync(dir, { recursive: true });
  const stamp = result.at.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(dir, `login-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const md = [
    `# Log-in benchmark, ${result.at}`,
    '',
    `Machine: ${result.machine.cpus} × ${result.machine.model}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}.`,
    `Argon2id ${result.argon2id.memoryKiB} KiB, ${result.argon2id.passes} passes, 1 lane. ${concurrency} concurrent log-ins × ${rounds} rounds over HTTP.`,
    '',
    '| p50 | p95 | p99 | max | log-ins/s |',
    '|---|---|---|---|---|',
    `| ${result.latencyMs.p50.toFixed(0)} ms | ${result.latencyMs.p95.toFixed(0)} ms | ${result.latencyMs.p99.toFixed(0)} ms | ${result.latencyMs.max.toFixed(0)} ms | ${result.loginsPerSecond.toFixed(1)} |`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, `login-${stamp}.md`), md);
  process.stdout.write(`${md}\n`);
} finally {
  await server.close();
}
