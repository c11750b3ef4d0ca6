/**
 * A chat load-generator process: many signed-in people, each on its own
 * `/account` socket through the IM client SDK's transport
 * (`AccountTransport` of `@muster/im/client`: socket requests acknowledged
 * `{ ok, data | error }`, live `im.message` events). One scheduler sends the
 * process's share of the messages from randomly chosen members of randomly
 * chosen conversations; every bot measures send-to-receive latency of what
 * reaches it from the send time written into the text.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io as connect, type Socket } from 'socket.io-client';
import { AccountTransport, type ImSocketLike } from '@muster/im/client';
import { LatencyHistogram } from '../LatencyHistogram.ts';
import { nowMs } from '../payload.ts';
import type { ChatBotSpec, ChatCommand, ChatMessage, ChatSample, Kind } from './chatProtocol.ts';
import type { ProvisionedConversation } from './provision.ts';

const post = (message: ChatMessage) => {
  if (process.connected) process.send!(message);
};

interface ChatBot {
  spec: ChatBotSpec;
  socket: Socket;
  transport: AccountTransport;
}

const bots: ChatBot[] = [];
const conversations = new Map<string, ProvisionedConversation>();
const slots: Record<Kind, { bot: ChatBot; conversation: ProvisionedConversation }[]> = { direct: [], group: [] };
const zero = () => ({ direct: 0, group: 0 });
let connected = 0;
let connectFailed = 0;
let failures: string[] = [];
const sent = zero();
const acked = zero();
const received = zero();
const expected = zero();
let echoes = 0;
let disconnects = 0;
let failed = 0;
const errors: Record<string, number> = {};
const latency = { direct: new LatencyHistogram(), group: new LatencyHistogram() };
const ackLatency = new LatencyHistogram();
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let counter = 0;
// Padding so a message is about the size of a chat line (the send time comes first).
const PADDING = ' 会议改到三点，请大家准时参加。The meeting moves to 3 pm.';

function onMessage(bot: ChatBot, m: { conversationId: string; senderId: string; text?: string }): void {
  if (m.senderId === bot.spec.id) {
    echoes++;
    return;
  }
  const conversation = conversations.get(m.conversationId);
  if (!conversation || !m.text) return;
  const sentAt = Number.parseFloat(m.text);
  if (!Number.isFinite(sentAt)) return;
  received[conversation.kind]++;
  latency[conversation.kind].record(Math.max(0, nowMs() - sentAt));
}

async function connectAll(url: string, specs: ChatBotSpec[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, specs.length) }, async () => {
      for (;;) {
        const spec = specs[next++];
        if (!spec) return;
        const socket = connect(`${url}/account`, { transports: ['websocket'], auth: { accessToken: spec.accessToken }, reconnection: true, forceNew: true });
        // REST is not used by the bots: the transport's fetch is never called.
        const transport = new AccountTransport({ fetch: () => Promise.reject(new Error('the chat bots use the socket only')) } as never, { ackTimeoutMs: 30_000 });
        const bot: ChatBot = { spec, socket, transport };
        transport.attach(socket as unknown as ImSocketLike);
        transport.on('im.message', (m) => onMessage(bot, m as { conversationId: string; senderId: string; text?: string }));
        try {
          await new Promise<void>((resolve, reject) => {
            socket.once('connect', () => resolve());
            socket.once('connect_error', reject);
          });
          bots.push(bot);
          connected++;
          socket.on('disconnect', (reason) => {
            disconnects++;
            if (failures.length < 5) failures.push(`bot ${spec.index} disconnected: ${reason}`);
          });
        } catch (error) {
          connectFailed++;
          if (failures.length < 5) failures.push(`bot ${spec.index}: ${(error as Error).message}`);
          socket.close();
        }
      }
    }),
  );
}

function sendOne(kind: Kind): void {
  const list = slots[kind].length > 0 ? slots[kind] : slots[kind === 'direct' ? 'group' : 'direct'];
  if (list.length === 0) return;
  const { bot, conversation } = list[Math.floor(Math.random() * list.length)]!;
  const at = nowMs();
  sent[conversation.kind]++;
  bot.transport.emit<{ seq: number }>('im.send', { conversationId: conversation.id, clientMsgId: `lt${process.pid}x${counter++}`, type: 'text', text: `${at.toFixed(3)}|${PADDING}` }).then(
    () => {
      acked[conversation.kind]++;
      expected[conversation.kind] += conversation.members.length - 1;
      ackLatency.record(nowMs() - at);
    },
    (error: { code?: string; message?: string }) => {
      failed++;
      const code = error.code ?? 'ERROR';
      errors[code] = (errors[code] ?? 0) + 1;
      if (failures.length < 5) failures.push(`send: ${code} ${error.message ?? ''}`);
    },
  );
}

let scheduler: NodeJS.Timeout | undefined;
function startSending(rate: number, groupShare: number): void {
  const start = nowMs();
  let due = 0;
  scheduler = setInterval(() => {
    const target = Math.floor(((nowMs() - start) / 1000) * rate);
    // Never more than a second's worth at once, should this process fall behind.
    let n = Math.min(target - due, Math.ceil(rate));
    due = target;
    while (n-- > 0) sendOne(Math.random() < groupShare ? 'group' : 'direct');
  }, 5);
}

const reporter = setInterval(() => {
  const cpu = process.cpuUsage();
  const sample: ChatSample = {
    type: 'sample',
    connected,
    connectFailed,
    failures,
    sent: { ...sent },
    acked: { ...acked },
    failed,
    errors: { ...errors },
    received: { ...received },
    echoes,
    disconnects,
    expected: { ...expected },
    latency: { direct: latency.direct.toJSON(), group: latency.group.toJSON() },
    ack: ackLatency.toJSON(),
    cpuMicros: cpu.user + cpu.system,
    eventLoopLagMs: lag.percentile(99) / 1e6,
  };
  failures = [];
  latency.direct.reset();
  latency.group.reset();
  ackLatency.reset();
  lag.reset();
  post(sample);
}, 1000);

process.on('message', (command: ChatCommand) => {
  if (command.type === 'connect') {
    for (const c of command.conversations) conversations.set(c.id, c);
    void connectAll(command.url, command.bots).then(() => {
      const byIndex = new Map(bots.map((b) => [b.spec.index, b]));
      for (const c of command.conversations) for (const m of c.members) if (byIndex.has(m)) slots[c.kind].push({ bot: byIndex.get(m)!, conversation: c });
      post({ type: 'connected', connected, failed: connectFailed });
    });
  }
  if (command.type === 'send') startSending(command.rate, command.groupShare);
  if (command.type === 'halt') clearInterval(scheduler);
  if (command.type === 'stop') {
    clearInterval(scheduler);
    for (const bot of bots) bot.socket.close();
    clearInterval(reporter);
    setTimeout(() => process.exit(0), 50);
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => console.error('[chat bot process]', error));
process.on('unhandledRejection', () => undefined);
post({ type: 'ready' });
