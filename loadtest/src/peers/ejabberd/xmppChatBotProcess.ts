/**
 * An XMPP chat load-generator process (issue 18): the counterpart of Muster's
 * chat bot process (src/chat/chatBotProcess.ts) against ejabberd. Each person
 * is one @xmpp/client connection over WebSocket, signed in with SASL PLAIN,
 * available (initial presence), with stream management (XEP-0198) on, as a
 * mobile XMPP client runs. The process sends its share of the messages at
 * the same pace and in the same shape as Muster's bots (sendAtRate, the send
 * time first in the text), each from a random person to their partner, and
 * reports the same per-second samples.
 *
 * A message counts as acknowledged when the server's `<a/>` covers it: ejabberd
 * has then archived it (mod_mam) and routed it, as Muster's acknowledgement
 * comes after the store. The bots ask for that acknowledgement right after
 * each send (`<r/>` with no debounce), as Muster's bots get one per send.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { Client, Element } from '@xmpp/client';
import { TEXT_PADDING, type ChatSample } from '../../chat/chatProtocol.ts';
import { sendAtRate } from '../../chat/sendAtRate.ts';
import { LatencyHistogram } from '../../LatencyHistogram.ts';
import { nowMs } from '../../payload.ts';
import type { XmppChatBotSpec, XmppChatCommand, XmppChatMessage } from './xmppChatProtocol.ts';

// @xmpp/client 0.14 opens the global WebSocket, which Node 20 has only behind
// --experimental-websocket: on every Node version the bots use `ws` (as the
// lean client does), without compression.
class XmppWebSocket extends WebSocket {
  constructor(url: string, protocols: string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}
(globalThis as { WebSocket: unknown }).WebSocket = XmppWebSocket;
const { client, xml } = await import('@xmpp/client');

const CONNECTS_IN_FLIGHT = 50;
const MAM = 'urn:xmpp:mam:2';

const post = (message: XmppChatMessage) => {
  if (process.connected) process.send!(message);
};

interface XmppBot {
  spec: XmppChatBotSpec;
  xmpp: Client;
  partnerJid: string | null;
  /** This bot's messages acknowledged and received: what its archive must hold. */
  acked: number;
  received: number;
}

const bots: XmppBot[] = [];
/** Bots with a partner: each send comes from one of them, chosen at random. */
const senders: XmppBot[] = [];
let connected = 0;
let connectFailed = 0;
let failures: string[] = [];
let sent = 0;
let acked = 0;
let received = 0;
let disconnects = 0;
let failed = 0;
const errors: Record<string, number> = {};
const latency = new LatencyHistogram();
const ackLatency = new LatencyHistogram();
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let counter = 0;
let stopSending: () => void = () => undefined;

const sentAtOf = (message: Element) => Number.parseFloat(message.getChildText('body') ?? '');

function noteFailure(what: string): void {
  if (failures.length < 5) failures.push(what);
}

function countError(code: string, what: string): void {
  errors[code] = (errors[code] ?? 0) + 1;
  noteFailure(`${what}: ${code}`);
}

function onStanza(bot: XmppBot, stanza: Element): void {
  if (!stanza.is('message')) return;
  if (stanza.attrs.type === 'error') {
    // A bounce: the server could not deliver one of this bot's messages.
    failed++;
    const condition = stanza.getChild('error')?.getChild('text')?.text() ?? stanza.getChild('error')?.attrs.type ?? 'error';
    countError(condition, `bot ${bot.spec.index} message bounced`);
    return;
  }
  const sentAt = sentAtOf(stanza);
  if (!Number.isFinite(sentAt)) return;
  received++;
  bot.received++;
  latency.record(Math.max(0, nowMs() - sentAt));
}

async function connectOne(url: string, domain: string, password: string, spec: XmppChatBotSpec): Promise<void> {
  const xmpp = client({ service: url, domain, resource: 'bot', credentials: (authenticate) => authenticate({ username: spec.user, password }, 'PLAIN') });
  const bot: XmppBot = { spec, xmpp, partnerJid: spec.partner ? `${spec.partner}@${domain}` : null, acked: 0, received: 0 };
  xmpp.streamManagement.requestAckDebounce = 0;
  xmpp.on('error', (error) => noteFailure(`bot ${spec.index}: ${error.message}`));
  xmpp.on('stanza', (stanza) => onStanza(bot, stanza));
  xmpp.streamManagement.on('ack', (stanza) => {
    if (!stanza.is('message')) return;
    acked++;
    bot.acked++;
    ackLatency.record(Math.max(0, nowMs() - sentAtOf(stanza)));
  });
  xmpp.streamManagement.on('fail', (stanza) => {
    if (!stanza.is('message')) return;
    failed++;
    countError('UNACKNOWLEDGED', `bot ${spec.index} lost its stream with a message unacknowledged`);
  });
  try {
    await xmpp.start();
    await xmpp.send(xml('presence'));
    bots.push(bot);
    if (bot.partnerJid) senders.push(bot);
    connected++;
    xmpp.on('disconnect', () => {
      disconnects++;
      noteFailure(`bot ${spec.index} disconnected`);
    });
  } catch (error) {
    connectFailed++;
    noteFailure(`bot ${spec.index}: ${(error as Error).message}`);
    await xmpp.stop().catch(() => undefined);
  }
}

