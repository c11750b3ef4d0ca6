/**
 * The chat scenario's flags and its plan: who befriends whom, which
 * one-to-one conversations and groups exist, and the mix of messages.
 * Pure (no I/O), so the parsing and the plan are unit-tested.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const CHAT_USAGE = `Usage: npm run loadtest -- --scenario chat [options]

  --users N           people signed in, one socket each (pairs of them are friends
                      with a one-to-one conversation)                  default 200
  --groups G          groups                                            default 0
  --group-size S      people per group, its owner included (≤ 1000)     default 10
  --rate R            messages per second, all senders together         default 100
  --group-share F     share of the messages that go to groups (0–1)     default 0.5 with groups, else 0
  --duration S        seconds of steady sending after every bot is up   default 30
  --bot-processes P   load-generator processes (each ≤ 20,000 sockets)  default: 1 per 1000 users, ≤ cores
  --database-url URL  run the server it starts on PostgreSQL            default: SQLite in its data directory
  --json FILE         write the JSON report
  --md FILE           write the Markdown report
`;

export const ChatOptionsSchema = z
  .object({
    scenario: z.literal('chat'),
    users: z.coerce.number().int().min(2).max(100_000).default(200),
    groups: z.coerce.number().int().min(0).max(10_000).default(0),
    'group-size': z.coerce.number().int().min(2).max(1_000).default(10),
    rate: z.coerce.number().gt(0).max(1_000_000).default(100),
    'group-share': z.coerce.number().min(0).max(1).optional(),
    duration: z.coerce.number().min(1).max(86_400).default(30),
    'bot-processes': z.coerce.number().int().min(1).max(64).optional(),
    'database-url': z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
    json: z.string().optional(),
    md: z.string().optional(),
  })
  .refine((o) => o.groups === 0 || o['group-size'] <= o.users, { message: '--group-size cannot exceed --users', path: ['group-size'] })
  .refine((o) => o['group-share'] === undefined || o['group-share'] === 0 || o.groups > 0, { message: '--group-share needs --groups', path: ['group-share'] })
  .refine((o) => o['group-share'] !== 1 || o.groups > 0, { message: '--group-share 1 needs --groups', path: ['group-share'] })
  .refine((o) => o.users >= 2, { message: 'one-to-one conversations need at least two users', path: ['users'] });

export interface ChatOptions {
  users: number;
  groups: number;
  groupSize: number;
  /** Messages per second, all senders together. */
  rate: number;
  /** Share of the messages sent to groups (the rest one-to-one). */
  groupShare: number;
  duration: number;
  botProcesses: number;
  databaseUrl?: string;
  json?: string;
  md?: string;
}

const FLAGS = ['scenario', 'users', 'groups', 'group-size', 'rate', 'group-share', 'duration', 'bot-processes', 'database-url', 'json', 'md'];

/** Parses the command line; a list of problems when it is wrong. */
export function parseChatArgs(argv: readonly string[]): { ok: true; options: ChatOptions } | { ok: false; problems: string[] } {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])), strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  const parsed = ChatOptionsSchema.safeParse(values);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`) };
  const o = parsed.data;
  return {
    ok: true,
    options: {
      users: o.users,
      groups: o.groups,
      groupSize: o['group-size'],
      rate: o.rate,
      groupShare: o['group-share'] ?? (o.groups > 0 ? 0.5 : 0),
      duration: o.duration,
      botProcesses: o['bot-processes'] ?? Math.max(1, Math.min(os.cpus().length, Math.ceil(o.users / 1000))),
      ...(o['database-url'] ? { databaseUrl: o['database-url'] } : {}),
      ...(o.json ? { json: o.json } : {}),
      ...(o.md ? { md: o.md } : {}),
    },
  };
}

export interface ChatPlan {
  users: number;
  /** One-to-one pairs: users 2k and 2k+1 (an odd last user has none). */
  pairs: [number, number][];
  /** Groups: owner first; members are the users after the owner, wrapping round. */
  groups: number[][];
  /** Friendships to make: [asker, accepter], each pair once (groups need their members to be the owner's contacts). */
  friendships: [number, number][];
}

/** Who is friends with whom, and which conversations exist. */
export function planChat(o: Pick<ChatOptions, 'users' | 'groups' | 'groupSize'>): ChatPlan {
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < o.users; i += 2) pairs.push([i, i + 1]);
  const groups: number[][] = [];
  // Owners spread over the users, so no one person owns them all (and no one asks too many people).
  const stride = o.groups > 0 ? Math.max(1, Math.floor(o.users / o.groups)) : 1;
  for (let g = 0; g < o.groups; g++) {
    const owner = (g * stride) % o.users;
    groups.push(Array.from({ length: o.groupSize }, (_, k) => (owner + k) % o.users));
  }
  const seen = new Set<string>();
  const friendships: [number, number][] = [];
  const befriend = (a: number, b: number) => {
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    if (a === b || seen.has(key)) return;
    seen.add(key);
    friendships.push([a, b]);
  };
  for (const [a, b] of pairs) befriend(a, b);
  // A member asks the owner, the owner accepts: one request per member per group.
  for (const [owner, ...members] of groups) for (const m of members) befriend(m, owner!);
  return { users: o.users, pairs, groups, friendships };
}
