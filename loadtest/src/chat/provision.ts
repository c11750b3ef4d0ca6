/**
 * Provisioning the chat scenario's people through the server's own REST API,
 * fast and with no backdoor:
 *
 * - sign-up by one-time code (the default policy): no password, so no
 *   Argon2id per person; the code comes from the server's log (CODE_CHANNEL
 *   `log`, the default), read on its stdout as an operator would;
 * - each bot has its own client address (`X-Forwarded-For`, believed because
 *   the server is started with TRUST_PROXY=127.0.0.1), so the per-address
 *   limits on codes and sign-ups (20 an hour) apply per bot, as they would to
 *   people on their own phones;
 * - friend requests and acceptances, one-to-one conversations and groups by
 *   the ordinary routes, many at a time.
 */
import { provisionPeople } from '../connections/provision.ts';
import type { ChatPlan } from './options.ts';

export interface ProvisionedUser {
  index: number;
  id: string;
  accessToken: string;
}

export interface ProvisionedConversation {
  id: string;
  kind: 'direct' | 'group';
  /** User indexes. */
  members: number[];
}

export interface Provisioned {
  users: ProvisionedUser[];
  conversations: ProvisionedConversation[];
  /** Seconds each step took. */
  seconds: { signups: number; friendships: number; conversations: number };
}

const CODE_LINE = /one-time code (\d{6}) for the number ending (\d{4}) \(signup\)/;

/** Sign-up codes as the server logs them, by the number's last four digits. */
export class CodeBook {
  readonly #codes = new Map<string, string>();
  readonly #waiting = new Map<string, (code: string) => void>();

  /** Feed it the server's stdout lines. */
  line(line: string): void {
    const m = CODE_LINE.exec(line);
    if (!m) return;
    const waiter = this.#waiting.get(m[2]!);
    if (waiter) {
      this.#waiting.delete(m[2]!);
      waiter(m[1]!);
    } else this.#codes.set(m[2]!, m[1]!);
  }

  /** The code logged for the number ending `lastFour` (waits for its line). */
  take(lastFour: string, timeoutMs = 30_000): Promise<string> {
    const code = this.#codes.get(lastFour);
    if (code) {
      this.#codes.delete(lastFour);
      return Promise.resolve(code);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(lastFour);
        reject(new Error(`no sign-up code in the server log for the number ending ${lastFour}`));
      }, timeoutMs);
      this.#waiting.set(lastFour, (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }
}

