/**
 * Media messages from the SDK's side: shown at once while the upload runs
 * (with the local preview), sent with `{ clientMsgId, type, fileId }` when
 * the upload names the file, the live echo matched by client id (the key
 * and the preview stay), a cancelled upload drops the message, a failed
 * upload fails it, and a refusal (VOICE_TOO_LONG) fails it with its code.
 */
import { describe, expect, it } from 'vitest';
import type { ConversationView, FileView, MessageView } from '../protocol.ts';
import { ConversationStore } from './conversations.ts';
import { FakeTransport, flush } from './fakeTransport.ts';
import { ImClientError } from './transport.ts';

const ME = 'usMe00000001';
const CV = 'cvMedia00001';

function setup(refuse?: string) {
  const t = new FakeTransport();
  const view: ConversationView = {
    id: CV,
    kind: 'direct',
    peer: { id: 'usAnn0000001', nickname: 'Ann', avatar: null, musterId: null },
    name: null,
    lastSeq: 0,
    readSeq: 0,
    unread: 0,
    lastMessage: null,
    updatedAt: 1,
  } as ConversationView;
  const bodies: unknown[] = [];
  let seq = 0;
  t.route('GET', '/conversations', () => [view]);
  t.route('GET', '/conversations/:id/messages', () => []);
  t.route('POST', '/conversations/:id/messages', ({ body }) => {
    bodies.push(body);
    if (refuse) throw new ImClientError(refuse, 'refused', 400);
    seq++;
    return { id: `msgMedia${String(seq).padStart(5, '0')}`, seq, sentAt: 5000 + seq };
  });
  let n = 0;
  const store = new ConversationStore(t, { me: ME, newClientMsgId: () => `client-${String(++n).padStart(6, '0')}` });
  store.start();
  return { t, store, bodies };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

const serverFile: FileView = { id: 'flPhoto0000000000001', name: 'cat.jpg', size: 1234, mime: 'image/jpeg', kind: 'image', width: 800, height: 600, thumbnail: true };

describe('sendMedia', () => {
  it('shows the message at once with its preview, sends it when the upload names the file, and keeps its key through the echo', async () => {
    const { t, store, bodies } = setup();
    await store.refresh();
    await store.open(CV);
    const upload = deferred<string>();
    const local = store.sendMedia(CV, { type: 'image', fileId: upload.promise, file: { name: 'cat.jpg', size: 1234, mime: 'image/jpeg', width: 800, height: 600 }, local: { previewUrl: 'blob:x', uploadId: 'up1' } });
    let [m] = store.timeline(CV).messages;
    expect(m).toMatchObject({ key: local.key, type: 'image', state: 'sending', local: { previewUrl: 'blob:x', uploadId: 'up1' }, file: { id: '', name: 'cat.jpg', kind: 'image', width: 800 } });
    expect(store.conversation(CV)?.lastMessage).toMatchObject({ type: 'image' });
    await flush();
    expect(bodies).toEqual([]);

    upload.resolve(serverFile.id);
    await flush();
    expect(bodies).toEqual([{ clientMsgId: 'client-000001', type: 'image', fileId: serverFile.id }]);
    [m] = store.timeline(CV).messages;
    expect(m).toMatchObject({ key: local.key, state: 'sent', seq: 1, file: { id: serverFile.id } });

    // The echo brings the server's view of the file; the key and the local preview stay.
    const echo: MessageView = { id: 'msgMedia00001', conversationId: CV, seq: 1, senderId: ME, clientMsgId: 'client-000001', type: 'image', file: serverFile, sentAt: 5001 };
    t.fire('im.message', echo);
    [m] = store.timeline(CV).messages;
    expect(m).toMatchObject({ key: local.key, file: { thumbnail: true, mime: 'image/jpeg' }, local: { previewUrl: 'blob:x' } });
    expect(store.timeline(CV).messages).toHaveLength(1);
  });

  it('matches an echo that comes before the acknowledgement by client id', async () => {
    const { t, store } = setup();
    await store.refresh();
    await store.open(CV);
    const hold = t.hold('POST /conversations/cvMedia00001/messages');
    const local = store.sendMedia(CV, { type: 'voice', fileId: 'flVoice0000000000001', file: { durationMs: 3200, waveform: [1, 50, 100] } });
    await flush();
    t.fire('im.message', { id: 'msgMedia00001', conversationId: CV, seq: 1, senderId: ME, clientMsgId: 'client-000001', type: 'voice', file: { ...serverFile, id: 'flVoice0000000000001', kind: 'audio', mime: 'audio/webm', durationMs: 3200 }, sentAt: 5001 });
    hold();
    await flush();
    const messages = store.timeline(CV).messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ key: local.key, state: 'sent', type: 'voice', file: { durationMs: 3200, kind: 'audio' } });
  });

  it('drops the message when its upload is cancelled, and fails it when the upload fails', async () => {
    const { store, bodies } = setup();
    await store.refresh();
    await store.open(CV);
    const cancelled = deferred<string>();
    const failed = deferred<string>();
    store.sendMedia(CV, { type: 'video', fileId: cancelled.promise });
    const second = store.sendMedia(CV, { type: 'file', fileId: failed.promise, file: { name: 'a.zip' } });
    expect(store.timeline(CV).messages).toHaveLength(2);
    cancelled.reject(Object.assign(new Error('cancelled'), { code: 'CANCELLED' }));
    failed.reject(Object.assign(new Error('too big'), { code: 'PAYLOAD_TOO_LARGE' }));
    await flush();
    const messages = store.timeline(CV).messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ key: second.key, state: 'failed', error: { code: 'PAYLOAD_TOO_LARGE' } });
    // Retry cannot send a file that never arrived; discarding it works.
    await store.retry(CV, second.key);
    expect(store.timeline(CV).messages[0]!.state).toBe('failed');
    store.cancelPending(CV, second.key);
    expect(store.timeline(CV).messages).toHaveLength(0);
    expect(bodies).toEqual([]);
  });

  it('fails with the server\'s refusal (a voice message over 60 s)', async () => {
    const { store } = setup('VOICE_TOO_LONG');
    await store.refresh();
    await store.open(CV);
    const failures: string[] = [];
    store.on('sendFailed', (_m, e) => failures.push(e.code));
    store.sendMedia(CV, { type: 'voice', fileId: 'flVoice0000000000002' });
    await flush();
    expect(store.timeline(CV).messages[0]).toMatchObject({ state: 'failed', error: { code: 'VOICE_TOO_LONG' } });
    expect(failures).toEqual(['VOICE_TOO_LONG']);
  });
});
