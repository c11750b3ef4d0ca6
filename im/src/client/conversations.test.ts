import { describe, expect, it } from 'vitest';
import type { ConversationView, MessageView } from '../protocol.ts';
import { ConversationStore } from './conversations.ts';
import { FakeTransport, flush } from './fakeTransport.ts';
import { ImClientError } from './transport.ts';

const ME = 'user-me-0001';
const ANN = 'user-ann-001';

/** A tiny server: conversations with their messages, answering the REST routes the store uses. */
function world() {
  const t = new FakeTransport();
  const convs = new Map<string, { view: ConversationView; messages: MessageView[] }>();
  const sentIds = new Map<string, MessageView>();
  let n = 0;
  const add = (id: string, over: Partial<ConversationView> = {}, count = 0, from = ANN) => {
    const messages: MessageView[] = [];
    for (let seq = 1; seq <= count; seq++) messages.push(msg(id, seq, from, `m${seq}`));
    const view: ConversationView = {
      id,
      kind: 'direct',
      peer: { id: ANN, nickname: 'Ann', avatar: null, musterId: null },
      name: null,
      lastSeq: count,
      readSeq: 0,
      unread: count,
      lastMessage: messages.at(-1) ?? null,
      updatedAt: 1000 + count,
      ...over,
    } as ConversationView;
    convs.set(id, { view, messages });
    return convs.get(id)!;
  };
  const append = (id: string, from: string, text: string, clientMsgId?: string) => {
    const c = convs.get(id)!;
    const m = msg(id, c.messages.length + 1, from, text, clientMsgId);
    c.messages.push(m);
    c.view = { ...c.view, lastSeq: m.seq, lastMessage: m, updatedAt: m.sentAt };
    return m;
  };
  t.route('GET', '/conversations', () => [...convs.values()].map((c) => ({ ...c.view, unread: c.view.lastSeq - c.view.readSeq })));
  t.route('GET', '/conversations/:id/messages', ({ params, query }) => {
    const c = convs.get(params[0]!);
    if (!c) throw new ImClientError('NOT_FOUND', 'no such conversation', 404);
    const after = query.get('afterSeq');
    const before = query.get('beforeSeq');
    const limit = Number(query.get('limit') ?? 50);
    let list = c.messages.filter((m) => (after === null || m.seq > Number(after)) && (before === null || m.seq < Number(before)));
    list = after === null ? list.slice(-limit) : list.slice(0, limit);
    return list;
  });
  t.route('POST', '/conversations/:id/messages', ({ params, body }) => {
    const b = body as { clientMsgId: string; text: string };
    const known = sentIds.get(b.clientMsgId);
    if (known) return { id: known.id, seq: known.seq, sentAt: known.sentAt };
    const m = append(params[0]!, ME, b.text, b.clientMsgId);
    sentIds.set(b.clientMsgId, m);
    n++;
    return { id: m.id, seq: m.seq, sentAt: m.sentAt };
  });
  t.route('POST', '/conversations/:id/read', ({ params, body }) => {
    const c = convs.get(params[0]!)!;
    c.view = { ...c.view, readSeq: Math.max(c.view.readSeq, (body as { seq: number }).seq) };
    return { readSeq: c.view.readSeq, unread: c.view.lastSeq - c.view.readSeq };
  });
  let id = 0;
  const store = new ConversationStore(t, { me: ME, pageSize: 20, newClientMsgId: () => `client-${String(++id).padStart(6, '0')}`, typingMs: 50 });
  store.start();
  return { t, store, add, append, convs, stored: () => n };
}

/** A stored message as the server shows it; `clientMsgId` as its sender's client chose it (the server names it in every view). */
function msg(conversationId: string, seq: number, senderId: string, text: string, clientMsgId?: string): MessageView {
  return { id: `msg${conversationId}${String(seq).padStart(5, '0')}`, conversationId, seq, senderId, ...(clientMsgId ? { clientMsgId } : {}), type: 'text', text, sentAt: 10_000 + seq };
}

