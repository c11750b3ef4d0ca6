/**
 * The channels domain's rules, on both engines: who creates and changes
 * accounts (an elevated admin, the organisation), who publishes (editors),
 * what a document may name (files the publisher may attach, of the right
 * kind), the daily cap, edits and their history, weak reminders (a dot,
 * never a count, never a push or an IM message), subscriptions and the
 * chat-list entry, the moderation flow with its notices (stored and live,
 * to the commenter only), content checks, and who may read a file.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@muster/accounts';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { organisation, person } from './domain/Actor.ts';
import type { ContentCheck } from './domain/ContentCheck.ts';
import { MIN_DAILY_CAP } from './protocol.ts';
import { channelsErrorCode, doc, openChannelsTestWorld } from './testing/index.ts';

const engines = await testEngines('the PostgreSQL channels domain tests (channels/src/Channels.test.ts)');
const unique = (name: string) => `${name} ${crypto.randomBytes(3).toString('hex')}`;

describe.each(engines)('channels (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const setup = async (options: Parameters<typeof openChannelsTestWorld>[1] = {}) => {
    const db = await testDb.open();
    const w = await openChannelsTestWorld(db, options);
    testDb.defer(() => w.im.close());
    testDb.defer(() => w.channels.close());
    const admin = await w.admin();
    const [ed, ann, ben] = [await w.person('Editor'), await w.person('Ann'), await w.person('Ben')];
    const create = async (editors: Principal[] = [ed], extra: Record<string, unknown> = {}) =>
      (await w.channels.serviceAccounts.create(person(admin), { name: unique('Muster News'), description: '每日新闻 daily news', editors: editors.map((e) => e.accountId), ...extra })).id;
    const publish = async (sa: string, title = 'Hello', content: unknown = doc('first words'), by: Principal = ed) => (await w.channels.articles.publish(person(by), sa, { title, content })).id;
    return { ...w, db, admin, ed, ann, ben, create, publish };
  };

  it('lets an elevated admin or the organisation create and change accounts, audited; nobody else', async () => {
    const w = await setup();
    const { channels } = w;
    const input = { name: unique('公司新闻'), editors: [w.ed.accountId] };
    expect(await channelsErrorCode(channels.serviceAccounts.create(person(w.ann), input))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(channels.serviceAccounts.create(person({ ...w.admin, elevatedUntil: undefined }), input))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await channelsErrorCode(channels.serviceAccounts.create(person({ ...w.admin, elevatedUntil: w.t.clock.now() - 1 }), input))).toBe('SECOND_FACTOR_REQUIRED');
    expect(await channelsErrorCode(channels.serviceAccounts.create(person(await w.guest()), input))).toBe('FORBIDDEN');
    const { id } = await channels.serviceAccounts.create(person(w.admin), input);
    expect(await channelsErrorCode(channels.serviceAccounts.create(organisation, { name: input.name.toUpperCase() }))).toBe('NAME_TAKEN');
    const byApi = await channels.serviceAccounts.create(organisation, { name: unique('HR'), kind: 'service', dailyCap: 25 });
    expect(await channels.serviceAccounts.page(organisation, byApi.id)).toMatchObject({ kind: 'service', dailyCap: 25, editors: [], editor: true });
    // Editors are active people, not guests.
    const guest = await w.guest();
    expect(await channelsErrorCode(channels.serviceAccounts.setEditors(organisation, id, [guest.accountId]))).toBe('BAD_REQUEST');
    expect(await channelsErrorCode(channels.serviceAccounts.create(organisation, { name: unique('x'), editors: ['nobody-such-user'] }))).toBe('BAD_REQUEST');

    const page = await channels.serviceAccounts.update(person(w.admin), id, { description: '新的介绍', dailyCap: MIN_DAILY_CAP + 5 });
    expect(page).toMatchObject({ description: '新的介绍', dailyCap: 15, editors: [{ id: w.ed.accountId, nickname: 'Editor' }] });
    expect(await channelsErrorCode(channels.serviceAccounts.update(person(w.ed), id, { description: 'mine now' }))).toBe('FORBIDDEN');
    // An avatar must be an image the admin may use.
    expect(await channelsErrorCode(channels.serviceAccounts.update(person(w.admin), id, { avatarFileId: w.upload(w.ann) }))).toBe('BAD_REQUEST');
    expect(await channelsErrorCode(channels.serviceAccounts.update(person(w.admin), id, { avatarFileId: w.upload(w.admin, 'video') }))).toBe('BAD_REQUEST');
    const avatar = w.upload(w.admin);
    await channels.serviceAccounts.update(person(w.admin), id, { avatarFileId: avatar });
    // Anyone signed in may read a live account's avatar.
    expect(await channels.readsFile(avatar, w.ben.accountId)).toBe(true);

    const editors = await channels.serviceAccounts.setEditors(organisation, id, [w.ann.accountId, w.ben.accountId]);
    expect(editors.map((e) => e.nickname)).toEqual(['Ann', 'Ben']);
    expect(await channels.serviceAccounts.isEditor(person(w.ed), id)).toBe(false);
    // Editors (and admins) see who the editors are; readers do not.
    expect((await channels.serviceAccounts.page(person(w.ed), id)).editors).toBeUndefined();
    expect((await channels.serviceAccounts.page(person(w.admin), id)).editors).toHaveLength(2);

    await channels.serviceAccounts.delete(organisation, id);
    const audited = (await w.db.audit.read({ limit: 1000 })).filter((r) => r.action.startsWith('channels.account.'));
    expect(audited.filter((r) => r.target === id).map((r) => [r.action, r.actor])).toEqual([
      ['channels.account.create', w.admin.accountId],
      ['channels.account.update', w.admin.accountId],
      ['channels.account.update', w.admin.accountId],
      ['channels.account.editors', 'api-token'],
      ['channels.account.delete', 'api-token'],
    ]);
    expect(await channelsErrorCode(channels.serviceAccounts.page(person(w.ann), id))).toBe('NOT_FOUND');
    expect(await channelsErrorCode(channels.serviceAccounts.delete(organisation, id))).toBe('NOT_FOUND');
    expect(await channels.readsFile(avatar, w.ben.accountId)).toBe(false);
  });

  it('lists the directory by name, searched by name, pinyin, initials or description, each saying whether you subscribe', async () => {
    const w = await setup();
    const [news, hr] = [
      (await w.channels.serviceAccounts.create(organisation, { name: '公司新闻', description: 'Company news' })).id,
      (await w.channels.serviceAccounts.create(organisation, { name: 'HR Desk', description: '人事通知 holidays' })).id,
    ];
    await w.channels.subscriptions.subscribe(person(w.ann), hr);
    const names = async (q?: string) => (await w.channels.serviceAccounts.directory(person(w.ann), q)).map((a) => [a.name, a.subscribed]);
    expect(await names()).toEqual([['公司新闻', false], ['HR Desk', true]]);
    expect(await names('gongsi')).toEqual([['公司新闻', false]]);
    expect(await names('gsxw')).toEqual([['公司新闻', false]]);
    expect(await names('HOLIDAYS')).toEqual([['HR Desk', true]]);
    expect(await names('人事')).toEqual([['HR Desk', true]]);
    expect(await names('nothing')).toEqual([]);
    expect((await w.channels.serviceAccounts.directory(organisation, undefined)).map((a) => a.id).sort()).toEqual([news, hr].sort());
  });

  it('publishes for editors only, checking the document and every file it names; the organisation uses its editors’ files', async () => {
    const w = await setup();
    const sa = await w.create([w.ed]);
    expect(await channelsErrorCode(w.publish(sa, 'x', doc('x'), w.ann))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.publish('saAAAAAAAAAAAAAAAAAAAAAA', 'x', doc('x')))).toBe('NOT_FOUND');
    expect(await channelsErrorCode(w.publish(sa, 'x', { type: 'doc', content: [{ type: 'script', text: 'alert(1)' }] }))).toBe('BAD_DOCUMENT');
    expect(await channelsErrorCode(w.publish(sa, 'x', '<p>hello</p>'))).toBe('BAD_DOCUMENT');

    const image = w.upload(w.ed);
    const video = w.upload(w.ed, 'video');
    const voice = w.upload(w.ed, 'audio');
    const annsPrivate = w.upload(w.ann);
    const media = (type: string, fileId: string) => doc('caption', { type, attrs: { fileId } });
    // Another person's upload the editor cannot read; a file of the wrong kind; an expired one; an unknown id.
    for (const [content, reason] of [
      [media('image', annsPrivate), /not a finished upload you may attach/],
      [media('image', video), /is a video, not an image/],
      [media('video', image), /is an image, not a video/],
      [media('audio', image), /not audio/],
      [media('image', 'flZZZZZZZZZZZZZZZZZZZZ'), /not a finished upload/],
    ] as const) {
      await expect(w.publish(sa, 'x', content)).rejects.toMatchObject({ code: 'BAD_DOCUMENT', message: expect.stringMatching(reason) });
    }
    const expired = w.upload(w.ed);
    w.files.expire(expired);
    await expect(w.publish(sa, 'x', media('image', expired))).rejects.toMatchObject({ code: 'BAD_DOCUMENT', message: expect.stringMatching(/expired/) });

    const id = await w.publish(sa, '图文', doc('text', { type: 'image', attrs: { fileId: image, alt: 'chart' } }, { type: 'video', attrs: { fileId: video } }, { type: 'audio', attrs: { fileId: voice } }));
    const read = await w.channels.articles.read(person(w.ben), id);
    expect(read).toMatchObject({ title: '图文', cover: image, edited: false, version: 1, subscribed: false, editor: false, serviceAccount: { id: sa } });
    expect(read.files.map((f) => f.id)).toEqual([image, video, voice]);
    // Published files: retention counts from now; anyone signed in may read them.
    expect(w.files.references.at(-1)).toEqual({ fileIds: [image, video, voice], at: w.t.clock.now() });
    expect(await w.channels.readsFile(image, w.ben.accountId)).toBe(true);
    // A file readable through an article may be used by another editor (a forward), as in a chat.
    await w.channels.serviceAccounts.setEditors(organisation, sa, [w.ed.accountId, w.ann.accountId]);
    await w.publish(sa, 'reuse', doc('again', { type: 'image', attrs: { fileId: image } }), w.ann);

    // The organisation's token: files any editor could attach, and none of anyone else's.
    const edsNew = w.upload(w.ed);
    const bensOwn = w.upload(w.ben);
    const byApi = await w.channels.articles.publish(organisation, sa, { title: 'From the ERP', content: doc('x', { type: 'image', attrs: { fileId: edsNew } }) });
    expect((await w.channels.articles.read(organisation, byApi.id)).editor).toBe(true);
    await expect(w.channels.articles.publish(organisation, sa, { title: 'x', content: doc('x', { type: 'image', attrs: { fileId: bensOwn } }) })).rejects.toMatchObject({ code: 'BAD_DOCUMENT' });
  });

  it('refuses a publish past the daily cap (any 24 hours), with when to retry', async () => {
    const w = await setup();
    const sa = await w.create();
    for (let i = 0; i < MIN_DAILY_CAP; i++) {
      await w.publish(sa, `n${i}`);
      w.t.clock.advance(60_000);
    }
    const refused = await w.publish(sa, 'one too many').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'DAILY_CAP_REACHED', status: 429, retryAfterSeconds: 24 * 3600 - MIN_DAILY_CAP * 60 });
    // A higher cap admits more at once.
    await w.channels.serviceAccounts.update(organisation, sa, { dailyCap: MIN_DAILY_CAP + 1 });
    await w.publish(sa, 'now it fits');
    expect(await channelsErrorCode(w.publish(sa, 'but not two'))).toBe('DAILY_CAP_REACHED');
    w.t.clock.advance(24 * 3600_000);
    await w.publish(sa, 'a new day');
  });

  it('edits into versions: readers see the newest marked edited, editors see the history; deleting is 404 for all', async () => {
    const w = await setup();
    const sa = await w.create();
    const id = await w.publish(sa, 'Version one', doc('old words'));
    w.t.clock.advance(5_000);
    const edited = await w.channels.articles.edit(person(w.ed), id, { title: 'Version two', content: doc('new words') });
    expect(edited).toMatchObject({ title: 'Version two', edited: true, editedAt: w.t.clock.now(), version: 2, content: doc('new words') });
    expect(await w.channels.articles.read(person(w.ben), id)).toMatchObject({ title: 'Version two', edited: true, version: 2 });
    expect(await channelsErrorCode(w.channels.articles.edit(person(w.ben), id, { title: 'mine', content: doc('x') }))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.channels.articles.edit(person(w.ed), id, { title: 'bad', content: { type: 'doc', content: [] } }))).toBe('BAD_DOCUMENT');
    const versions = await w.channels.articles.versions(person(w.ed), id);
    expect(versions.map((v) => [v.version, v.title, v.current, v.editorId])).toEqual([[2, 'Version two', true, w.ed.accountId], [1, 'Version one', false, w.ed.accountId]]);
    expect(await w.channels.articles.version(person(w.ed), id, 1)).toMatchObject({ title: 'Version one', content: doc('old words'), current: false });
    expect(await channelsErrorCode(w.channels.articles.versions(person(w.ben), id))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.channels.articles.version(person(w.ed), id, 3))).toBe('NOT_FOUND');
    // The history follows the search: the old words no longer find it.
    expect((await w.channels.articles.list(person(w.ben), sa, { q: 'old' })).articles).toEqual([]);
    expect((await w.channels.articles.list(person(w.ben), sa, { q: 'new words' })).articles.map((a) => a.id)).toEqual([id]);

    expect(await channelsErrorCode(w.channels.articles.delete(person(w.ben), id))).toBe('FORBIDDEN');
    await w.channels.articles.delete(organisation, id);
    for (const attempt of [() => w.channels.articles.read(person(w.ben), id), () => w.channels.articles.read(person(w.ed), id), () => w.channels.articles.versions(person(w.ed), id), () => w.channels.comments.list(person(w.ben), id, {})]) {
      expect(await channelsErrorCode(attempt())).toBe('NOT_FOUND');
    }
    expect((await w.channels.articles.list(person(w.ben), sa, {})).articles).toEqual([]);
  });

  it('browses an account’s history newest first, a page at a time, with search in Chinese and English', async () => {
    const w = await setup();
    const sa = await w.create();
    for (let i = 0; i < 5; i++) {
      await w.publish(sa, `第${i}期`, doc(i % 2 ? '关于年会的通知 annual party' : '食堂菜单 canteen menu'));
      w.t.clock.advance(1000);
    }
    const first = await w.channels.articles.list(person(w.ben), sa, { limit: 2 });
    expect(first.articles.map((a) => a.title)).toEqual(['第4期', '第3期']);
    const second = await w.channels.articles.list(person(w.ben), sa, { limit: 2, before: first.next! });
    expect(second.articles.map((a) => a.title)).toEqual(['第2期', '第1期']);
    const third = await w.channels.articles.list(person(w.ben), sa, { limit: 2, before: second.next! });
    expect(third).toMatchObject({ articles: [{ title: '第0期' }], next: null });
    expect((await w.channels.articles.list(person(w.ben), sa, { q: '年会' })).articles.map((a) => a.title)).toEqual(['第3期', '第1期']);
    expect((await w.channels.articles.list(person(w.ben), sa, { q: 'CANTEEN' })).articles.map((a) => a.title)).toEqual(['第4期', '第2期', '第0期']);
    expect((await w.channels.articles.list(person(w.ben), sa, { q: '!!!' })).articles).toEqual([]);
    expect(await channelsErrorCode(w.channels.articles.list(person(w.ben), sa, { before: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_REQUEST');
  });

  it('reminds weakly: a new article is a dot and the newest title, never a count, a push or an IM message; opening clears the dot', async () => {
    const w = await setup();
    const [news, hr, quiet] = [await w.create(), await w.create(), await w.create()];
    for (const sa of [news, hr, quiet]) await w.channels.subscriptions.subscribe(person(w.ann), sa);
    // Subscribing twice, and from wherever (page, search, a shared article), is one subscription.
    await w.channels.subscriptions.subscribe(person(w.ann), news);
    expect(await w.channels.subscriptions.summary(person(w.ann))).toEqual({ dot: false, latest: null });

    const before = w.deliveries.length;
    w.t.clock.advance(1000);
    const first = await w.publish(news, 'Morning brief');
    w.t.clock.advance(1000);
    await w.publish(hr, 'Holiday rota');
    // Nothing live for the subscribers: no IM message (which the push notifier would turn into a notification), nothing else.
    expect(w.deliveries.slice(before)).toEqual([]);
    expect(w.deliveries.some((d) => d.event === 'im.message')).toBe(false);

    const summary = await w.channels.subscriptions.summary(person(w.ann));
    expect(summary).toEqual({ dot: true, latest: { serviceAccountId: hr, name: expect.any(String), title: 'Holiday rota', publishedAt: w.t.clock.now() } });
    expect(Object.keys(summary).sort()).toEqual(['dot', 'latest']);
    expect(Object.keys(summary.latest!).sort()).toEqual(['name', 'publishedAt', 'serviceAccountId', 'title']);
    const feed = await w.channels.subscriptions.feed(person(w.ann));
    expect(feed.map((f) => [f.serviceAccountId, f.dot, f.latest?.title ?? null])).toEqual([[hr, true, 'Holiday rota'], [news, true, 'Morning brief'], [quiet, false, null]]);
    for (const entry of feed) expect(Object.keys(entry).sort()).toEqual(['avatarFileId', 'dot', 'kind', 'latest', 'name', 'pinned', 'position', 'serviceAccountId', 'subscribedAt']);

    // Opening an article clears its account's dot; opening the list clears the other's.
    await w.channels.articles.read(person(w.ann), first);
    expect((await w.channels.subscriptions.feed(person(w.ann))).map((f) => f.dot)).toEqual([true, false, false]);
    await w.channels.articles.list(person(w.ann), hr, {});
    expect(await w.channels.subscriptions.summary(person(w.ann))).toMatchObject({ dot: false, latest: { title: 'Holiday rota' } });
    // Ben subscribes to nothing: his entry is empty whatever was published.
    expect(await w.channels.subscriptions.summary(person(w.ben))).toEqual({ dot: false, latest: null });
    // An edit is no new article: no dot.
    await w.channels.articles.edit(person(w.ed), first, { title: 'Morning brief (fixed)', content: doc('fixed') });
    expect((await w.channels.subscriptions.summary(person(w.ann))).dot).toBe(false);
  });

  it('orders subscriptions pinned first (by the person’s order), then by newest article; unsubscribing drops one', async () => {
    const w = await setup();
    const [a, b, c, d] = [await w.create(), await w.create(), await w.create(), await w.create()];
    for (const sa of [a, b, c, d]) await w.channels.subscriptions.subscribe(person(w.ann), sa);
    for (const sa of [a, b, c]) {
      w.t.clock.advance(1000);
      await w.publish(sa);
    }
    const order = async () => (await w.channels.subscriptions.feed(person(w.ann))).map((f) => f.serviceAccountId);
    expect(await order()).toEqual([c, b, a, d]);
    await w.channels.subscriptions.arrange(person(w.ann), a, { pinned: true });
    expect(await w.channels.subscriptions.arrange(person(w.ann), d, { pinned: true })).toMatchObject({ serviceAccountId: d, pinned: true });
    // Pinned last is first among the pinned.
    expect(await order()).toEqual([d, a, c, b]);
    await w.channels.subscriptions.arrange(person(w.ann), d, { position: 10 });
    expect(await order()).toEqual([a, d, c, b]);
    await w.channels.subscriptions.arrange(person(w.ann), a, { pinned: false });
    expect(await order()).toEqual([d, c, b, a]);
    await w.channels.subscriptions.unsubscribe(person(w.ann), c);
    expect(await order()).toEqual([d, b, a]);
    expect(await channelsErrorCode(w.channels.subscriptions.arrange(person(w.ann), c, { pinned: true }))).toBe('NOT_FOUND');
    // Guests and the organisation subscribe to nothing.
    expect(await channelsErrorCode(w.channels.subscriptions.subscribe(person(await w.guest()), a))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.channels.subscriptions.subscribe(organisation, a))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.channels.subscriptions.subscribe(person(w.ann), 'saAAAAAAAAAAAAAAAAAAAAAA'))).toBe('NOT_FOUND');
    expect((await w.channels.serviceAccounts.page(person(w.ben), a)).subscribers).toBe(1);
  });

  it('moderates comments: pending until approved, seen by the author and editors only; approval and deletion tell the commenter', async () => {
    const w = await setup({ keywords: ['赌博'] });
    const sa = await w.create();
    const article = await w.publish(sa, 'Open for comments');
    const { channels } = w;
    const cat = await w.person('Cat');

    const mine = await channels.comments.add(person(w.ann), article, 'Great news! 👍');
    expect(mine).toEqual({ id: expect.stringMatching(/^cm/), state: 'pending' });
    w.t.clock.advance(1000);
    const bens = await channels.comments.add(person(w.ben), article, 'Ben was here');
    const texts = async (who: Principal) => (await channels.comments.list(person(who), article, {})).comments.map((c) => [c.text, c.state]);
    expect(await texts(w.ann)).toEqual([['Great news! 👍', 'pending']]);
    expect(await texts(cat)).toEqual([]);
    expect(await texts(w.ed)).toEqual([['Ben was here', 'pending'], ['Great news! 👍', 'pending']]);
    expect((await channels.comments.list(organisation, article, {})).comments).toHaveLength(2);

    // A reader may not moderate: a pending comment not theirs does not exist for them; an approved one is forbidden.
    expect(await channelsErrorCode(channels.comments.approve(person(cat), mine.id))).toBe('NOT_FOUND');
    expect(await channelsErrorCode(channels.comments.approve(person(w.ann), mine.id))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(channels.comments.delete(person(cat), mine.id))).toBe('NOT_FOUND');

    const before = w.deliveries.length;
    const approved = await channels.comments.approve(person(w.ed), mine.id);
    expect(approved).toMatchObject({ state: 'approved', author: { id: w.ann.accountId, nickname: 'Ann' }, flagged: false, reasons: [] });
    // Approving again sends nothing more.
    await channels.comments.approve(organisation, mine.id);
    const notices = w.deliveries.slice(before);
    expect(notices).toEqual([{ event: 'channels.notice', to: [w.ann.accountId], payload: expect.objectContaining({ kind: 'comment-approved', articleId: article, articleTitle: 'Open for comments', commentId: mine.id, excerpt: 'Great news! 👍', readAt: null }) }]);
    expect(await texts(cat)).toEqual([['Great news! 👍', 'approved']]);
    expect(await channelsErrorCode(channels.comments.approve(person(cat), mine.id))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(channels.comments.pin(person(cat), mine.id, true))).toBe('FORBIDDEN');

    // Editors reply and pin (approved ones only).
    expect(await channelsErrorCode(channels.comments.pin(person(w.ed), bens.id, true))).toBe('COMMENT_PENDING');
    await channels.comments.reply(person(w.ed), mine.id, '谢谢支持');
    w.t.clock.advance(1000);
    const later = await channels.comments.add(person(cat), article, 'later one');
    await channels.comments.approve(person(w.ed), later.id);
    await channels.comments.pin(person(w.ed), mine.id, true);
    const listed = (await channels.comments.list(person(cat), article, {})).comments;
    expect(listed.map((c) => [c.text, c.pinned, c.reply?.text ?? null, c.mine])).toEqual([['Great news! 👍', true, '谢谢支持', false], ['later one', false, null, true]]);
    // Readers do not see flags or reasons.
    expect(listed[0]).not.toHaveProperty('flagged');

    // An editor deleting Ben's comment tells Ben; Cat deleting her own tells nobody.
    const mark = w.deliveries.length;
    await channels.comments.delete(person(w.ed), bens.id);
    await channels.comments.delete(person(cat), later.id);
    expect(w.deliveries.slice(mark).map((d) => [d.event, d.to, (d.payload as { kind: string }).kind])).toEqual([['channels.notice', [w.ben.accountId], 'comment-deleted']]);
    expect(await channelsErrorCode(channels.comments.delete(person(w.ed), bens.id))).toBe('NOT_FOUND');

    // The notices are stored: listed newest first with the unread count, read by their owner only.
    const annsNotices = await channels.notices.list(person(w.ann), {});
    expect(annsNotices).toMatchObject({ unread: 1, next: null, notices: [{ kind: 'comment-approved', commentId: mine.id, articleTitle: 'Open for comments', serviceAccountId: sa }] });
    expect(await channels.notices.markRead(person(w.ben), [annsNotices.notices[0]!.id])).toEqual({ read: 0 });
    expect(await channels.notices.markRead(person(w.ann), undefined)).toEqual({ read: 1 });
    expect((await channels.notices.list(person(w.ann), {})).unread).toBe(0);
    expect((await channels.notices.list(person(w.ben), {})).notices.map((n) => [n.kind, n.excerpt])).toEqual([['comment-deleted', 'Ben was here']]);
    expect(await channelsErrorCode(channels.notices.list(organisation, {}))).toBe('FORBIDDEN');

    // The queue: by state, by flag (the keyword list), by article.
    w.t.clock.advance(1000);
    const flagged = await channels.comments.add(person(cat), article, '线上赌博 link');
    const queue = await channels.comments.queue(person(w.ed), sa, { state: 'pending' });
    expect(queue.comments.map((c) => [c.text, c.flagged, c.reasons, c.articleTitle])).toEqual([['线上赌博 link', true, ['keyword: 赌博'], 'Open for comments']]);
    expect((await channels.comments.queue(organisation, sa, { flagged: true })).comments.map((c) => c.id)).toEqual([flagged.id]);
    expect((await channels.comments.queue(person(w.ed), sa, { state: 'approved' })).comments.map((c) => c.text)).toEqual(['Great news! 👍']);
    expect(await channelsErrorCode(channels.comments.queue(person(cat), sa, {}))).toBe('FORBIDDEN');
  });

  it('turns comments off per article, refuses guests and the organisation as commenters, and limits the pace', async () => {
    const w = await setup({ commentsPerMinute: 3 });
    const sa = await w.create();
    const article = await w.publish(sa);
    const approved = await w.channels.comments.add(person(w.ann), article, 'first');
    await w.channels.comments.approve(person(w.ed), approved.id);
    expect(await channelsErrorCode(w.channels.comments.add(person(await w.guest()), article, 'hi'))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.channels.comments.add(organisation, article, 'hi'))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.channels.comments.add(person(w.ann), 'arAAAAAAAAAAAAAAAAAAAAAA', 'hi'))).toBe('NOT_FOUND');

    expect(await w.channels.articles.setCommentsEnabled(person(w.ed), article, false)).toMatchObject({ commentsEnabled: false });
    expect(await channelsErrorCode(w.channels.articles.setCommentsEnabled(person(w.ben), article, true))).toBe('FORBIDDEN');
    expect(await channelsErrorCode(w.channels.comments.add(person(w.ben), article, 'anyone?'))).toBe('COMMENTS_CLOSED');
    expect(await w.channels.comments.list(person(w.ben), article, {})).toEqual({ comments: [], commentsEnabled: false, next: null });
    expect((await w.channels.comments.list(person(w.ed), article, {})).comments).toHaveLength(1);
    await w.channels.articles.setCommentsEnabled(organisation, article, true);

    await w.channels.comments.add(person(w.ben), article, 'two');
    await w.channels.comments.add(person(w.ben), article, 'three');
    await w.channels.comments.add(person(w.ben), article, 'four');
    await expect(w.channels.comments.add(person(w.ben), article, 'five')).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
  });

  it('passes comments through plugged content checks: flagged with their reasons; a failing check flags for review', async () => {
    const w = await setup();
    const sa = await w.create();
    const article = await w.publish(sa);
    const seen: string[] = [];
    const reviewer: ContentCheck = {
      async check(text) {
        seen.push(text);
        if (text.includes('boom')) throw new Error('review system down');
        return text.includes('spam') ? { flagged: true, reasons: ['review system: spam'] } : { flagged: false, reasons: [] };
      },
    };
    w.channels.useContentCheck(reviewer);
    // Admins set the keyword list at run time (the console); it counts at once.
    await w.channels.putSettings(person(w.admin), { keywords: ['Forbidden Word'] });
    expect(await w.channels.getSettings(person(w.admin))).toEqual({ keywords: ['Forbidden Word'] });
    expect(await channelsErrorCode(w.channels.putSettings(person(w.ann), { keywords: [] }))).toBe('FORBIDDEN');
    const ids = {
      clean: (await w.channels.comments.add(person(w.ann), article, 'a kind word')).id,
      spam: (await w.channels.comments.add(person(w.ann), article, 'buy spam now')).id,
      keyword: (await w.channels.comments.add(person(w.ann), article, 'the ＦＯＲＢＩＤＤＥＮ  word')).id,
      broken: (await w.channels.comments.add(person(w.ann), article, 'boom')).id,
    };
    expect(seen).toEqual(['a kind word', 'buy spam now', 'the ＦＯＲＢＩＤＤＥＮ  word', 'boom']);
    const queue = new Map((await w.channels.comments.queue(person(w.ed), sa, {})).comments.map((c) => [c.id, [c.state, c.flagged, c.reasons]]));
    expect(queue.get(ids.clean)).toEqual(['pending', false, []]);
    expect(queue.get(ids.spam)).toEqual(['pending', true, ['review system: spam']]);
    expect(queue.get(ids.keyword)).toEqual(['pending', true, ['keyword: Forbidden Word']]);
    expect(queue.get(ids.broken)).toEqual(['pending', true, ['content check: unavailable']]);
  });

  it('lets people read files through articles as they may see them: current versions anyone, older ones and deleted articles editors only', async () => {
    const w = await setup();
    const sa = await w.create();
    const [kept, dropped] = [w.upload(w.ed), w.upload(w.ed)];
    const id = await w.publish(sa, 'pictures', doc('x', { type: 'image', attrs: { fileId: kept } }, { type: 'image', attrs: { fileId: dropped } }));
    expect(await w.channels.readsFile(dropped, w.ben.accountId)).toBe(true);
    await w.channels.articles.edit(person(w.ed), id, { title: 'pictures', content: doc('x', { type: 'image', attrs: { fileId: kept } }) });
    expect(await w.channels.readsFile(kept, w.ben.accountId)).toBe(true);
    expect(await w.channels.readsFile(dropped, w.ben.accountId)).toBe(false);
    expect(await w.channels.readsFile(dropped, w.ed.accountId)).toBe(true);
    await w.channels.articles.delete(person(w.ed), id);
    expect(await w.channels.readsFile(kept, w.ben.accountId)).toBe(false);
    expect(await w.channels.readsFile(kept, w.ed.accountId)).toBe(true);
    expect(await w.channels.readsFile('not-a-file', w.ed.accountId)).toBe(false);
  });
});
