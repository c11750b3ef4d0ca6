/**
 * The visibility matrix, on SQLite and PostgreSQL: one author's posts of
 * each visibility (all, friends, Only me), each with an image, a unique
 * word and a comment, read through every path (the feeds all, friends and
 * mine, the author's profile, the post by id, its comments, one comment,
 * search, a like, the badge, and the file route: the real files domain's
 * canRead through readsFile) by each kind of viewer: the author, a friend,
 * a friend of both the author and the commenter, a non-friend, a friend
 * the author blocked, a friend who blocked the author, an admin, a guest.
 * Every path agrees with the one rule, and a deletion or an admin's
 * removal closes every path at once.
 */
import type { Principal } from '@muster/accounts';
import { testEngines, useTestDatabase } from '@muster/db/testing';
import { describe, expect, it } from 'vitest';
import type { Visibility } from '../protocol.ts';
import { momentsErrorCode, openMomentsTestWorld } from '../testing/index.ts';

const engines = await testEngines('the PostgreSQL Moments visibility matrix (moments/src/domain/visibility.test.ts)');

type Kind = 'author' | 'friend' | 'mutual' | 'stranger' | 'blockedByAuthor' | 'blocksAuthor' | 'admin' | 'guest';
const KINDS: Kind[] = ['author', 'friend', 'mutual', 'stranger', 'blockedByAuthor', 'blocksAuthor', 'admin', 'guest'];
const VISIBILITIES: Visibility[] = ['all', 'friends', 'private'];
/** Who may see a post of each visibility. */
const SEES: Record<Visibility, Kind[]> = {
  all: ['author', 'friend', 'mutual', 'stranger', 'admin'],
  friends: ['author', 'friend', 'mutual'],
  private: ['author'],
};
/** Who may see the comment on it: its author (the friend; the author on an Only-me post), the post's author, contacts of both. */
const SEES_COMMENT: Record<Visibility, Kind[]> = {
  all: ['author', 'friend', 'mutual'],
  friends: ['author', 'friend', 'mutual'],
  private: ['author'],
};
const WORD: Record<Visibility, string> = { all: 'aardvarkall', friends: 'bumblefriends', private: 'cassowaryprivate' };