/** Runs `task` over `items`, at most `inFlight` at once. */
async function eachLimited<T>(items: readonly T[], inFlight: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, items.length) }, async () => {
      for (let item = items[next++]; item !== undefined; item = items[next++]) await task(item);
    }),
  );
}

function sendOne(): void {
  const bot = senders[Math.floor(Math.random() * senders.length)];
  if (!bot) return;
  sent++;
  const message = xml('message', { to: bot.partnerJid!, type: 'chat', id: `lt${process.pid}x${counter++}` }, xml('body', null, `${nowMs().toFixed(3)}|${TEXT_PADDING}`));
  bot.xmpp.send(message).catch((error: Error) => {
    failed++;
    countError('SEND_FAILED', `bot ${bot.spec.index} send: ${error.message}`);
  });
}

/**
 * Messages in the own archives (XEP-0313, a count-only query) of up to
 * `accounts` bots spread over this process's, against what those bots had
 * acknowledged and received. A sample, not every bot: ejabberd's Mnesia
 * archive answers each query by scanning the whole table (mod_mam_mnesia
 * matches the owner in a guard, not by the table's key).
 */
async function countArchive(accounts: number): Promise<Omit<Extract<XmppChatMessage, { type: 'archive' }>, 'type'>> {
  const step = Math.max(1, Math.ceil(bots.length / accounts));
  const counted = bots.filter((_, i) => i % step === 0);
  let messages = 0;
  let queryFailed = 0;
  await eachLimited(counted, CONNECTS_IN_FLIGHT, async (bot) => {
    try {
      const answer = await bot.xmpp.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', null, '0')))));
      messages += Number(answer.getChild('fin', MAM)?.getChild('set')?.getChildText('count') ?? Number.NaN);
    } catch (error) {
      queryFailed++;
      noteFailure(`bot ${bot.spec.index} archive count: ${(error as Error).message}`);
    }
  });
  return { accounts: counted.length, messages, expected: counted.reduce((a, bot) => a + bot.acked + bot.received, 0), failed: queryFailed };
}

const reporter = setInterval(() => {
  const cpu = process.cpuUsage();
  const none = { counts: [], max: 0 };
  const sample: ChatSample = {
    type: 'sample',
    connected,
    connectFailed,
    failures,
    sent: { direct: sent, group: 0 },
    acked: { direct: acked, group: 0 },
    failed,
    errors: { ...errors },
    received: { direct: received, group: 0 },
    echoes: 0,
    disconnects,
    // One partner each: every acknowledged message calls for one delivery.
    expected: { direct: acked, group: 0 },
    latency: { direct: latency.toJSON(), group: none },
    ack: ackLatency.toJSON(),
    cpuMicros: cpu.user + cpu.system,
    eventLoopLagMs: lag.percentile(99) / 1e6,
  };
  failures = [];
  latency.reset();
  ackLatency.reset();
  lag.reset();
  post(sample);
}, 1000);

process.on('message', (command: XmppChatCommand) => {
  if (command.type === 'connect') {
    void eachLimited(command.bots, CONNECTS_IN_FLIGHT, (spec) => connectOne(command.url, command.domain, command.password, spec)).then(() => post({ type: 'connected', connected, failed: connectFailed }));
  }
  if (command.type === 'send') stopSending = sendAtRate(command.rate, sendOne);
  if (command.type === 'halt') stopSending();
  if (command.type === 'count-archive') void countArchive(command.accounts).then((archive) => post({ type: 'archive', ...archive }));
  if (command.type === 'stop') {
    stopSending();
    clearInterval(reporter);
    void Promise.allSettled(bots.map((bot) => bot.xmpp.stop())).then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => console.error('[xmpp chat bot process]', error));
process.on('unhandledRejection', () => undefined);
post({ type: 'ready' });
