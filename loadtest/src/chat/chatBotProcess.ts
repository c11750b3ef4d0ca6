/**
 * A chat load-generator process: many signed-in people, each on its own
 * `/account` socket through the IM client SDK's transport
 * (`AccountTransport` of `@muster/im/client`: socket requests acknowledged
 * `{ ok, data | error }`, live `im.message` events). One scheduler sends the
 * process's share of the messages from randomly chosen members of randomly
 * chosen conversations; every bot measures send-to-receive latency of what
 * reaches it from the send time written into the text.
 *
 * With the rich-media mix (`--media-mix`), each send is drawn as text,
 * image, voice or file; a media send uploads a real payload through tus
 * first (tusUpload.ts), then sends `im.send` with its file id, and its client
 * message id carries the send and upload-start times for the receivers.
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AccountTransport } from '@muster/im/client';
import { LatencyHistogram } from '../LatencyHistogram.ts';
import { nowMs } from '../payload.ts';
import { TEXT_PADDING, type ChatBotSpec, type ChatCommand, type ChatMessage, type ChatSample, type Kind, type MediaSample } from './chatProtocol.ts';
import { drawIn, MEDIA_TYPES, mediaClientMsgId, MESSAGE_TYPES, nearest, parseMediaClientMsgId, pickType, seededRandom, type MediaType, type MsgType } from './media.ts';
import { filePool } from './mediaPayloads.ts';
import { openImConnection, type BotSocket } from './imConnection.ts';
import type { MediaMixOptions } from './options.ts';
import { botAddress, type ProvisionedConversation } from './provision.ts';
import { sendAtRate } from './sendAtRate.ts';
import { tusUpload, UploadFailed } from './tusUpload.ts';

const post = (message: ChatMessage) => {
  if (process.connected) process.send!(message);
};

interface ChatBot {
  spec: ChatBotSpec;
  socket: BotSocket;
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
/** The servers (see ChatCommand): bot i's is urls[i mod n]. */
let serverUrls: string[] = [];
const urlOf = (index: number) => serverUrls[index % serverUrls.length]!;

/** The rich-media mix's state in this process (null: text only). */
interface MediaState {
  o: MediaMixOptions;
  random: () => number;
  images: { data: Buffer; bytes: number }[];
  voices: { data: Buffer; seconds: number }[];
  pool: Buffer;
}
let media: MediaState | null = null;
const byType = <T,>(f: () => T) => Object.fromEntries(MESSAGE_TYPES.map((t) => [t, f()])) as Record<MsgType, T>;
const byMedia = <T,>(f: () => T) => Object.fromEntries(MEDIA_TYPES.map((t) => [t, f()])) as Record<MediaType, T>;
const m = {
  due: byType(() => 0),
  shed: byMedia(() => 0),
  sent: byType(() => 0),
  acked: byType(() => 0),
  received: byType(() => 0),
  expected: byType(() => 0),
  failed: byType(() => 0),
  upload: { started: 0, finished: 0, failed: 0, inFlight: 0, bytes: 0, latency: new LatencyHistogram(), total: new LatencyHistogram(), lastPatch: new LatencyHistogram(), latencyByType: byMedia(() => new LatencyHistogram()), lastPatchByType: byMedia(() => new LatencyHistogram()) },
  latency: byType(() => new LatencyHistogram()),
  endToEnd: byMedia(() => new LatencyHistogram()),
  ack: byType(() => new LatencyHistogram()),
};
const FILE_TYPES: Record<MediaType, string> = { image: 'image/jpeg', voice: 'audio/webm', file: 'application/octet-stream' };
const EXTENSIONS: Record<MediaType, string> = { image: 'jpg', voice: 'webm', file: 'bin' };

interface LiveMessage {
  conversationId: string;
  senderId: string;
  type?: string;
  text?: string;
  clientMsgId?: string;
}

function onMessage(bot: ChatBot, message: LiveMessage): void {
  if (message.senderId === bot.spec.id) {
    echoes++;
    return;
  }
  const conversation = conversations.get(message.conversationId);
  if (!conversation) return;
  const now = nowMs();
  if (media && (MEDIA_TYPES as readonly string[]).includes(message.type ?? '')) {
    const times = parseMediaClientMsgId(message.clientMsgId);
    if (!times) return;
    const type = message.type as MediaType;
    received[conversation.kind]++;
    m.received[type]++;
    m.latency[type].record(Math.max(0, now - times.sentAtMs));
    m.endToEnd[type].record(Math.max(0, now - times.uploadStartMs));
    return;
  }
  if (!message.text) return;
  const sentAt = Number.parseFloat(message.text);
  if (!Number.isFinite(sentAt)) return;
  received[conversation.kind]++;
  latency[conversation.kind].record(Math.max(0, now - sentAt));
  if (media) {
    m.received.text++;
    m.latency.text.record(Math.max(0, now - sentAt));
  }
}

