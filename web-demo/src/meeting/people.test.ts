import { describe, expect, it } from 'vitest';
import { localView, person, snapshot, track } from '../testing/snapshots.ts';
import { handQueue, peopleList } from './people.ts';

describe('peopleList', () => {
  it('lists you first with your own devices, then the others with what the server says', () => {
    const m = snapshot({
      local: localView({ micMuted: true, camera: null, screen: track('s') }),
      remotes: [person('bob', { role: 'co-host', cameraMuted: true, videoQuality: 'low', screen: { paused: false, track: null } })],
    });
    expect(peopleList(m)).toEqual([
      { id: 'me', name: 'Me', you: true, host: true, coHost: false, hand: false, menu: false, micMuted: true, videoOff: true, sharing: true, videoQuality: 'high', avatar: null, guest: false },
      { id: 'bob', name: 'Bob', you: false, host: false, coHost: true, hand: false, menu: true, micMuted: false, videoOff: true, sharing: true, videoQuality: 'low', avatar: null, guest: false },
    ]);
  });

  it('carries avatars of signed-in people and marks guests', () => {
    const m = snapshot({
      self: person('me', { role: 'host', avatar: '/api/v1/avatars/u1/1/small.webp?sig=x' }),
      remotes: [person('bob', { guest: true }), person('cy')],
    });
    expect(peopleList(m).map((e) => [e.id, e.avatar, e.guest])).toEqual([
      ['me', '/api/v1/avatars/u1/1/small.webp?sig=x', false],
      ['bob', null, true],
      ['cy', null, false],
    ]);
  });

  it('gives rows a menu only where you may act', () => {
    const m = snapshot({ self: person('me', { role: 'participant' }), remotes: [person('bob')] });
    expect(peopleList(m).map((e) => e.menu)).toEqual([false, false]);
  });
});

describe('handQueue', () => {
  it('orders raised hands by when they went up, and names you', () => {
    const m = snapshot({
      self: person('me', { role: 'host', handRaisedAt: 20 }),
      remotes: [person('bob', { handRaisedAt: 30 }), person('cy', { handRaisedAt: 10 }), person('dee')],
    });
    expect(handQueue(m)).toEqual([
      { id: 'cy', label: 'Cy' },
      { id: 'me', label: 'Me (you)' },
      { id: 'bob', label: 'Bob' },
    ]);
  });
});
