import { describe, expect, it } from 'vitest';
import { person } from '../testing/snapshots.ts';
import { hostMenuItems } from './hostMenu.ts';

const ids = (items: { testId: string }[]) => items.map((i) => i.testId);

describe('hostMenuItems', () => {
  const host = person('me', { role: 'host' });
  const coHost = person('me', { role: 'co-host' });

  it('offers nothing to participants, for yourself, or to a co-host about the host', () => {
    expect(hostMenuItems(null, person('bob'))).toEqual([]);
    expect(hostMenuItems(person('me', { role: 'participant' }), person('bob'))).toEqual([]);
    expect(hostMenuItems(person('me', { role: 'guest' }), person('bob'))).toEqual([]);
    expect(hostMenuItems(host, person('me', { role: 'host' }))).toEqual([]);
    expect(hostMenuItems(coHost, person('bob', { role: 'host' }))).toEqual([]);
  });

  it('gives a host everything for a participant with mic and camera on', () => {
    const items = hostMenuItems(host, person('bob'));
    expect(ids(items)).toEqual(['host-mute', 'host-stop-video', 'host-video-standard', 'host-video-low', 'host-make-cohost', 'host-make-host', 'host-remove', 'host-ban']);
    expect(items[0]!.request).toEqual({ name: 'participant.mute', payload: { participantId: 'bob', kind: 'audio' } });
    expect(items[1]!.request).toEqual({ name: 'participant.mute', payload: { participantId: 'bob', kind: 'video' } });
    expect(items.find((i) => i.testId === 'host-make-host')!.request).toEqual({ name: 'participant.setRole', payload: { participantId: 'bob', role: 'host' } });
  });

  it('asks rather than forces: muted people are asked to unmute or start their video', () => {
    const items = hostMenuItems(host, person('bob', { micMuted: true, cameraMuted: true }));
    expect(ids(items).slice(0, 2)).toEqual(['host-ask-unmute', 'host-ask-video']);
    expect(items[0]!.request).toEqual({ name: 'participant.askUnmute', payload: { participantId: 'bob', kind: 'audio' } });
    expect(items[1]!.request).toEqual({ name: 'participant.askUnmute', payload: { participantId: 'bob', kind: 'video' } });
  });

  it('offers the two video limits the person is not at now', () => {
    expect(ids(hostMenuItems(host, person('bob', { videoQuality: 'low' }))).filter((id) => id.startsWith('host-video-'))).toEqual(['host-video-standard', 'host-video-high']);
    const lift = hostMenuItems(host, person('bob', { videoQuality: 'standard' })).find((i) => i.testId === 'host-video-high')!;
    expect(lift).toMatchObject({ label: 'Lift video limit', request: { name: 'participant.setVideoQuality', payload: { participantId: 'bob', quality: 'high' } } });
  });

  it('lowers a raised hand, and removes a co-host rather than making one', () => {
    const items = hostMenuItems(host, person('bob', { role: 'co-host', handRaisedAt: 3 }));
    expect(ids(items)).toContain('host-lower-hand');
    expect(ids(items)).toContain('host-remove-cohost');
    expect(ids(items)).not.toContain('host-make-cohost');
    expect(items.find((i) => i.testId === 'host-lower-hand')!.request).toEqual({ name: 'hand.set', payload: { participantId: 'bob', raised: false } });
  });

  it('lets only the host hand over hosting', () => {
    expect(ids(hostMenuItems(coHost, person('bob')))).not.toContain('host-make-host');
    expect(ids(hostMenuItems(coHost, person('bob')))).toContain('host-make-cohost');
  });

  it('marks removal as dangerous and asks before blocking', () => {
    const items = hostMenuItems(host, person('bob', { name: 'Bob Byte' }));
    const remove = items.find((i) => i.testId === 'host-remove')!;
    const ban = items.find((i) => i.testId === 'host-ban')!;
    expect(remove).toMatchObject({ danger: true, request: { name: 'participant.remove', payload: { participantId: 'bob', ban: false } } });
    expect(remove.confirm).toBeUndefined();
    expect(ban).toMatchObject({ danger: true, request: { name: 'participant.remove', payload: { participantId: 'bob', ban: true } } });
    expect(ban.confirm).toContain('Bob Byte');
  });
});
