/**
 * Test helpers for the IM delivery guarantees at scale (bigGroup, catchUp,
 * ordering, multiProcess): many people signed up in bulk on an in-process
 * test server, befriended and grouped through the IM domain (the cheap,
 * honest path: the same rules as the REST routes, without an HTTP round trip
 * per person), and devices that are real socket.io clients on `/account`.
 *
 * Sign-ups use the cheapest Argon2id (startTestServer's) under the
 * "password" policy, each from its own client address, so the per-address
 * sign-up limit (20 an hour) is not what the test measures.
 */
import type { Principal } from '@muster/accounts';
import { io as connect, type Socket } from 'socket.io-client';
import type { MusterServer } from '../server.ts';

export interface TestPerson {
  id: string;
  phone: string;
  nickname: string;
  accessToken: string;
  principal: Principal;
}

export interface TestDevice {
  socket: Socket;
  /** Every `im.message` payload received, in arrival order. */
  messages: { conversationId: string; seq: number; senderId: string; text?: string; id: string }[];
  /** Any request over the socket, acknowledged `{ ok, data | error }`. */
  request(event: string, payload: unknown): Promise<{ ok: boolean; data?: any; error?: { code: string; message: string } }>;
  close(): void;
}

type Server = Pick<MusterServer, 'accounts' | 'im' | 'url'>;

const ADMIN: Principal = { accountId: 'root', sessionId: 'scale-tests', role: 'admin' } as Principal;

/** Runs `fn` over `items` with at most `concurrency` at a time, results in order. */
export async function inBatches<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}

/**
 * `count` new people, signed in (one device session each). `series` (0–9)
 * keeps the phone numbers of one test file apart from another's.
 */
export async function signUpPeople(server: Server, count: number, series: number, nickname = 'p'): Promise<TestPerson[]> {
  await server.accounts.admin.updateSettings(ADMIN, { signupPolicy: 'password' });
  const runTag = Math.floor(Math.random() * 90) + 10;
  return inBatches(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      // +86 13x xxxx xxxx: a valid Chinese mobile number, unique within the series and run.
      const phone = `+8613${series}${String(runTag)}${String(i).padStart(6, '0')}`;
      const name = `${nickname}${i}`;
      const { session } = await server.accounts.auth.signup(
        { phone, password: 'tulip-granite-73', nickname: name },
        { address: `10.${series}.${(i >> 8) & 255}.${i & 255}` },
      );
      const principal = (await server.accounts.guard.authenticate(session!.accessToken))!;
      return { id: principal.accountId, phone, nickname: name, accessToken: session!.accessToken, principal };
    },
  );
}

/** `others` each ask `hub`, and `hub` accepts: one request per sender, so no one nears the requests-per-hour limit. */
export async function befriendAll(server: Server, hub: TestPerson, others: readonly TestPerson[]): Promise<void> {
  await inBatches(others, 8, async (other) => {
    const request = await server.im.contacts.request(other.principal, hub.id);
    if (request.state === 'pending') await server.im.contacts.answer(hub.principal, request.id, true);
  });
}

/** A real socket.io client on `/account`, signed in with the person's token, recording live messages. */
export async function openDevice(url: string, person: Pick<TestPerson, 'accessToken'>): Promise<TestDevice> {
  const socket = connect(`${url}/account`, { transports: ['websocket'], auth: { accessToken: person.accessToken }, reconnection: false, forceNew: true });
  const messages: TestDevice['messages'] = [];
  socket.on('im.message', (m: TestDevice['messages'][number]) => messages.push(m));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    messages,
    request: (event, payload) => socket.timeout(30_000).emitWithAck(event, payload),
    close: () => void socket.close(),
  };
}

/** REST as a person (or without a token). `raw` sends a string body as it is (malformed JSON), not JSON-encoded. */
export async function api(url: string, method: string, path: string, token: string | undefined, body?: unknown, options: { raw?: boolean } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : options.raw && typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Every message of a conversation after `afterSeq`, by seq ranges of at most
 * 200 (REST, as a device catching up does), oldest first.
 */
export async function catchUpConversation(url: string, token: string, conversationId: string, afterSeq: number, lastSeq: number): Promise<{ seq: number; text?: string; senderId: string; id: string }[]> {
  const out: { seq: number; text?: string; senderId: string; id: string }[] = [];
  let after = afterSeq;
  while (after < lastSeq) {
    const page = await api(url, 'GET', `/conversations/${conversationId}/messages?afterSeq=${after}&limit=200`, token);
    if (page.status !== 200) throw new Error(`catch-up of ${conversationId} after ${after}: ${page.status} ${JSON.stringify(page.body)}`);
    const messages = page.body as { seq: number; text?: string; senderId: string; id: string }[];
    if (messages.length === 0) break;
    out.push(...messages);
    after = messages.at(-1)!.seq;
  }
  return out;
}

/**
 * Row counts of the server's tables (names and columns from the engine's
 * catalogue): every table, whole; with `conversationId`, only the tables
 * with a `conversation_id` column, counting that conversation's rows.
 */
export async function rowCounts(server: Pick<MusterServer, 'db'>, conversationId?: string): Promise<Record<string, number>> {
  const tables = await server.db.kysely.introspection.getTables();
  const counts: Record<string, number> = {};
  for (const table of tables) {
    if (table.isView) continue;
    const scoped = table.columns.some((c) => c.name === 'conversation_id');
    if (conversationId !== undefined && !scoped) continue;
    let query = (server.db.kysely as any).selectFrom(table.name).select((eb: any) => eb.fn.countAll().as('n'));
    if (conversationId !== undefined) query = query.where('conversation_id', '=', conversationId);
    const row = await query.executeTakeFirst();
    counts[table.name] = Number(row?.n ?? 0);
  }
  return counts;
}

/** What changed between two row counts: table → rows added (or removed), zero changes left out. */
export function rowDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[table] ?? 0) - (before[table] ?? 0);
    if (d !== 0) delta[table] = d;
  }
  return delta;
}