async function connectAll(kind: 'longlink' | 'socketio', specs: ChatBotSpec[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(50, specs.length) }, async () => {
      for (;;) {
        const spec = specs[next++];
        if (!spec) return;
        // REST is not used by the bots: the transport's fetch is never called.
        const { socket, transport, connected: up } = openImConnection(urlOf(spec.index), kind, spec.accessToken);
        const bot: ChatBot = { spec, socket, transport };
        transport.on('im.message', (message) => onMessage(bot, message as LiveMessage));
        try {
          await up;
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

function pickSlot(kind: Kind, random: () => number): { bot: ChatBot; conversation: ProvisionedConversation } | null {
  const list = slots[kind].length > 0 ? slots[kind] : slots[kind === 'direct' ? 'group' : 'direct'];
  if (list.length === 0) return null;
  return list[Math.floor(random() * list.length)]!;
}

function countError(code: string, what: string, message: string | undefined): void {
  errors[code] = (errors[code] ?? 0) + 1;
  if (failures.length < 5) failures.push(`${what}: ${code} ${message ?? ''}`);
}

/** im.send over the bot's socket, counted by kind (and by type with the media mix). */
function emitSend(bot: ChatBot, conversation: ProvisionedConversation, type: MsgType, body: Record<string, unknown>, onSettled?: () => void): void {
  const at = nowMs();
  sent[conversation.kind]++;
  if (media) m.sent[type]++;
  bot.transport.emit<{ seq: number }>('im.send', { conversationId: conversation.id, ...body }).then(
    () => {
      const tookMs = nowMs() - at;
      acked[conversation.kind]++;
      expected[conversation.kind] += conversation.members.length - 1;
      ackLatency.record(tookMs);
      if (media) {
        m.acked[type]++;
        m.expected[type] += conversation.members.length - 1;
        m.ack[type].record(tookMs);
      }
      onSettled?.();
    },
    (error: { code?: string; message?: string }) => {
      failed++;
      if (media) m.failed[type]++;
      countError(error.code ?? 'ERROR', 'send', error.message);
      onSettled?.();
    },
  );
}

function sendOne(kind: Kind): void {
  if (media) {
    const type = pickType(media.o.mix, media.random());
    m.due[type]++;
    if (type !== 'text') return sendMedia(kind, type, media);
  }
  const slot = pickSlot(kind, media?.random ?? Math.random);
  if (!slot) return;
  emitSend(slot.bot, slot.conversation, 'text', { clientMsgId: `lt${process.pid}x${counter++}`, type: 'text', text: `${nowMs().toFixed(3)}|${TEXT_PADDING}` });
}

/** The payload of one media send: its size drawn uniformly within the type's range (the nearest real image or clip). */
function payloadFor(type: MediaType, state: MediaState): Buffer {
  const { sizes } = state.o;
  if (type === 'image') {
    const i = nearest(state.images.map((p) => p.bytes), drawIn(sizes.imageBytes, state.random()));
    return state.images[i]!.data;
  }
  if (type === 'voice') {
    const i = nearest(state.voices.map((p) => p.seconds), drawIn(sizes.voiceSeconds, state.random()));
    return state.voices[i]!.data;
  }
  const size = Math.round(drawIn(sizes.fileBytes, state.random()));
  const offset = Math.floor(state.random() * (state.pool.length - size));
  return state.pool.subarray(offset, offset + size);
}

/** Upload a real payload through tus, then send it by file id. Shed (not sent) when the in-flight cap is reached. */
function sendMedia(kind: Kind, type: MediaType, state: MediaState): void {
  const data = payloadFor(type, state);
  const slot = pickSlot(kind, state.random);
  if (!slot) return;
  if (m.upload.inFlight >= state.o.uploadsInFlight) {
    m.shed[type]++;
    return;
  }
  const { bot, conversation } = slot;
  const n = counter++;
  m.upload.inFlight++;
  m.upload.started++;
  tusUpload({
    url: urlOf(bot.spec.index),
    accessToken: bot.spec.accessToken,
    data,
    filename: `${type}-${process.pid}-${n}.${EXTENSIONS[type]}`,
    filetype: FILE_TYPES[type],
    conversationId: conversation.id,
    chunkSize: state.o.chunkBytes,
    address: botAddress(bot.spec.index),
  }).then(
    (done) => {
      m.upload.finished++;
      m.upload.bytes += done.bytes;
      m.upload.latency.record(done.doneAt - done.firstByteAt);
      m.upload.total.record(done.doneAt - done.startedAt);
      m.upload.lastPatch.record(done.lastPatchMs);
      m.upload.latencyByType[type].record(done.doneAt - done.firstByteAt);
      m.upload.lastPatchByType[type].record(done.lastPatchMs);
      emitSend(bot, conversation, type, { clientMsgId: mediaClientMsgId(process.pid, n, nowMs(), done.startedAt), type, fileId: done.fileId }, () => {
        m.upload.inFlight--;
      });
    },
    (error: Error) => {
      m.upload.failed++;
      m.upload.inFlight--;
      m.failed[type]++;
      countError(`upload:${error instanceof UploadFailed ? error.code : 'ERROR'}`, `upload ${type}`, error.message);
    },
  );
}

/** Loads the payloads (read once; files are slices of one pool of random bytes). */
function loadMedia(o: MediaMixOptions & { manifest: { images: { path: string; bytes: number }[]; voices: { path: string; seconds: number }[] } }): MediaState {
  return {
    o,
    random: seededRandom(o.seed),
    images: o.manifest.images.map((p) => ({ data: fs.readFileSync(p.path), bytes: p.bytes })),
    voices: o.manifest.voices.map((p) => ({ data: fs.readFileSync(p.path), seconds: p.seconds })),
    pool: filePool(o.sizes.fileBytes.max),
  };
}

function mediaSample(): MediaSample {
  const json = <K extends string>(h: Record<K, LatencyHistogram>) => Object.fromEntries(Object.entries<LatencyHistogram>(h).map(([k, v]) => [k, v.toJSON()])) as Record<K, { counts: number[]; max: number }>;
  const sample: MediaSample = {
    due: { ...m.due },
    shed: { ...m.shed },
    sent: { ...m.sent },
    acked: { ...m.acked },
    received: { ...m.received },
    expected: { ...m.expected },
    failed: { ...m.failed },
    upload: {
      ...m.upload,
      latency: m.upload.latency.toJSON(),
      total: m.upload.total.toJSON(),
      lastPatch: m.upload.lastPatch.toJSON(),
      latencyByType: json(m.upload.latencyByType),
      lastPatchByType: json(m.upload.lastPatchByType),
    },
    latency: json(m.latency),
    endToEnd: json(m.endToEnd),
    ack: json(m.ack),
  };
  m.upload.latency.reset();
  m.upload.total.reset();
  m.upload.lastPatch.reset();
  for (const h of [...Object.values(m.latency), ...Object.values(m.endToEnd), ...Object.values(m.ack), ...Object.values(m.upload.latencyByType), ...Object.values(m.upload.lastPatchByType)]) h.reset();
  return sample;
}

let stopSending: () => void = () => undefined;

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
    ...(media ? { media: mediaSample() } : {}),
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
    serverUrls = command.urls;
    if (command.media) media = loadMedia(command.media);
    for (const c of command.conversations) conversations.set(c.id, c);
    void connectAll(command.transport, command.bots).then(() => {
      const byIndex = new Map(bots.map((b) => [b.spec.index, b]));
      for (const c of command.conversations) for (const m of c.members) if (byIndex.has(m)) slots[c.kind].push({ bot: byIndex.get(m)!, conversation: c });
      post({ type: 'connected', connected, failed: connectFailed });
    });
  }
  if (command.type === 'send') stopSending = sendAtRate(command.rate, () => sendOne(Math.random() < command.groupShare ? 'group' : 'direct'));
  if (command.type === 'halt') stopSending();
  if (command.type === 'stop') {
    stopSending();
    for (const bot of bots) bot.socket.close();
    clearInterval(reporter);
    setTimeout(() => process.exit(0), 50);
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => console.error('[chat bot process]', error));
process.on('unhandledRejection', () => undefined);
post({ type: 'ready' });
