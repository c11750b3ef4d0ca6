/**
 * The IM client SDK against a whole server: two people's clients (the
 * accounts SDK's tokens, the `/account` socket shared with it) chat both
 * ways with a read receipt, and a client whose socket dropped catches up on
 * everything it missed (new messages and an edit), in order, with the right
 * unread count; a send without a socket goes over REST. Both ways a device
 * connects: socket.io's `/account`, and longlink (`longlink(WebSocket)`, on
 * the gateway the test server embeds).
 */
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longlink, watchAccount, type AccountSocketFactory, type AccountSocketLike, type WebSocketConstructor } from '@muster/accounts/client';
import { AccountTransport, ImClient } from '@muster/im/client';
import { startTestServer, waitUntil } from '../testing/index.ts';
import { imPeople } from './testing/people.ts';

const transports: [string, AccountSocketFactory, string][] = [
  ['socket.io /account', io as unknown as AccountSocketFactory, '+86139000004'],
  ['longlink', longlink(WebSocket as unknown as WebSocketConstructor), '+86139000014'],
];

describe.each(transports)('the IM client SDK against a server, over %s', (_name, connect, phones) => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  const { accountClient, onClose, closeAll } = imPeople(() => server);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(closeAll);

  it('chats both ways with a read receipt, and a dropped connection catches up', async () => {
    const annAccounts = await accountClient(`${phones}01`, 'Ann');
    const benAccounts = await accountClient(`${phones}02`, 'Ben');
    const ann = ImClient.connect(annAccounts, connect, { url: server.url });
    onClose(() => ann.close());
    // Ben's socket by hand, as the web client wires it: watchAccount's socket, shared with the IM transport.
    let benSocket: AccountSocketLike | null = null;
    const benTransport = new AccountTransport(benAccounts);
    const stopWatching = watchAccount(benAccounts, connect, {
      url: server.url,
      onSocket: (s) => {
        benSocket = s;
        benTransport.attach(benSocket as unknown as Parameters<typeof benTransport.attach>[0]);
      },
    });
    const ben = new ImClient(benTransport, { me: () => benAccounts.user?.id ?? null });
    onClose(() => ben.close(), stopWatching);
    await Promise.all([ann.start(), ben.start()]);
    await waitUntil(() => benTransport.connected, 10_000, 'Ben connected');

    // Friends first (the contacts routes), then Ann opens the conversation.
    const benId = benAccounts.user!.id;
    const annId = annAccounts.user!.id;
    const request = await ann.transport.request<{ id: string }>('POST', '/contacts/requests', { to: benId, greeting: 'hi, Ann here' });
    await ben.transport.request('POST', `/contacts/requests/${request.id}/accept`);
    const conversation = await ann.conversations.openDirect(benId);
    await ann.conversations.open(conversation.id);

    // Ann → Ben, live, with the unread count; Ben reads, Ann sees "read".
    const incoming = ben.conversations.waitFor('incoming', 10_000);
    const local = ann.conversations.send(conversation.id, '会议改到三点');
    expect(ann.conversations.timeline(conversation.id).messages.at(-1)).toMatchObject({ text: '会议改到三点', state: 'sending' });
    const [message] = await incoming;
    expect(message).toMatchObject({ text: '会议改到三点', senderId: annId, seq: 1 });
    await waitUntil(() => ben.conversations.conversation(conversation.id)?.unread === 1, 5_000, 'Ben’s unread count');
    expect(ben.conversations.totalUnread).toBe(1);
    await waitUntil(() => ann.conversations.timeline(conversation.id).messages.at(-1)?.state === 'sent', 5_000, 'sent');
    await ben.conversations.open(conversation.id);
    await ben.conversations.markRead(conversation.id);
    expect(ben.conversations.totalUnread).toBe(0);
    await waitUntil(() => ann.conversations.timeline(conversation.id).messages.find((m) => m.key === local.key)?.state === 'read', 5_000, 'the read receipt');

    // Ben → Ann.
    const reply = ann.conversations.waitFor('incoming', 10_000);
    ben.conversations.send(conversation.id, 'ok, 3 pm');
    expect((await reply)[0]).toMatchObject({ text: 'ok, 3 pm', senderId: benId, seq: 2 });
    expect(ann.conversations.timeline(conversation.id).messages.map((m) => m.text)).toEqual(['会议改到三点', 'ok, 3 pm']);

    // Ben's connection drops; Ann sends 30 messages meanwhile; Ben reconnects and catches up.
    benSocket!.disconnect();
    await waitUntil(() => !benTransport.connected, 5_000, 'Ben disconnected');
    for (let i = 0; i < 30; i++) await ann.transport.request('POST', `/conversations/${conversation.id}/messages`, { clientMsgId: `ann-away-${String(i).padStart(4, '0')}`, type: 'text', text: `while away ${i}` });
    expect(ben.conversations.timeline(conversation.id).messages).toHaveLength(2);
    // …and edits her first message: the catch-up (GET /sync from Ben's token) brings the change too.
    const first = ann.conversations.timeline(conversation.id).messages[0]!;
    await ann.conversations.edit(conversation.id, first.id, '会议改到四点');
    const synced = ben.conversations.waitFor('synced', 10_000);
    benSocket!.connect();
    await synced;
    const seqs = ben.conversations.timeline(conversation.id).messages.map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(ben.conversations.timeline(conversation.id).messages.at(-1)!.text).toBe('while away 29');
    expect(ben.conversations.conversation(conversation.id)!.unread).toBe(30);
    expect(ben.conversations.list[0]!.lastMessage?.text).toBe('while away 29');
    expect(ben.conversations.timeline(conversation.id).messages[0]).toMatchObject({ text: '会议改到四点', editedAt: expect.any(Number) });
    expect(ann.conversations.timeline(conversation.id).messages[0]).toMatchObject({ text: '会议改到四点', editedAt: expect.any(Number), state: 'read' });

    // A send while the socket is down goes over REST.
    benSocket!.disconnect();
    ben.conversations.send(conversation.id, 'sent over REST');
    await waitUntil(() => ben.conversations.timeline(conversation.id).messages.at(-1)?.state === 'sent', 5_000, 'sent without a socket');
    expect(ben.conversations.timeline(conversation.id).messages.at(-1)!.seq).toBe(33);
  });
});
