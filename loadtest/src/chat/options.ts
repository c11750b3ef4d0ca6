/**
 * The chat scenario's flags and its plan: who befriends whom, which
 * one-to-one conversations and groups exist, and the mix of messages.
 * Pure (no I/O), so the parsing and the plan are unit-tested.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CUSTOMER_MIX, CUSTOMER_SIZES, parseMix, parseRange, type MediaSizes } from './media.ts';

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
  --url URL,URL…      test running app hosts instead of starting a server (the multi-host
                      lab: npm run lab -w server); the bots are dealt over the URLs in
                      turn, so a conversation's members sit on different hosts. People
                      are written into the database DATABASE_URL names (with the key
                      passwords of the environment), then related through REST. Text only.
  --data-dir DIR      with --url: where key passwords are looked for when the environment
                      has none (the running server's MUSTER_DATA_DIR)
  --json FILE         write the JSON report
  --md FILE           write the Markdown report
  --transport T       how each bot connects: longlink (the lean WebSocket the web client
                      uses, on the gateways) or socketio (the /account namespace)
                                                                        default longlink
  --target T          muster, or ejabberd: the same one-to-one load against an ejabberd it
                      starts (issue 18; --users, --rate, --duration, --bot-processes, --json,
                      --md; the generated ejabberd.yml goes beside the reports) default muster

  Rich media (issue 17):
  --media-mix         send the customer's mix instead of text only: text 60 %,
                      image 20 %, voice 15 %, file 5 % of --rate; images 0.2–2 MB
                      (real JPEGs), voice 5–60 s (real WebM/Opus), files 1–20 MB
                      (random bytes), uploaded through tus, then sent by file id
  --uploads-in-flight N  media sends (upload + send) in flight at once, all bot
                      processes together; a media send due while N are in
                      flight is skipped and counted ("shed")           default 24
  --chunk-mb M        bytes per tus PATCH, in MiB                       default 4
  --seed N            seed of the mix's draws (types, sizes)            default 1
  --mix SHARES        another mix, to measure one type alone, e.g. "file=1" or
                      "image=1,voice=1"                 default "text=60,image=20,voice=15,file=5"
`;

export const ChatOptionsSchema = z
  .object({
    scenario: z.literal('chat'),
    target: z.enum(['muster', 'ejabberd']).default('muster'),
    transport: z.enum(['longlink', 'socketio']).default('longlink'),
    users: z.coerce.number().int().min(2).max(100_000).default(200),
    groups: z.coerce.number().int().min(0).max(10_000).default(0),
    'group-size': z.coerce.number().int().min(2).max(1_000).default(10),
    rate: z.coerce.number().gt(0).max(1_000_000).default(100),
    'group-share': z.coerce.number().min(0).max(1).optional(),
    duration: z.coerce.number().min(1).max(86_400).default(30),
    'bot-processes': z.coerce.number().int().min(1).max(64).optional(),
    'database-url': z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
    url: z
      .string()
      .refine((v) => v.split(',').every((u) => z.url({ protocol: /^https?$/ }).safeParse(u.trim()).success), 'http(s) URLs, comma-separated')
      .optional(),
    'data-dir': z.string().min(1).optional(),
    'media-mix': z.boolean().optional(),
    'uploads-in-flight': z.coerce.number().int().min(1).max(10_000).default(24),
    'chunk-mb': z.coerce.number().gt(0).max(1024).default(4),
    seed: z.coerce.number().int().min(0).max(2 ** 31).default(1),
    mix: z.string().refine((v) => parseMix(v) !== null, 'the mix is "type=share,…" with types text, image, voice, file').optional(),
    // Test-only (not in the usage): smaller sizes for the smoke test, as "min-max".
    'image-bytes': z.string().optional(),
    'voice-seconds': z.string().optional(),
    'file-bytes': z.string().optional(),
    json: z.string().optional(),
    md: z.string().optional(),
  })
  .refine((o) => o.groups === 0 || o['group-size'] <= o.users, { message: '--group-size cannot exceed --users', path: ['group-size'] })
  .refine((o) => o['group-share'] === undefined || o['group-share'] === 0 || o.groups > 0, { message: '--group-share needs --groups', path: ['group-share'] })
  .refine((o) => o['group-share'] !== 1 || o.groups > 0, { message: '--group-share 1 needs --groups', path: ['group-share'] })
  .refine((o) => o.users >= 2, { message: 'one-to-one conversations need at least two users', path: ['users'] })
  .refine((o) => o['media-mix'] || (o['image-bytes'] ?? o['voice-seconds'] ?? o['file-bytes'] ?? o.mix) === undefined, { message: 'media sizes and --mix need --media-mix', path: ['media-mix'] })
  .refine((o) => ['image-bytes', 'voice-seconds', 'file-bytes'].every((k) => o[k as 'image-bytes'] === undefined || parseRange(o[k as 'image-bytes']!) !== null), { message: 'a size range is "min-max", positive', path: ['media-mix'] })
  .refine((o) => o['voice-seconds'] === undefined || parseRange(o['voice-seconds'])!.max <= 60, { message: 'a voice message is at most 60 s', path: ['voice-seconds'] })
  .refine((o) => o.target === 'muster' || (o.groups === 0 && !o['media-mix'] && !o['database-url']), { message: 'ejabberd runs the one-to-one text load only (no --groups, --media-mix, --database-url)', path: ['target'] })
  .refine((o) => (o.url !== undefined) === (o['data-dir'] !== undefined), { message: '--url and --data-dir go together', path: ['url'] })
  .refine((o) => o.url === undefined || (o.target === 'muster' && !o['media-mix'] && !o['database-url']), { message: 'with --url: text only, against Muster, on the database of DATABASE_URL (no --media-mix, --target, --database-url)', path: ['url'] });

/** The rich-media mix's settings (`--media-mix`). */
export interface MediaMixOptions {
  mix: Record<'text' | 'image' | 'voice' | 'file', number>;
  sizes: MediaSizes;
  seed: number;
  /** Media sends in flight at once, all bot processes together. */
  uploadsInFlight: number;
  /** Bytes per tus PATCH. */
  chunkBytes: number;
}

