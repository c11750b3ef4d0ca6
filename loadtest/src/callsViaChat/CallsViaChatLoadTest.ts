/**
 * `--scenario calls --via chat` (issue 18): the calls scenario's calls made
 * as people make them from a chat. Two people per call are written into the
 * server's database (as the connections scenario does: `importPeople`,
 * `startSessions`), made contacts with a one-to-one conversation through the
 * REST API (as the chat scenario does), and each call is rung from that
 * conversation, answered, and carried by the calls scenario's media bots in
 * the private room it yields (ChatCall.ts). The run itself (ramp, steady
 * window, samples, server and bot CPU) is the calls scenario's (LoadTest.ts).
 */
import fs from 'node:fs';
import { isIP } from 'node:net';
import type { BotSpec } from '../Bot.ts';
import { REAL_RATES } from '../BotMedia.ts';
import { relatePeople } from '../chat/provision.ts';
import { provisionPeople } from '../connections/provision.ts';
import { runLoadTest, type LoadTestOptions, type LoadTestReport } from '../LoadTest.ts';
import { ServerUnderTest } from '../ServerUnderTest.ts';
import type { ChatCallSpec } from './ChatCall.ts';
import { CallsTally } from './callsTally.ts';

export interface CallsViaChatOptions extends LoadTestOptions {
  /** With `url`: the running server's MUSTER_DATA_DIR, whose database the people are written into. */
  dataDir?: string;
  /**
   * Where the servers' media comes from, when not from the hosts their URLs
   * name: the media hosts (MUSTER_ROLE=media) of a multi-host deployment.
   */
  mediaHosts?: string[];
}

export type CallsViaChatReport = Omit<LoadTestReport, 'calls'> & {
  via: 'chat';
  /** The servers the calls went to, a call's two people to the same one (dealt in turn); "started here" for one started by the run. */
  servers: string[];
  calls: LoadTestReport['calls'] & {
    requested: number;
    /** Both bots of the call receive every kind they expect. */
    connected: number;
    failed: number;
    /** Rung (POST /calls sent), and set up in full (answer heard, both sides' first media in). */
    rung: number;
    setUp: number;
    /** Calls that failed, by the step: sign-in, ring, accept, answer (the caller never heard it), joins, releases. */
    failedAt: Record<string, number>;
    /** Calls set up, by the server address the caller's media went to (the media host that carried the call). */
    byMediaAddress: Record<string, number>;
  };
  setup: ReturnType<CallsTally['setup']>;
  loss: ReturnType<CallsTally['loss']>;
  media: { rate: number; reduced: boolean; audio: { packetsPerSec: number; kbps: number }; video: { packetsPerSec: number; kbps: number }; note: string };
  provisioning: { via: string; people: number; imported: number; existing: number; seconds: { people: number; devices: number; friendships: number; conversations: number } };
};

/** Where a server's media may come from besides loopback: its own address, when its URL names one. */
function mediaHosts(url: string): string[] | undefined {
  const host = new URL(url).hostname;
  return isIP(host) === 4 && !host.startsWith('127.') ? [host, '127.0.0.1'] : undefined;
}

/** The media a bot sends at `rate`, in the report's words. */
export function mediaRate(rate: number): CallsViaChatReport['media'] {
  const of = (kind: 'audio' | 'video') => ({
    packetsPerSec: Math.round(REAL_RATES[kind].packetsPerSec * rate * 100) / 100,
    kbps: Math.round((REAL_RATES[kind].packetsPerSec * rate * REAL_RATES[kind].payloadBytes * 8) / 10) / 100,
  });
  const audio = of('audio');
  const video = of('video');
  return {
    rate,
    reduced: rate < 1,
    audio,
    video,
    note:
      rate < 1
        ? `reduced: each bot sends ${rate} × the real packet rates (audio ${audio.packetsPerSec} packets/s, video ${video.packetsPerSec} packets/s, payloads of real size), so that every call can be up on a machine that cannot carry the full media; set-up, per-connection costs and loss are measured, not the full packet load`
        : 'real rates: audio 50 packets/s (Opus-sized), video about 75 packets/s (~600 kbit/s)',
  };
}

export async function runCallsViaChat(options: CallsViaChatOptions): Promise<CallsViaChatReport> {
  const progress = options.onProgress ?? (() => undefined);
  const urls = options.url ? options.url.split(',').map((u) => u.trim().replace(/\/+$/, '')) : null;
  const count = options.videoCalls + options.voiceCalls;
  // People straight into the database: two a call, person 2k calling person 2k + 1.
  const dataDir = options.dataDir ?? ServerUnderTest.newDataDir();
  let server: ServerUnderTest | null = null;
  try {
    progress(`provisioning ${2 * count} people into ${urls ? `${dataDir} (the running server's database)` : 'a fresh data directory'}`);
    const people = await provisionPeople({ dataDir, env: process.env, users: 2 * count, onProgress: progress });
    // As the chat scenario's server: each bot's own address in X-Forwarded-For counts against its own per-address limits.
    if (!urls) server = await ServerUnderTest.start({ dataDir, workers: options.workers, env: { TRUST_PROXY: '127.0.0.1' } });
    const servers = urls ?? [server!.url];
    const pairs = Array.from({ length: count }, (_, k): [number, number] => [2 * k, 2 * k + 1]);
    progress(`making ${count} pairs of people contacts with a one-to-one conversation`);
    const related = await relatePeople(servers[0]!, people.users.map((u, index) => ({ index, id: u.id, accessToken: u.secret })), { pairs, friendships: pairs, groups: [] }, { onProgress: progress });
    const tally = new CallsTally();
    const calls = (bots: BotSpec[]): ChatCallSpec[] =>
      pairs.map(([a, b], k) => {
        const [caller, callee] = [bots[a]!, bots[b]!];
        if (caller.callId !== callee.callId || (caller.callKind !== 'video' && caller.callKind !== 'voice')) throw new Error('the plan does not pair its calls’ bots');
        const url = servers[k % servers.length]!;
        const remoteHosts = options.mediaHosts ? [...options.mediaHosts, '127.0.0.1'] : mediaHosts(url);
        const party = (person: number, bot: BotSpec) => ({ userId: people.users[person]!.id, accessToken: people.users[person]!.secret, bot: { ...bot, ...(remoteHosts ? { remoteHosts } : {}) } });
        return { callId: caller.callId, kind: caller.callKind, url, conversationId: related.conversations[k]!.id, caller: party(a, caller), callee: party(b, callee) };
      });
    const report = await runLoadTest({ ...options, via: 'chat' }, { server, urls: servers, calls, onSecond: tally.onSecond });
    const { total } = report.calls;
    return {
      ...report,
      via: 'chat',
      servers: urls ?? ['started here'],
      calls: { ...report.calls, requested: total.requested, connected: total.connected, failed: total.failed, ...tally.outcomes() },
      setup: tally.setup(),
      loss: tally.loss(),
      media: mediaRate(options.mediaRate ?? 1),
      provisioning: {
        via: 'database (accounts.admin.importPeople, auth.startSessions); contacts and one-to-one conversations through the REST API',
        people: 2 * count,
        imported: people.imported,
        existing: people.existing,
        seconds: { ...people.seconds, friendships: Math.round(related.seconds.friendships * 10) / 10, conversations: Math.round(related.seconds.conversations * 10) / 10 },
      },
    };
  } finally {
    // The server removes its data directory as it stops; one made here for a server that never started goes too.
    if (server) await server.stop();
    else if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
