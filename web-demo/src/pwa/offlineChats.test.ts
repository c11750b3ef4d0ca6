import { signal, type Signal } from '@preact/signals';
import { Emitter } from '@muster/kit/emitter';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ConversationState, ImClient, Timeline } from '@muster/im/client';
import { cachedTimeline, emptySnapshot, type OfflineChats, isSnapshot, KEEP_MESSAGES, KEEP_TIMELINES, keptList, keptMessages, startOfflineChats, withList, withTimeline } from './offlineChats.ts';

const message = (seq: number, extra: Partial<ChatMessage> = {}): ChatMessage => ({ key: `k${seq}`, id: `m${seq}`, seq, mine: false, text: `message ${seq}` }) as unknown as ChatMessage & typeof extra;
const conversation = (id: string, extra: Partial<ConversationState> = {}): ConversationState => ({ id, kind: 'direct', updatedAt: 1, ...extra }) as unknown as ConversationState;

describe('what the device keeps', () => {
  it('the newest 50 stored messages, never sends in flight or failed', () => {
    const messages = Array.from({ length: 70 }, (_, i) => message(i + 1));
    const pending = { ...message(0), seq: 0, state: 'sending' } as ChatMessage;
    const failed = { ...message(0), seq: 0, state: 'failed' } as ChatMessage;
    const kept = keptMessages([...messages, pending, failed]);
    expect(kept).toHaveLength(KEEP_MESSAGES);
    expect(kept[0]!.seq).toBe(21);
    expect(kept.at(-1)!.seq).toBe(70);
  });

  it('the list without live-only state', () => {
    const [kept] = keptList([conversation('c1', { typingUntil: 5, readers: { u: 3 }, unread: 2 } as Partial<ConversationState>)]);
    expect(kept).not.toHaveProperty('typingUntil');
    expect(kept).not.toHaveProperty('readers');
    expect(kept).toMatchObject({ id: 'c1', unread: 2 });
  });

  it('the 20 conversations saved most recently, the newest first', () => {
    let snap = emptySnapshot('u1');
    for (let i = 0; i < KEEP_TIMELINES + 5; i++) snap = withTimeline(snap, `c${i}`, [message(1)], i);
    expect(snap.recent).toHaveLength(KEEP_TIMELINES);
    expect(snap.recent[0]).toBe(`c${KEEP_TIMELINES + 4}`);
    expect(Object.keys(snap.timelines)).toHaveLength(KEEP_TIMELINES);
    expect(snap.timelines.c0).toBeUndefined();
    // Saved again: first again, not twice.
    snap = withTimeline(snap, 'c10', [message(1), message(2)], 99);
    expect(snap.recent[0]).toBe('c10');
    expect(snap.recent.filter((id) => id === 'c10')).toHaveLength(1);
    expect(snap.timelines.c10).toHaveLength(2);
    // Nothing stored: nothing changes.
    expect(withTimeline(snap, 'c99', [], 100)).toBe(snap);
  });

  it('shows a kept timeline with nothing older to load', () => {
    expect(cachedTimeline([message(5), message(6)])).toMatchObject({ oldestSeq: 5, newestSeq: 6, hasOlder: false, loading: false });
    expect(isSnapshot(withList(emptySnapshot('u1'), [conversation('c1')], 1), 'u1')).toBe(true);
    expect(isSnapshot(emptySnapshot('u1'), 'u2')).toBe(false);
    expect(isSnapshot(null, 'u1')).toBe(false);
  });
});

describe('the wiring', () => {
  function harness(kept: OfflineChats | null) {
    const online = signal(true);
    const chatList = signal<readonly ConversationState[]>([]);
    const chatsLoaded = signal(false);
    const active = signal<string | null>(null);
    const timelines = new Map<string, Signal<Timeline>>();
    const timelineOf = (id: string) => {
      let s = timelines.get(id);
      if (!s) timelines.set(id, (s = signal<Timeline>({ messages: [], oldestSeq: 1, newestSeq: 0, hasOlder: false, loading: false })));
      return s;
    };
    // The IM client's conversation store, as far as the wiring listens to it.
    const storeTimelines = new Map<string, ChatMessage[]>();
    class FakeStore extends Emitter<{ list: []; timeline: [string] }> {
      loaded = false;
      list: ConversationState[] = [];
      timeline(id: string): Timeline {
        return cachedTimeline(storeTimelines.get(id) ?? []);
      }
      fire(event: 'list' | 'timeline', id = ''): void {
        if (event === 'list') this.emit('list');
        else this.emit('timeline', id);
      }
    }
    const store = new FakeStore();
    const client = signal({ conversations: store } as unknown as ImClient);
    const written: OfflineChats[] = [];
    const stop = startOfflineChats({
      online,
      userId: signal('u1'),
      client,
      chatList,
      chatsLoaded,
      activeConversation: active,
      timelineOf,
      saveDelayMs: 0,
      storage: { read: async () => kept, write: async (s) => void written.push(s) },
    });
    return { online, chatList, chatsLoaded, active, timelineOf, store, storeTimelines, written, stop };
  }
  const settle = () => new Promise((r) => setTimeout(r, 5));

  it('shows the kept list and the open conversation only while offline and before the list loads', async () => {
    const kept = withTimeline(withList(emptySnapshot('u1'), [conversation('c1'), conversation('c2')], 1), 'c1', [message(1), message(2)], 1);
    const h = harness(kept);
    await settle();
    expect(h.chatList.value).toEqual([]);
    h.online.value = false;
    expect(h.chatList.value.map((c) => c.id)).toEqual(['c1', 'c2']);
    // The Chats tab resets the list to the (empty) store's: the kept one comes back.
    h.chatList.value = [];
    expect(h.chatList.value).toHaveLength(2);
    h.active.value = 'c1';
    expect(h.timelineOf('c1').value.messages.map((m) => m.seq)).toEqual([1, 2]);
    // The store's empty timeline lands (a failed open): the kept one again.
    h.timelineOf('c1').value = { messages: [], oldestSeq: 1, newestSeq: 0, hasOlder: false, loading: false };
    expect(h.timelineOf('c1').value.messages).toHaveLength(2);
    h.chatsLoaded.value = true;
    h.chatList.value = [];
    expect(h.chatList.value).toEqual([]);
    h.stop();
  });

  it('saves what the store says once loaded, never what is shown', async () => {
    const h = harness(null);
    await settle();
    h.store.list = [conversation('c9')];
    h.store.fire('list');
    await settle();
    // Not loaded yet: no list saved.
    expect(h.written).toHaveLength(0);
    h.store.loaded = true;
    h.store.fire('list');
    h.storeTimelines.set('c9', [message(7)]);
    h.store.fire('timeline', 'c9');
    await settle();
    const last = h.written.at(-1)!;
    expect(last.list.map((c) => c.id)).toEqual(['c9']);
    expect(last.timelines.c9!.map((m) => m.seq)).toEqual([7]);
    h.stop();
  });
});
