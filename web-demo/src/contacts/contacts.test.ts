/** The Contacts tab's pure parts: its addresses, the A–Z rail's arithmetic, and its view models. */
import { describe, expect, it } from 'vitest';
import type { ContactRequestView } from '@muster/im/client';
import { RAIL_LETTERS, letterAt, sectionFor } from './azRail.ts';
import { contactPath, groupPath, isContactsRoute, parseContactsPath } from './paths.ts';
import { badgeText, contactSubtitle, firstRows, parseLookup, parseTags, requestRow } from './viewModels.ts';
import { defaultGroupName, isMuted, memberBadges } from '../groups/groupViewModels.ts';

describe('contacts paths', () => {
  it('parses the tab’s pages, a contact and a group; anything else is not theirs', () => {
    expect(parseContactsPath('/contacts')).toEqual({ name: 'contacts' });
    expect(parseContactsPath('/contacts/new-friends')).toEqual({ name: 'newFriends' });
    expect(parseContactsPath('/contacts/add')).toEqual({ name: 'addFriend' });
    expect(parseContactsPath('/contacts/groups')).toEqual({ name: 'groupList' });
    expect(parseContactsPath('/contacts/blocked')).toEqual({ name: 'blockedList' });
    expect(parseContactsPath('/groups/new')).toEqual({ name: 'newGroup' });
    expect(parseContactsPath('/contacts/u_abc-123')).toEqual({ name: 'contact', userId: 'u_abc-123' });
    expect(parseContactsPath('/groups/cvAbcdefgh12')).toEqual({ name: 'group', groupId: 'cvAbcdefgh12' });
    expect(parseContactsPath('/contacts/a%20b')).toBeNull();
    expect(parseContactsPath('/contacts/abc')).toBeNull();
    expect(parseContactsPath('/contacts/u_abc-123/x')).toBeNull();
    expect(parseContactsPath('/chats')).toBeNull();
    expect(contactPath('u_abc-123')).toBe('/contacts/u_abc-123');
    expect(groupPath('cvAbcdefgh12')).toBe('/groups/cvAbcdefgh12');
    expect(isContactsRoute({ name: 'group' })).toBe(true);
    expect(isContactsRoute({ name: 'home' })).toBe(false);
  });
});

describe('the A–Z rail', () => {
  it('has every letter and # last', () => {
    expect(RAIL_LETTERS).toHaveLength(27);
    expect(RAIL_LETTERS[0]).toBe('A');
    expect(RAIL_LETTERS.at(-1)).toBe('#');
  });

  it('finds the letter under a finger, clamped to the rail', () => {
    // 27 letters over 270 px from y=100: 10 px each.
    expect(letterAt(100, 100, 270, RAIL_LETTERS)).toBe('A');
    expect(letterAt(115, 100, 270, RAIL_LETTERS)).toBe('B');
    expect(letterAt(100 + 18 * 10 + 5, 100, 270, RAIL_LETTERS)).toBe('S');
    expect(letterAt(369, 100, 270, RAIL_LETTERS)).toBe('#');
    expect(letterAt(0, 100, 270, RAIL_LETTERS)).toBe('A');
    expect(letterAt(9999, 100, 270, RAIL_LETTERS)).toBe('#');
    expect(letterAt(120, 100, 0, RAIL_LETTERS)).toBeNull();
  });

  it('goes to the letter, else the next present one, else the last before it', () => {
    const present = ['B', 'L', 'S', 'Z'];
    expect(sectionFor('S', RAIL_LETTERS, present)).toBe('S');
    expect(sectionFor('A', RAIL_LETTERS, present)).toBe('B');
    expect(sectionFor('M', RAIL_LETTERS, present)).toBe('S');
    expect(sectionFor('#', RAIL_LETTERS, present)).toBe('Z');
    expect(sectionFor('Y', RAIL_LETTERS, ['#', 'A'])).toBe('#');
    expect(sectionFor('A', RAIL_LETTERS, [])).toBeNull();
  });
});

describe('contacts view models', () => {
  it('reads the add-friend box as a phone number or a Muster ID', () => {
    expect(parseLookup(' 138 0013 8000 ')).toEqual({ phone: '+8613800138000' });
    expect(parseLookup('+44 20 7946 0958')).toEqual({ phone: '+442079460958' });
    expect(parseLookup('zhang_san')).toEqual({ musterId: 'zhang_san' });
    expect(parseLookup('  ')).toBeNull();
  });

  it('shows a request from my side', () => {
    const p = (id: string) => ({ id, nickname: id, avatar: null, musterId: null });
    const r: ContactRequestView = { id: 'fr1', from: p('ann'), to: p('me'), greeting: 'hi', state: 'pending', createdAt: 0, expiresAt: 100 };
    expect(requestRow(r, 'me', 50)).toMatchObject({ incoming: true, actions: true, status: '', person: { id: 'ann' } });
    expect(requestRow(r, 'me', 150)).toMatchObject({ actions: false, status: 'Expired' });
    expect(requestRow(r, 'ann', 50)).toMatchObject({ incoming: false, actions: false, status: 'Waiting', person: { id: 'me' } });
    expect(requestRow({ ...r, state: 'accepted' }, 'me', 50)).toMatchObject({ actions: false, status: 'Added' });
    expect(requestRow({ ...r, state: 'declined' }, 'ann', 50).status).toBe('Not accepted');
  });

  it('badges, subtitles and tags', () => {
    expect(badgeText(0)).toBe('');
    expect(badgeText(3)).toBe('3');
    expect(badgeText(120)).toBe('99+');
    expect(contactSubtitle({ remark: '老张', nickname: '张三', musterId: 'zs' })).toBe('Nickname: 张三');
    expect(contactSubtitle({ remark: null, nickname: '张三', musterId: 'zs' })).toBe('Muster ID: zs');
    expect(parseTags('同事, 朋友，家人、同事,,')).toEqual(['同事', '朋友', '家人']);
  });
});

describe('long lists and groups', () => {
  it('draws the first rows of a sectioned list, sections kept', () => {
    const sections = [
      { letter: 'A', items: [1, 2, 3] },
      { letter: 'B', items: [4, 5] },
      { letter: 'C', items: [6] },
    ];
    expect(firstRows(sections, 4)).toEqual([
      { letter: 'A', items: [1, 2, 3] },
      { letter: 'B', items: [4] },
    ]);
    expect(firstRows(sections, 100)).toEqual(sections);
    expect(firstRows(sections, 0)).toEqual([]);
  });

  it('names a new group after its first people, and labels members', () => {
    expect(defaultGroupName(['周杰', '张三', '李四'])).toBe('周杰、张三、李四');
    expect(defaultGroupName(['A', 'B', 'C', 'D', 'E', 'F'])).toBe('A、B、C、D…');
    expect(defaultGroupName(['', 'Ann'])).toBe('Ann');
    expect(defaultGroupName(['x'.repeat(40), 'y'.repeat(30)])).toBe(`${'x'.repeat(40)}…`);
    expect(memberBadges({ role: 'owner' }, 0)).toEqual(['Owner']);
    expect(memberBadges({ role: 'admin', mutedUntil: null }, 0)).toEqual(['Admin', 'Muted']);
    expect(memberBadges({ role: 'member', mutedUntil: 5 }, 10)).toEqual([]);
    expect(isMuted({ mutedUntil: 50 }, 10)).toBe(true);
    expect(isMuted({}, 10)).toBe(false);
  });
});
