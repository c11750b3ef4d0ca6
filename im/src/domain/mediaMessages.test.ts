/**
 * Images, videos, voice messages and files in chat, through the files port:
 * only the sender's own finished upload is sent, its bytes decide what it may
 * be sent as, a voice message is at most 60 s, members (and only members)
 * read the file through the message, a forward re-uses the stored file, a
 * recall takes the file away, and retention shows as "expired".
 */
import { describe, expect, it } from 'vitest';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { imErrorCode, openImTestWorld, TestChatFiles } from '../testing/index.ts';

describe.each(await testEngines('the PostgreSQL media-message tests (im/src/domain/mediaMessages.test.ts)'))('media messages (%s)', (engine) => {
  const testDb = useTestDatabase(engine);
  const setup = async () => {
    const world = await openImTestWorld(await testDb.open());
    const files = new TestChatFiles();
    files.readers = (fileId, accountId) => world.im.readsFile(fileId, accountId);
    world.im.useFiles(files);
    const [ann, ben, eve] = [await world.person('Ann'), await world.person('Ben'), await world.person('Eve')];
    await world.befriend(ann, ben);
    await world.befriend(ann, eve);
    const c = await world.conversations.openDirect(ann, ben.accountId);
    return { ...world, files, ann, ben, eve, c };
  };

  it('sends an image as a message carrying the file; members read it through the message, others do not', async () => {
    const { conversations, im, files, ann, ben, eve, c, deliveries } = await setup();
    const photo = files.add(ann.accountId, { kind: 'image', mime: 'image/jpeg', name: '地图.jpg', width: 1200, height: 800, thumbnail: true });
    expect(await im.readsFile(photo.id, ben.accountId)).toBe(false);
    const sent = await conversations.send(ann, c.id, { clientMsgId: 'img-000001', type: 'image', fileId: photo.id });
    const [message] = await conversations.messages(ben, c.id, {});
    expect(message).toMatchObject({ id: sent.id, type: 'image', file: { id: photo.id, name: '地图.jpg', kind: 'image', width: 1200, thumbnail: true } });
    expect(message!.text).toBeUndefined();
    expect(deliveries.at(-1)).toMatchObject({ event: 'im.message', payload: { type: 'image', file: { id: photo.id } } });
    expect(files.references.at(-1)).toEqual({ fileIds: [photo.id], at: sent.sentAt });
    expect(await im.readsFile(photo.id, ben.accountId)).toBe(true);
    expect(await im.readsFile(photo.id, eve.accountId)).toBe(false);
    // The conversation list shows it as the last message.
    expect((await conversations.list(ben))[0]!.lastMessage).toMatchObject({ type: 'image', file: { id: photo.id } });
    // A retry is the same message, and no second reference.
    expect(await conversations.send(ann, c.id, { clientMsgId: 'img-000001', type: 'image', fileId: photo.id })).toEqual({ ...sent, duplicate: true });
    expect(files.references).toHaveLength(1);
  });

  it("only one's own upload is sent; the file's kind decides the type; voice is at most 60 s", async () => {
    const { conversations, files, ann, ben, c } = await setup();
    const bens = files.add(ben.accountId, { kind: 'image' });
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'x-00000001', type: 'image', fileId: bens.id }))).toBe('NOT_FOUND');
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'x-00000002', type: 'file', fileId: 'fl0000000000009999' }))).toBe('NOT_FOUND');
    const exe = files.add(ann.accountId, { kind: 'other', name: 'photo.jpg', mime: 'application/x-msdownload' });
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'x-00000003', type: 'image', fileId: exe.id }))).toBe('WRONG_FILE_KIND');
    expect(await conversations.send(ann, c.id, { clientMsgId: 'x-00000004', type: 'file', fileId: exe.id })).toMatchObject({ seq: 1 });
    const clip = files.add(ann.accountId, { kind: 'video', durationMs: 5_000 });
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'x-00000005', type: 'voice', fileId: clip.id }))).toBe('WRONG_FILE_KIND');
    expect(await conversations.send(ann, c.id, { clientMsgId: 'x-00000006', type: 'video', fileId: clip.id })).toMatchObject({ seq: 2 });
    const long = files.add(ann.accountId, { kind: 'audio', durationMs: 60_400 });
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'x-00000007', type: 'voice', fileId: long.id }))).toBe('VOICE_TOO_LONG');
    const unmeasured = files.add(ann.accountId, { kind: 'audio' });
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'x-00000008', type: 'voice', fileId: unmeasured.id }))).toBe('VOICE_TOO_LONG');
    const voice = files.add(ann.accountId, { kind: 'audio', durationMs: 60_000, waveform: [0, 50, 100] });
    await conversations.send(ann, c.id, { clientMsgId: 'x-00000009', type: 'voice', fileId: voice.id });
    const page = await conversations.messages(ben, c.id, {});
    expect(page.map((m) => m.type)).toEqual(['file', 'video', 'voice']);
    expect(page[2]!.file).toMatchObject({ durationMs: 60_000, waveform: [0, 50, 100] });
  });

  it('a forward re-uses the stored file (a new reference, not a copy); a recall takes the file away from readers', async () => {
    const { conversations, im, files, ann, ben, eve, c } = await setup();
    const doc = files.add(ann.accountId, { kind: 'other', name: '方案.pdf', mime: 'application/pdf' });
    const sent = await conversations.send(ann, c.id, { clientMsgId: 'doc-000001', type: 'file', fileId: doc.id });
    const toEve = await conversations.openDirect(ann, eve.accountId);
    const { results } = await conversations.forward(ann, { clientMsgId: 'fwd-000001', from: c.id, messageIds: [sent.id], to: [toEve.id], mode: 'single' });
    expect(results[0]!.sent).toHaveLength(1);
    const [atEve] = await conversations.messages(eve, toEve.id, {});
    expect(atEve).toMatchObject({ type: 'file', file: { id: doc.id, name: '方案.pdf' } });
    expect(await im.readsFile(doc.id, eve.accountId)).toBe(true);
    expect(files.references.map((r) => r.fileIds)).toEqual([[doc.id], [doc.id]]);
    // Ann recalls the original: Ben reads it no more; Eve still does through the forward.
    await conversations.recall(ann, c.id, sent.id);
    expect(await im.readsFile(doc.id, ben.accountId)).toBe(false);
    expect(await im.readsFile(doc.id, eve.accountId)).toBe(true);
    const [recalled] = await conversations.messages(ben, c.id, {});
    expect(recalled!.file).toBeUndefined();
  });

  it('an expired file shows as expired, and is neither sent nor forwarded again', async () => {
    const { conversations, files, ann, ben, eve, c } = await setup();
    const photo = files.add(ann.accountId, { kind: 'image', thumbnail: true });
    const sent = await conversations.send(ann, c.id, { clientMsgId: 'old-000001', type: 'image', fileId: photo.id });
    files.expire(photo.id);
    expect((await conversations.messages(ben, c.id, {}))[0]!.file).toMatchObject({ id: photo.id, expired: true, thumbnail: false });
    expect(await imErrorCode(conversations.send(ann, c.id, { clientMsgId: 'old-000002', type: 'image', fileId: photo.id }))).toBe('FILE_EXPIRED');
    const toEve = await conversations.openDirect(ann, eve.accountId);
    expect(await imErrorCode(conversations.forward(ann, { clientMsgId: 'fwd-000002', from: c.id, messageIds: [sent.id], to: [toEve.id], mode: 'single' }))).toBe('FILE_EXPIRED');
    expect(await conversations.messages(eve, toEve.id, {})).toEqual([]);
  });

  it("search finds a file by its name, not a photo's", async () => {
    const { conversations, im, files, ann, ben, c } = await setup();
    const doc = files.add(ann.accountId, { kind: 'other', name: '作战方案.docx' });
    const photo = files.add(ann.accountId, { kind: 'image', name: '作战照片.jpg' });
    await conversations.send(ann, c.id, { clientMsgId: 'srch-00001', type: 'file', fileId: doc.id });
    await conversations.send(ann, c.id, { clientMsgId: 'srch-00002', type: 'image', fileId: photo.id });
    await waitUntil(async () => (await im.search.search(ben, { q: '作战' })).results.length > 0, 10_000, 'the file indexed');
    expect((await im.search.search(ben, { q: '作战' })).results.map((r) => r.seq)).toEqual([1]);
  });
});