export interface ChatOptions {
  /** The server under test: Muster (default), or ejabberd (src/peers/ejabberd/). */
  target?: 'ejabberd';
  /** How the bots connect to Muster: longlink (default, as the web client) or socket.io's /account. */
  transport?: 'longlink' | 'socketio';
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
  /** Running app hosts to test instead of a server started here (the bots dealt over them), and where their key passwords are. */
  remote?: { urls: string[]; dataDir: string };
  /** The rich-media mix (issue 17); text only without it. */
  media?: MediaMixOptions;
  json?: string;
  md?: string;
}

const FLAGS = ['scenario', 'target', 'transport', 'users', 'groups', 'group-size', 'rate', 'group-share', 'duration', 'bot-processes', 'database-url', 'url', 'data-dir', 'json', 'md', 'uploads-in-flight', 'chunk-mb', 'seed', 'mix', 'image-bytes', 'voice-seconds', 'file-bytes'];

/** Parses the command line; a list of problems when it is wrong. */
export function parseChatArgs(argv: readonly string[]): { ok: true; options: ChatOptions } | { ok: false; problems: string[] } {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...argv], options: { ...Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])), 'media-mix': { type: 'boolean' as const } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  const parsed = ChatOptionsSchema.safeParse(values);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`) };
  const o = parsed.data;
  return {
    ok: true,
    options: {
      ...(o.target === 'ejabberd' ? { target: 'ejabberd' as const } : {}),
      transport: o.transport,
      users: o.users,
      groups: o.groups,
      groupSize: o['group-size'],
      rate: o.rate,
      groupShare: o['group-share'] ?? (o.groups > 0 ? 0.5 : 0),
      duration: o.duration,
      botProcesses: o['bot-processes'] ?? Math.max(1, Math.min(os.cpus().length, Math.ceil(o.users / 1000))),
      ...(o['database-url'] ? { databaseUrl: o['database-url'] } : {}),
      ...(o.url ? { remote: { urls: o.url.split(',').map((u) => u.trim().replace(/\/+$/, '')), dataDir: o['data-dir']! } } : {}),
      ...(o['media-mix']
        ? {
            media: {
              mix: o.mix ? parseMix(o.mix)! : { ...CUSTOMER_MIX },
              sizes: {
                imageBytes: o['image-bytes'] ? parseRange(o['image-bytes'])! : { ...CUSTOMER_SIZES.imageBytes },
                voiceSeconds: o['voice-seconds'] ? parseRange(o['voice-seconds'])! : { ...CUSTOMER_SIZES.voiceSeconds },
                fileBytes: o['file-bytes'] ? parseRange(o['file-bytes'])! : { ...CUSTOMER_SIZES.fileBytes },
              },
              seed: o.seed,
              uploadsInFlight: o['uploads-in-flight'],
              chunkBytes: Math.round(o['chunk-mb'] * 2 ** 20),
            },
          }
        : {}),
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
