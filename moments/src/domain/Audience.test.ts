/**
 * The one rule, by itself: who sees a post of each visibility, and who sees
 * a like, comment or reply on it, from the viewer's relations alone; and a
 * relation nobody read is never answered as "not blocked".
 */
import { describe, expect, it } from 'vitest';
import type { AccountRepository, Accounts, PublicProfile } from '@muster/accounts';
import type { ContactRepository } from '@muster/im';
import { Audience, maySeePost, maySeeReaction, type PostFacts, type Relations, type Viewer } from './Audience.ts';

const person = (id: string): PublicProfile => ({ id, nickname: id, avatar: null, musterId: null });

/** Relations given as plain sets, as Audience.relations gathers them. */
function relations(options: { friends?: string[]; blocked?: string[]; inactive?: string[] } = {}): Relations {
  const friends = new Set(options.friends ?? []);
  const blocked = new Set(options.blocked ?? []);
  const inactive = new Set(options.inactive ?? []);
  return { friends: (id) => friends.has(id), blocked: (id) => blocked.has(id), active: (id) => !inactive.has(id), profile: (id) => (inactive.has(id) ? undefined : person(id)) };
}

const viewer = (accountId: string, guest = false): Viewer => ({ accountId, guest });
const post = (visibility: PostFacts['visibility'], deletedAt: number | null = null): PostFacts => ({ authorId: 'ann', visibility, deletedAt });

describe('who sees a post', () => {
  it('the author always, nobody once deleted; all: everyone; friends: contacts; Only me: nobody else', () => {
    const cases: [PostFacts['visibility'], Viewer, Relations, boolean][] = [
      ['private', viewer('ann'), relations(), true],
      ['private', viewer('ben'), relations({ friends: ['ann'] }), false],
      ['friends', viewer('ben'), relations({ friends: ['ann'] }), true],
      ['friends', viewer('cat'), relations(), false],
      ['all', viewer('cat'), relations(), true],
      ['all', viewer('guest', true), relations(), false],
      ['all', viewer('ben'), relations({ friends: ['ann'], blocked: ['ann'] }), false],
      ['all', viewer('ben'), relations({ inactive: ['ann'] }), false],
    ];
    for (const [visibility, who, rel, expected] of cases) expect(maySeePost(post(visibility), who, rel), `${visibility} ${who.accountId}`).toBe(expected);
    expect(maySeePost(post('all', 5), viewer('ann'), relations())).toBe(false);
  });

  it('a like or comment: its author, the post’s author, and contacts of both; a reply also needs the person answered', () => {
    const p = post('all');
    // Cat is a friend of Ann and Ben; Dan of Ann only; Eve of Ben only.
    const cat = relations({ friends: ['ann', 'ben'] });
    const dan = relations({ friends: ['ann'] });
    const eve = relations({ friends: ['ben'] });
    expect(maySeeReaction(p, 'ben', viewer('cat'), cat)).toBe(true);
    expect(maySeeReaction(p, 'ben', viewer('dan'), dan)).toBe(false);
    expect(maySeeReaction(p, 'ben', viewer('eve'), eve)).toBe(false);
    expect(maySeeReaction(p, 'ben', viewer('ben'), relations())).toBe(true);
    expect(maySeeReaction(p, 'ben', viewer('ann'), relations())).toBe(true);
    // Ann answering Dan: Cat is no friend of Dan's.
    expect(maySeeReaction(p, 'ann', viewer('cat'), cat, 'dan')).toBe(false);
    expect(maySeeReaction(p, 'ann', viewer('dan'), dan, 'dan')).toBe(true);
    // Blocks hide, the post's author's view included; one's own stays one's own.
    expect(maySeeReaction(p, 'ben', viewer('cat'), relations({ friends: ['ann', 'ben'], blocked: ['ben'] }))).toBe(false);
    expect(maySeeReaction(p, 'ben', viewer('ann'), relations({ blocked: ['ben'] }))).toBe(false);
    expect(maySeeReaction(p, 'cat', viewer('cat'), relations({ friends: ['ann', 'ben'], blocked: ['ben'] }), 'ben')).toBe(true);
    // Nothing of a post one may not see.
    expect(maySeeReaction(post('friends'), 'ben', viewer('eve'), eve)).toBe(false);
    expect(maySeeReaction(post('all', 1), 'ann', viewer('ann'), relations())).toBe(false);
  });
});

describe('the relations gathered for a viewer', () => {
  it('reads blocks of the viewer’s contacts and of whom it is asked; asking of anyone else throws rather than answer "not blocked"', async () => {
    const asked: string[] = [];
    const contacts = {
      contactIds: async () => new Set(['ben']),
      listBlocked: async () => [{ userId: 'cat', at: 1 }],
      blocked: async (owner: string) => {
        asked.push(owner);
        return owner === 'ben' || owner === 'dan';
      },
    } as unknown as ContactRepository;
    const accounts = { profiles: { publicProfiles: async (ids: readonly string[]) => new Map(ids.map((id) => [id, person(id)])) } } as unknown as Accounts;
    const audience = new Audience({ contacts, accounts, accountStore: {} as AccountRepository });
    const rel = await audience.relations(viewer('ann'), ['ben', 'cat', 'dan', 'zed'], { blocksOf: ['dan'] });
    expect(asked.sort()).toEqual(['ben', 'dan']);
    expect([rel.blocked('ben'), rel.blocked('cat'), rel.blocked('dan'), rel.friends('ben'), rel.friends('dan')]).toEqual([true, true, true, true, false]);
    expect(() => rel.blocked('zed')).toThrow(/without reading it/);
    // By default, everyone's are read.
    expect((await audience.relations(viewer('ann'), ['zed'])).blocked('zed')).toBe(false);
  });
});