describe('ConversationStore', () => {
  it('lists conversations pinned first, then the most recent, with the total unread of unmuted ones', async () => {
    const w = world();
    w.add('cvold0000001', { updatedAt: 1 }, 2);
    w.add('cvnew0000001', { updatedAt: 50 }, 3);
    w.add('cvpin0000001', { updatedAt: 0, pinned: true }, 1);
    w.add('cvmuted00001', { updatedAt: 100, muted: true }, 7);
    w.add('cvhidden0001', { updatedAt: 100, hidden: true }, 0);
    await w.store.refresh();
    expect(w.store.list.map((c) => c.id)).toEqual(['cvpin0000001', 'cvmuted00001', 'cvnew0000001', 'cvold0000001']);
    expect(w.store.totalUnread).toBe(2 + 3 + 1);
  });

  it('shows a sent message at once, then sent with its seq; a live echo before the answer does not double it', async () => {
    const w = world();
    w.add('cvchat000001', {}, 2);
    await w.store.refresh();
    await w.store.open('cvchat000001');
    const release = w.t.hold('POST /conversations/cvchat000001/messages');
    let echo!: MessageView;
    // The server stores it once: the answer names the message the live event carried.
    w.t.route('POST', '/conversations/:id/messages', () => ({ id: echo.id, seq: echo.seq, sentAt: echo.sentAt }));
    const local = w.store.send('cvchat000001', 'hello');
    let tl = w.store.timeline('cvchat000001');
    expect(tl.messages.map((m) => [m.text, m.state])).toEqual([['m1', undefined], ['m2', undefined], ['hello', 'sending']]);
    expect(w.store.list[0]!.lastMessage?.text).toBe('hello');
    // The live event of my own message arrives before the acknowledgement.
    echo = w.append('cvchat000001', ME, 'hello', local.clientMsgId);
    w.t.fire('im.message', echo);
    tl = w.store.timeline('cvchat000001');
    expect(tl.messages.map((m) => m.text)).toEqual(['m1', 'm2', 'hello']);
    expect(tl.messages.at(-1)!.key).toBe(local.key);
    release();
    await flush();
    tl = w.store.timeline('cvchat000001');
    expect(tl.messages.map((m) => [m.text, m.seq])).toEqual([['m1', 1], ['m2', 2], ['hello', 3]]);
    expect(tl.messages.find((m) => m.key === local.key)!.state).toBe('sent');
  });

  it('matches the live echo of my own send by its client id: the same words twice, or from my other device, take over nothing else', async () => {
    const w = world();
    w.add('cvchat000011', {}, 0);
    await w.store.refresh();
    await w.store.open('cvchat000011');
    const release = w.t.hold('POST /conversations/cvchat000011/messages');
    const first = w.store.send('cvchat000011', 'ok');
    const second = w.store.send('cvchat000011', 'ok');
    // My phone says "ok" too: its echo names a client id this device never used.
    w.t.fire('im.message', w.append('cvchat000011', ME, 'ok', 'phone-000001'));
    // The second send's echo overtakes the first's.
    const secondEcho = w.append('cvchat000011', ME, 'ok', second.clientMsgId);
    w.t.fire('im.message', secondEcho);
    let tl = w.store.timeline('cvchat000011');
    expect(tl.messages.map((m) => [m.key, m.seq, m.state])).toEqual([
      [expect.not.stringMatching(/^local:/), 1, 'sent'],
      [second.key, 2, 'sent'],
      [first.key, 0, 'sending'],
    ]);
    // Both answers are lost, yet the server stored both: the second, whose echo came, has not failed; the first has, until its echo settles it.
    const failures: string[] = [];
    w.store.on('sendFailed', (m) => failures.push(m.key));
    w.t.route('POST', '/conversations/:id/messages', () => {
      throw new ImClientError('NETWORK', 'no answer');
    });
    release();
    await flush();
    expect(failures).toEqual([first.key]);
    expect(w.store.timeline('cvchat000011').messages.find((m) => m.key === first.key)?.state).toBe('failed');
    w.t.fire('im.message', w.append('cvchat000011', ME, 'ok', first.clientMsgId));
    tl = w.store.timeline('cvchat000011');
    expect(tl.messages.map((m) => [m.key, m.seq, m.state, m.clientMsgId])).toEqual([
      [expect.not.stringMatching(/^local:/), 1, 'sent', 'phone-000001'],
      [second.key, 2, 'sent', second.clientMsgId],
      [first.key, 3, 'sent', first.clientMsgId],
    ]);
  });

  it('without a client id in the echo (an older server), matches my first sending message with the same words', async () => {
    const w = world();
    w.add('cvchat000012', {}, 0);
    await w.store.refresh();
    await w.store.open('cvchat000012');
    const release = w.t.hold('POST /conversations/cvchat000012/messages');
    const local = w.store.send('cvchat000012', 'hi');
    w.t.fire('im.message', w.append('cvchat000012', ME, 'hi'));
    expect(w.store.timeline('cvchat000012').messages.map((m) => [m.key, m.seq, m.state])).toEqual([[local.key, 1, 'sent']]);
    release();
  });

  it('marks a refused send failed and retries it under the same client id', async () => {
    const w = world();
    w.add('cvchat000002', {}, 0);
    await w.store.refresh();
    await w.store.open('cvchat000002');
    let fail = true;
    w.t.route('POST', '/conversations/:id/messages', ({ body }) => {
      if (fail) throw new ImClientError('NETWORK', 'offline');
      return { id: 'msgcvchat00000200001', seq: 1, sentAt: 20_000, clientMsgId: (body as { clientMsgId: string }).clientMsgId };
    });
    const failures: string[] = [];
    w.store.on('sendFailed', (m, e) => failures.push(`${m.text}:${e.code}`));
    const local = w.store.send('cvchat000002', 'are you there');
    await flush();
    expect(w.store.timeline('cvchat000002').messages.map((m) => [m.text, m.state, m.error?.code])).toEqual([['are you there', 'failed', 'NETWORK']]);
    expect(failures).toEqual(['are you there:NETWORK']);
    fail = false;
    await w.store.retry('cvchat000002', local.key);
    const posts = w.t.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages')).map((c) => (c.body as { clientMsgId: string }).clientMsgId);
    expect(posts).toEqual([local.clientMsgId, local.clientMsgId]);
    expect(w.store.timeline('cvchat000002').messages.map((m) => [m.text, m.state, m.seq])).toEqual([['are you there', 'sent', 1]]);
  });

  it('applies live messages: unread grows, "incoming" fires once, a gap is filled from the server', async () => {
    const w = world();
    w.add('cvchat000003', {}, 3);
    await w.store.refresh();
    await w.store.open('cvchat000003');
    const incoming: string[] = [];
    w.store.on('incoming', (m) => incoming.push(m.text!));
    const m4 = w.append('cvchat000003', ANN, 'four');
    w.t.fire('im.message', m4);
    w.t.fire('im.message', m4);
    expect(w.store.conversation('cvchat000003')!.unread).toBe(4);
    expect(incoming).toEqual(['four']);
    // Five and six were missed; seven arrives live: the store fetches after four.
    w.append('cvchat000003', ANN, 'five');
    w.append('cvchat000003', ANN, 'six');
    const m7 = w.append('cvchat000003', ANN, 'seven');
    w.t.fire('im.message', m7);
    await flush();
    expect(w.store.timeline('cvchat000003').messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(w.t.calls.some((c) => c.path.includes('afterSeq=4'))).toBe(true);
    expect(w.store.conversation('cvchat000003')!.unread).toBe(7);
    await w.store.markRead('cvchat000003');
    expect(w.store.conversation('cvchat000003')!.unread).toBe(0);
    expect(w.store.totalUnread).toBe(0);
    expect(w.convs.get('cvchat000003')!.view.readSeq).toBe(7);
  });

  it('pages back through history and says when the start is reached', async () => {
    const w = world();
    w.add('cvlong000001', {}, 45);
    await w.store.refresh();
    let tl = await w.store.open('cvlong000001');
    expect(tl.messages.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 26 + i));
    expect(tl.hasOlder).toBe(true);
    expect(await w.store.loadOlder('cvlong000001')).toBe(true);
    expect(await w.store.loadOlder('cvlong000001')).toBe(false);
    tl = w.store.timeline('cvlong000001');
    expect(tl.messages.map((m) => m.seq)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    expect(tl.hasOlder).toBe(false);
  });

  it('catches up after a reconnection: the list, then each opened conversation from its newest seq, newest first', async () => {
    const w = world();
    w.add('cvaaaa000001', { updatedAt: 5 }, 2);
    w.add('cvbbbb000001', { updatedAt: 6 }, 2);
    await w.store.refresh();
    await w.store.open('cvaaaa000001');
    await w.store.open('cvbbbb000001');
    // While away: 250 messages in A (more than one catch-up page), 1 in B, and a new conversation C.
    for (let i = 0; i < 250; i++) w.append('cvaaaa000001', ANN, `a${i}`);
    w.append('cvbbbb000001', ANN, 'b');
    w.convs.get('cvbbbb000001')!.view.updatedAt = 999_999;
    w.add('cvcccc000001', { updatedAt: 3 }, 4);
    w.t.calls.length = 0;
    w.t.reconnect();
    await w.store.waitFor('synced');
    const fetches = w.t.calls.filter((c) => c.path.includes('afterSeq')).map((c) => c.path.replace(/limit=\d+/, ''));
    expect(fetches[0]).toContain('cvbbbb000001');
    expect(w.store.timeline('cvaaaa000001').messages.map((m) => m.seq)).toEqual(Array.from({ length: 252 }, (_, i) => i + 1));
    expect(w.store.timeline('cvbbbb000001').messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(w.store.list.map((c) => [c.id, c.unread])).toEqual([
      ['cvbbbb000001', 3],
      ['cvaaaa000001', 252],
      ['cvcccc000001', 4],
    ]);
  });

  it('shows "read" once the other person read up to my message, and applies edits, recalls, hides and typing', async () => {
    const w = world();
    w.add('cvchat000004', {}, 1);
    await w.store.refresh();
    await w.store.open('cvchat000004');
    w.store.send('cvchat000004', 'mine one');
    w.store.send('cvchat000004', 'mine two');
    await flush();
    const states = () => w.store.timeline('cvchat000004').messages.map((m) => [m.seq, m.state]);
    expect(states()).toEqual([[1, undefined], [2, 'sent'], [3, 'sent']]);
    w.t.fire('im.read', { conversationId: 'cvchat000004', userId: ANN, readSeq: 2 });
    expect(states()).toEqual([[1, undefined], [2, 'read'], [3, 'sent']]);
    expect(w.store.readCount('cvchat000004', 2)).toBe(1);

    const two = w.store.timeline('cvchat000004').messages[1]!;
    w.t.fire('im.changed', { ...two, text: 'mine one, edited', editedAt: 30_000 });
    expect(w.store.timeline('cvchat000004').messages[1]).toMatchObject({ text: 'mine one, edited', editedAt: 30_000, state: 'read', key: two.key });
    const three = w.store.timeline('cvchat000004').messages[2]!;
    w.t.fire('im.changed', { id: three.id, conversationId: three.conversationId, seq: 3, senderId: ME, type: 'text', sentAt: three.sentAt, recalled: { by: ME, at: 31_000 } });
    expect(w.store.timeline('cvchat000004').messages[2]!.recalled).toEqual({ by: ME, at: 31_000 });
    expect(w.store.timeline('cvchat000004').messages[2]!.text).toBeUndefined();
    expect(w.store.list[0]!.lastMessage?.recalled).toBeTruthy();

    w.t.fire('im.hidden', { conversationId: 'cvchat000004', seqs: [1] });
    expect(w.store.timeline('cvchat000004').messages.map((m) => m.seq)).toEqual([2, 3]);

    w.t.fire('im.typing', { conversationId: 'cvchat000004', userId: ANN });
    expect(w.store.isTyping('cvchat000004')).toBe(true);
    await w.store.waitFor('list', 2_000, () => !w.store.isTyping('cvchat000004'));
    expect(w.store.conversation('cvchat000004')!.typingUntil).toBeUndefined();
  });

  it('follows my other devices: their reads and settings', async () => {
    const w = world();
    w.add('cvchat000005', {}, 5);
    await w.store.refresh();
    w.t.fire('im.read', { conversationId: 'cvchat000005', userId: ME, readSeq: 4 });
    expect(w.store.conversation('cvchat000005')!.unread).toBe(1);
    w.t.fire('im.conversation', { conversationId: 'cvchat000005', settings: { pinned: true, muted: true, hidden: false, markedUnread: false, draft: 'half a thought', updatedAt: 1 } });
    expect(w.store.conversation('cvchat000005')).toMatchObject({ pinned: true, muted: true, draft: 'half a thought', unread: 1 });
    expect(w.store.totalUnread).toBe(0);
  });

  it('changes my settings at once and puts them back when the server refuses; saves drafts', async () => {
    const w = world();
    w.add('cvchat000006', { updatedAt: 1 }, 1);
    w.add('cvchat000007', { updatedAt: 2 }, 1);
    await w.store.refresh();
    let refuse = false;
    w.t.route('PATCH', '/conversations/:id/settings', ({ body }) => {
      if (refuse) throw new ImClientError('NOT_FOUND', 'no such conversation', 404);
      return { pinned: false, muted: false, hidden: false, markedUnread: false, draft: null, updatedAt: 5, ...(body as object) };
    });
    const drafts: unknown[] = [];
    w.t.route('PUT', '/conversations/:id/draft', ({ body }) => (drafts.push(body), {}));
    const pin = w.store.setSettings('cvchat000006', { pinned: true });
    expect(w.store.list.map((c) => c.id)).toEqual(['cvchat000006', 'cvchat000007']);
    await pin;
    refuse = true;
    await expect(w.store.setSettings('cvchat000007', { hidden: true, muted: true })).rejects.toThrow('no such conversation');
    expect(w.store.conversation('cvchat000007')).toMatchObject({ hidden: undefined, muted: undefined });
    expect(w.store.list).toHaveLength(2);
    await w.store.saveDraft('cvchat000007', 'later');
    expect(w.store.conversation('cvchat000007')!.draft).toBe('later');
    expect(drafts).toEqual([{ text: 'later' }]);
  });

  it('catches up through GET /sync where the server has it: new and changed messages, receipts, hides, page by page', async () => {
    const w = world();
    const c = w.add('cvsync000001', {}, 3);
    const views = () => [...w.convs.values()].map((x) => x.view);
    const replies: unknown[] = [];
    w.t.route('GET', '/sync', ({ query }) => {
      const since = query.get('since');
      if (since === null) return { next: 'sy-token-0', full: true, messages: [], receipts: [], conversations: views(), removed: [], hidden: [], more: false };
      replies.push(since);
      if (since === 'sy-token-0') {
        const m4 = w.append('cvsync000001', ANN, 'four');
        return { next: 'sy-token-1', full: false, messages: [{ ...c.messages[0]!, text: 'one, edited', editedAt: 5 }, m4], receipts: [], conversations: views(), removed: [], hidden: [], more: true };
      }
      return { next: 'sy-token-2', full: false, messages: [], receipts: [{ conversationId: 'cvsync000001', userId: ANN, readSeq: 9 }], conversations: [], removed: [], hidden: [{ conversationId: 'cvsync000001', seqs: [2] }], more: false };
    });
    await w.store.refresh();
    await w.store.open('cvsync000001');
    w.t.reconnect();
    await w.store.waitFor('synced');
    expect(replies).toEqual(['sy-token-0', 'sy-token-1']);
    expect(w.store.timeline('cvsync000001').messages.map((m) => [m.seq, m.text])).toEqual([
      [1, 'one, edited'],
      [3, 'm3'],
      [4, 'four'],
    ]);
    expect(w.store.conversation('cvsync000001')).toMatchObject({ lastSeq: 4, unread: 4, peerReadSeq: 9 });
    expect(w.t.calls.some((call) => call.path === '/conversations')).toBe(false);
  });

  it('lists a new group when its live event arrives', async () => {
    const w = world();
    await w.store.refresh();
    w.add('cvgroup00001', { kind: 'group', peer: null, name: 'Lunch' }, 0);
    (w.t as unknown as { fire(e: string, p: unknown): void }).fire('im.group', { change: 'created', group: { id: 'cvgroup00001' } });
    await w.store.waitFor('list', 2_000, () => w.store.list.length === 1);
    expect(w.store.list[0]!.name).toBe('Lunch');
  });
});