/** `fn(0)` … `fn(count - 1)`, `concurrency` at a time; the results in order. */
export async function inParallel<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** The bot's own address: 10.x.y.z from its index. */
export const botAddress = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** A REST call as person `auth` (their token, their own address), retried on a 5xx; throws on any other refusal. */
async function restCall(url: string, method: string, path: string, body: unknown, auth: { token?: string; address: string }): Promise<{ status: number; body: any }> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        'x-forwarded-for': auth.address,
        ...(auth.token ? { authorization: `Bearer ${auth.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (res.status >= 500 && attempt < 3) continue;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return { status: res.status, body: parsed };
  }
}

/**
 * Signs up `plan.users` people, makes their friendships, one-to-one
 * conversations and groups. Concurrency stays under 10,000 so the numbers in
 * flight never share their last four digits.
 */
export async function provisionChat(url: string, plan: ChatPlan, codes: CodeBook, options: { concurrency?: number; onProgress?: (line: string) => void } = {}): Promise<Provisioned> {
  const concurrency = options.concurrency ?? 24;
  const progress = options.onProgress ?? (() => undefined);

  // Numbers +86 139 MMMM NNNN: NNNN the index mod 10,000, MMMM from a run tag and the index's ten-thousands.
  const runTag = Math.floor(Math.random() * 9000) + 1000;
  const phoneOf = (i: number) => `+86139${String((runTag + Math.floor(i / 10_000)) % 10_000).padStart(4, '0')}${String(i % 10_000).padStart(4, '0')}`;

  const t = Date.now();
  let done = 0;
  const users = await inParallel(plan.users, concurrency, async (i): Promise<ProvisionedUser> => {
    const phone = phoneOf(i);
    const address = botAddress(i);
    const code = codes.take(phone.slice(-4));
    await restCall(url, 'POST', '/auth/codes', { phone, purpose: 'signup' }, { address });
    const session = await restCall(url, 'POST', '/auth/signup', { phone, code: await code, nickname: `bot${i}` }, { address });
    if (++done % 500 === 0) progress(`signed up ${done}/${plan.users}`);
    return { index: i, id: session.body.user.id, accessToken: session.body.accessToken };
  });
  const signups = (Date.now() - t) / 1000;
  const related = await relatePeople(url, users, plan, { concurrency, onProgress: progress });
  return { users, conversations: related.conversations, seconds: { signups, ...related.seconds } };
}

/**
 * The same for app hosts running elsewhere (`--url`): the people are written
 * into their database (DATABASE_URL and the key passwords of this
 * environment, or those under `dataDir`) with a device each, as the
 * connections scenario does (no sign-up codes to read from a log), then
 * related through `url`'s REST API.
 */
export async function provisionIntoDatabase(url: string, plan: ChatPlan, options: { dataDir: string; concurrency?: number; onProgress?: (line: string) => void }): Promise<Provisioned> {
  const t = Date.now();
  const people = await provisionPeople({ dataDir: options.dataDir, env: process.env, users: plan.users, onProgress: options.onProgress });
  const users = people.users.map((u, index): ProvisionedUser => ({ index, id: u.id, accessToken: u.secret }));
  const signups = (Date.now() - t) / 1000;
  const related = await relatePeople(url, users, plan, { concurrency: options.concurrency, onProgress: options.onProgress });
  return { users, conversations: related.conversations, seconds: { signups, ...related.seconds } };
}

/**
 * Friendships, one-to-one conversations and groups among people who exist
 * (signed up, or imported into the database), through the ordinary routes,
 * `concurrency` at a time: what a person needs before they can message, or
 * call, another. `users[i]` is person i of the plan.
 */
export async function relatePeople(
  url: string,
  users: readonly ProvisionedUser[],
  plan: Pick<ChatPlan, 'pairs' | 'groups' | 'friendships'>,
  options: { concurrency?: number; onProgress?: (line: string) => void } = {},
): Promise<{ conversations: ProvisionedConversation[]; seconds: { friendships: number; conversations: number } }> {
  const concurrency = options.concurrency ?? 24;
  const progress = options.onProgress ?? (() => undefined);
  const as = (i: number) => ({ token: users[i]!.accessToken, address: botAddress(i) });
  let t = Date.now();
  let done = 0;
  await inParallel(plan.friendships.length, concurrency, async (k) => {
    const [a, b] = plan.friendships[k]!;
    // People imported into a server's database by an earlier run (--url) may be contacts already.
    const request = await restCall(url, 'POST', '/contacts/requests', { to: users[b]!.id }, as(a)).catch((error: Error) => {
      if (/ALREADY_CONTACTS/.test(error.message)) return { body: { state: 'accepted' } };
      throw error;
    });
    if (request.body?.state !== 'accepted') await restCall(url, 'POST', `/contacts/requests/${request.body.id}/accept`, undefined, as(b));
    if (++done % 1000 === 0) progress(`friendships ${done}/${plan.friendships.length}`);
  });
  const friendships = (Date.now() - t) / 1000;

  t = Date.now();
  const direct = await inParallel(plan.pairs.length, concurrency, async (k): Promise<ProvisionedConversation> => {
    const [a, b] = plan.pairs[k]!;
    const opened = await restCall(url, 'POST', '/conversations', { userId: users[b]!.id }, as(a));
    return { id: opened.body.id, kind: 'direct', members: [a, b] };
  });
  const groups = await inParallel(plan.groups.length, Math.min(concurrency, 4), async (g): Promise<ProvisionedConversation> => {
    const [owner, ...members] = plan.groups[g]!;
    const made = await restCall(url, 'POST', '/groups', { name: `load group ${g}`, members: members.map((m) => users[m]!.id) }, as(owner!));
    return { id: made.body.conversationId, kind: 'group', members: plan.groups[g]! };
  });
  return { conversations: [...direct, ...groups], seconds: { friendships, conversations: (Date.now() - t) / 1000 } };
}