describe.each(engines)('who sees a post, on every read path (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  const world = async () => {
    const db = await testDb.open();
    const w = await openMomentsTestWorld(db, { dataDir: testDb.location.dataDir });
    testDb.defer(() => w.close());
    const author = await w.person('Author');
    const friend = await w.person('Friend');
    const mutual = await w.person('Mutual');
    const stranger = await w.person('Stranger');
    const blockedByAuthor = await w.person('Blocked');
    const blocksAuthor = await w.person('Blocker');
    const admin = await w.admin({ elevated: true });
    const guest = await w.guest();
    for (const p of [friend, mutual, blockedByAuthor, blocksAuthor]) await w.befriend(author, p);
    await w.befriend(friend, mutual);
    // The stranger is the commenter's friend, not the author's: a friend of one is not enough to see a comment.
    await w.befriend(friend, stranger);
    await w.block(author, blockedByAuthor);
    await w.block(blocksAuthor, author);
    const people: Record<Kind, Principal> = { author, friend, mutual, stranger, blockedByAuthor, blocksAuthor, admin, guest };
    const posts = {} as Record<Visibility, { id: string; fileId: string; commentId: string }>;
    for (const visibility of VISIBILITIES) {
      const fileId = await w.upload(author, `${visibility}.png`);
      const { id } = await w.moments.posts.create(author, { text: `Today ${WORD[visibility]} 战友`, fileIds: [fileId], location: '营区', visibility });
      w.advance(1);
      const commenter = visibility === 'private' ? author : friend;
      const { id: commentId } = await w.moments.comments.add(commenter, id, { text: `comment on ${visibility}` });
      posts[visibility] = { id, fileId, commentId };
    }
    return { ...w, people, posts };
  };

  const feedIds = async (m: Awaited<ReturnType<typeof world>>['moments'], viewer: Principal, query: Parameters<typeof m.feed.page>[1]) => (await m.feed.page(viewer, query)).items.map((p) => p.id);

  it('every path agrees with the rule, for each visibility and each kind of viewer', async () => {
    const w = await world();
    const { moments, files, people, posts } = w;
    for (const visibility of VISIBILITIES) {
      const { id, fileId, commentId } = posts[visibility];
      for (const kind of KINDS) {
        const viewer = people[kind];
        const sees = SEES[visibility].includes(kind);
        const seesComment = SEES_COMMENT[visibility].includes(kind);
        const where = `${visibility} post, ${kind}`;
        expect((await feedIds(moments, viewer, { view: 'all' })).includes(id), `feed all: ${where}`).toBe(sees);
        expect((await feedIds(moments, viewer, {})).includes(id), `feed default: ${where}`).toBe(sees);
        // The friends feed: posts by contacts; the blocked ones are contacts too, and see nothing.
        expect((await feedIds(moments, viewer, { view: 'friends' })).includes(id), `feed friends: ${where}`).toBe(sees && (kind === 'friend' || kind === 'mutual'));
        expect((await feedIds(moments, viewer, { view: 'mine' })).includes(id), `mine: ${where}`).toBe(kind === 'author');
        expect((await feedIds(moments, viewer, { userId: people.author.accountId })).includes(id), `profile: ${where}`).toBe(sees);
        expect((await feedIds(moments, viewer, { q: WORD[visibility] })).includes(id), `search: ${where}`).toBe(sees);
        expect(await files.canRead(fileId, viewer.accountId), `file route: ${where}`).toBe(sees);
        if (sees) {
          const view = await moments.feed.one(viewer, id);
          expect(view, where).toMatchObject({ id, text: `Today ${WORD[visibility]} 战友`, location: '营区', files: [{ id: fileId, kind: 'image' }] });
          // The visibility shows on the author's own posts only.
          expect('visibility' in view, `visibility field: ${where}`).toBe(kind === 'author');
          expect(view.comments.map((c) => c.id), `inline comments: ${where}`).toEqual(seesComment ? [commentId] : []);
          expect(view.commentCount, where).toBe(seesComment ? 1 : 0);
          const listed = await moments.comments.page(viewer, id, {});
          expect(listed.items.map((c) => c.id), `comments: ${where}`).toEqual(seesComment ? [commentId] : []);
          if (seesComment) expect((await moments.comments.one(viewer, id, commentId)).text, where).toBe(`comment on ${visibility}`);
          else expect(await momentsErrorCode(moments.comments.one(viewer, id, commentId)), `single comment: ${where}`).toBe('NOT_FOUND');
          await moments.likes.like(viewer, id);
          expect((await moments.feed.one(viewer, id)).likedByMe, where).toBe(true);
          await moments.likes.unlike(viewer, id);
        } else {
          const attempts: [string, () => Promise<unknown>][] = [
            ['by id', () => moments.feed.one(viewer, id)],
            ['comments', () => moments.comments.page(viewer, id, {})],
            ['single comment', () => moments.comments.one(viewer, id, commentId)],
            ['like', () => moments.likes.like(viewer, id)],
            ['unlike', () => moments.likes.unlike(viewer, id)],
            ['comment', () => moments.comments.add(viewer, id, { text: 'hello' })],
            ['report', () => moments.reports.report(viewer, id, 'spam')],
            ['change', () => moments.posts.setVisibility(viewer, id, 'all')],
          ];
          // An admin removes what they cannot see (the next test): anyone else finds nothing to delete.
          if (kind !== 'admin') attempts.push(['delete', () => moments.posts.remove(viewer, id)]);
          for (const [path, attempt] of attempts) expect(await momentsErrorCode(attempt()), `${path}: ${where}`).toBe('NOT_FOUND');
        }
      }
    }
    // The badge counts the contacts' posts each may see (the author's own do not count for them).
    const badge = async (kind: Kind) => (await moments.badge(people[kind])).newPosts;
    expect({ friend: await badge('friend'), mutual: await badge('mutual'), stranger: await badge('stranger'), blockedByAuthor: await badge('blockedByAuthor'), blocksAuthor: await badge('blocksAuthor'), author: await badge('author'), guest: await badge('guest') }).toEqual({
      friend: 2,
      mutual: 2,
      stranger: 0,
      blockedByAuthor: 0,
      blocksAuthor: 0,
      author: 0,
      guest: 0,
    });
  });

  it('deleting a post, or an admin removing one (even one they cannot see), closes every path at once; the uploader still reads their file', async () => {
    const w = await world();
    const { moments, files, people, posts } = w;
    await moments.posts.remove(people.author, posts.all.id);
    // The admin cannot see an Only-me post, and removes it all the same.
    expect(await momentsErrorCode(moments.feed.one(people.admin, posts.private.id))).toBe('NOT_FOUND');
    await moments.posts.remove(people.admin, posts.private.id);
    // A plain admin (no second factor) removes too: it is not a console route.
    await moments.posts.remove({ accountId: people.admin.accountId, sessionId: people.admin.sessionId, role: 'admin' }, posts.friends.id);
    for (const visibility of VISIBILITIES) {
      const { id, fileId, commentId } = posts[visibility];
      for (const kind of KINDS) {
        const viewer = people[kind];
        const where = `${visibility} post removed, ${kind}`;
        for (const query of [{}, { view: 'friends' as const }, { view: 'mine' as const }, { userId: people.author.accountId }, { q: WORD[visibility] }]) {
          expect((await feedIds(moments, viewer, query)).includes(id), `${JSON.stringify(query)}: ${where}`).toBe(false);
        }
        expect(await momentsErrorCode(moments.feed.one(viewer, id)), where).toBe('NOT_FOUND');
        expect(await momentsErrorCode(moments.comments.page(viewer, id, {})), where).toBe('NOT_FOUND');
        expect(await momentsErrorCode(moments.comments.one(viewer, id, commentId)), where).toBe('NOT_FOUND');
        expect(await momentsErrorCode(moments.posts.remove(viewer, id)), where).toBe('NOT_FOUND');
        expect(await files.canRead(fileId, viewer.accountId), `file route: ${where}`).toBe(kind === 'author');
      }
    }
    // The admins' removals are in the audit log; the author's deletion is theirs to make.
    const audit = await w.db.audit.read({ limit: 1000 });
    expect(audit.filter((e) => e.action === 'moment.remove').map((e) => e.target).sort()).toEqual([posts.private.id, posts.friends.id].sort());
    expect((await moments.notices.list(people.author, {})).items).toEqual([]);
  });

  it('a visibility changed later applies to every path at once', async () => {
    const w = await world();
    const { moments, files, people, posts } = w;
    await moments.posts.setVisibility(people.author, posts.all.id, 'private');
    expect(await momentsErrorCode(moments.feed.one(people.stranger, posts.all.id))).toBe('NOT_FOUND');
    expect(await files.canRead(posts.all.fileId, people.friend.accountId)).toBe(false);
    expect((await feedIds(moments, people.friend, { q: WORD.all })).includes(posts.all.id)).toBe(false);
    expect((await moments.feed.one(people.author, posts.all.id)).visibility).toBe('private');
    await moments.posts.setVisibility(people.author, posts.private.id, 'friends');
    expect((await moments.feed.one(people.friend, posts.private.id)).id).toBe(posts.private.id);
    expect(await files.canRead(posts.private.fileId, people.mutual.accountId)).toBe(true);
    expect(await files.canRead(posts.private.fileId, people.stranger.accountId)).toBe(false);
    // Someone who sees it may not change it; someone who does not, finds nothing.
    expect(await momentsErrorCode(moments.posts.setVisibility(people.friend, posts.private.id, 'all'))).toBe('FORBIDDEN');
    expect(await momentsErrorCode(moments.posts.setVisibility(people.stranger, posts.private.id, 'all'))).toBe('NOT_FOUND');
    expect(await momentsErrorCode(moments.posts.remove(people.friend, posts.private.id))).toBe('FORBIDDEN');
    // A block made later closes every path too.
    await w.block(people.mutual, people.author);
    expect(await momentsErrorCode(moments.feed.one(people.mutual, posts.private.id))).toBe('NOT_FOUND');
    expect(await files.canRead(posts.private.fileId, people.mutual.accountId)).toBe(false);
  });

  it('notices follow the same rule: each kind of viewer is told only of what they may see, and stops being told when that changes', async () => {
    const w = await world();
    const { moments, people, posts } = w;
    const likers = (visibility: Visibility) => SEES[visibility].filter((k) => k !== 'author');
    for (const visibility of VISIBILITIES) {
      for (const kind of likers(visibility)) await moments.likes.like(people[kind], posts[visibility].id);
      // The author answers the friend's comment (on the Only-me post the comment is the author's own).
      if (visibility !== 'private') await moments.comments.add(people.author, posts[visibility].id, { text: 'thanks', replyTo: posts[visibility].commentId });
    }
    const notices = async (kind: Kind) => (await moments.notices.list(people[kind], {})).items.map((n) => `${n.kind}:${n.moment.id === posts.all.id ? 'all' : n.moment.id === posts.friends.id ? 'friends' : 'private'}:${n.actor.nickname}`).sort();
    const nick: Record<Kind, string> = { author: 'Author', friend: 'Friend', mutual: 'Mutual', stranger: 'Stranger', blockedByAuthor: 'Blocked', blocksAuthor: 'Blocker', admin: 'Administrator', guest: 'Visitor' };
    expect(await notices('author')).toEqual(
      [
        ...likers('all').map((k) => `like:all:${nick[k]}`),
        ...likers('friends').map((k) => `like:friends:${nick[k]}`),
        'comment:all:Friend',
        'comment:friends:Friend',
      ].sort(),
    );
    expect(await notices('friend')).toEqual(['reply:all:Author', 'reply:friends:Author']);
    for (const kind of KINDS.filter((k) => k !== 'author' && k !== 'friend')) expect(await notices(kind), kind).toEqual([]);
    expect((await moments.badge(people.friend)).unreadNotices).toBe(2);
    // The author makes one Only me: the friend's notice of it goes, from the list and the count; the author's stay.
    await moments.posts.setVisibility(people.author, posts.all.id, 'private');
    expect(await notices('friend')).toEqual(['reply:friends:Author']);
    expect((await moments.badge(people.friend)).unreadNotices).toBe(1);
    expect((await notices('author')).filter((n) => n.startsWith('like:all:'))).toHaveLength(likers('all').length);
    // The friend blocks the author: nothing of theirs reaches them; and the author no longer sees the friend's comments and likes.
    await w.block(people.friend, people.author);
    expect(await notices('friend')).toEqual([]);
    expect((await notices('author')).some((n) => n.endsWith(':Friend'))).toBe(false);
  });

  it('an admin reviews a reported post’s files while the report is open, and only then', async () => {
    const w = await world();
    const { moments, files, people, posts } = w;
    const plainAdmin = await w.admin();
    expect(await files.canRead(posts.friends.fileId, plainAdmin.accountId)).toBe(false);
    const { id: reportId } = await moments.reports.report(people.friend, posts.friends.id, 'fake news');
    expect(await files.canRead(posts.friends.fileId, plainAdmin.accountId)).toBe(true);
    expect(await files.canRead(posts.friends.fileId, people.stranger.accountId)).toBe(false);
    // Still not on the feed, profile and by-id paths: there the admin is a viewer like anyone.
    expect(await momentsErrorCode(moments.feed.one(plainAdmin, posts.friends.id))).toBe('NOT_FOUND');
    await moments.reports.resolve(people.admin, reportId, 'dismiss');
    expect(await files.canRead(posts.friends.fileId, plainAdmin.accountId)).toBe(false);
  });
});
