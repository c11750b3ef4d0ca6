import { describe, expect, it } from 'vitest';
import { localView, person, snapshot, track } from '../testing/snapshots.ts';
import { remoteIdOf, tileList } from './tiles.ts';

describe('tileList', () => {
  it('shows screen shares first, then you, then everyone else in the order they joined', () => {
    const screen = track('bob-screen');
    const m = snapshot({
      remotes: [person('bob', { joinedAt: 1, screen: { paused: false, track: screen } }), person('cy', { joinedAt: 2 })],
      local: localView({ screen: track('my-screen') }),
    });
    const tiles = tileList(m);
    expect(tiles.map((t) => t.key)).toEqual(['screen:bob', 'screen:local', 'local', 'p:bob', 'p:cy']);
    expect(tiles[0]).toMatchObject({ kind: 'screen', participantId: 'bob', label: 'Presenting', videoTrack: screen, videoOn: true, menu: false, local: false });
    expect(tiles[1]).toMatchObject({ kind: 'screen', participantId: 'me', label: 'You are presenting', local: true });
    expect(tiles.filter((t) => t.kind === 'camera').map((t) => t.participantId)).toEqual(['me', 'bob', 'cy']);
  });

  it('carries each person’s avatar onto their tiles, for when the camera is off', () => {
    const m = snapshot({ remotes: [person('bob', { avatar: '/a/bob.webp', screen: { paused: false, track: null } })] });
    expect(tileList(m).map((t) => [t.key, t.avatar])).toEqual([
      ['screen:bob', '/a/bob.webp'],
      ['local', null],
      ['p:bob', '/a/bob.webp'],
    ]);
  });

  it('gives each person exactly one camera tile, camera on or not', () => {
    const m = snapshot({ remotes: [person('bob', { cameraTrack: null, cameraMuted: true })], local: localView({ camera: null }) });
    const cameras = tileList(m).filter((t) => t.kind === 'camera');
    expect(cameras.map((t) => [t.key, t.videoOn])).toEqual([
      ['local', false],
      ['p:bob', false],
    ]);
  });

  it('shows a paused camera or a screen share not yet received as off, not as a frozen frame', () => {
    const m = snapshot({ remotes: [person('bob', { cameraMuted: true, screen: { paused: false, track: null } })] });
    const tiles = tileList(m);
    expect(tiles.find((t) => t.key === 'p:bob')!.videoOn).toBe(false);
    expect(tiles.find((t) => t.key === 'screen:bob')!.videoOn).toBe(false);
  });

  it('marks your own tile: "You", mirrored, muted when you have no microphone at all', () => {
    const mine = tileList(snapshot({ local: localView({ mic: null, micMuted: false, mirrored: false }) })).find((t) => t.key === 'local')!;
    expect(mine).toMatchObject({ label: 'You', local: true, micMuted: true, mirrored: false, host: true, menu: false });
  });

  it('carries speaking, roles, raised hands and mutes onto camera tiles', () => {
    const m = snapshot({
      remotes: [person('bob', { role: 'co-host', handRaisedAt: 5, micMuted: true })],
      activeSpeakerId: 'bob',
    });
    const bob = tileList(m).find((t) => t.key === 'p:bob')!;
    expect(bob).toMatchObject({ speaking: true, coHost: true, host: false, handRaised: true, micMuted: true, mirrored: false });
  });

  it('offers the host menu on other people’s camera tiles only to hosts and co-hosts', () => {
    const remotes = [person('bob')];
    expect(tileList(snapshot({ remotes })).find((t) => t.key === 'p:bob')!.menu).toBe(true);
    const asParticipant = snapshot({ remotes, self: person('me', { role: 'participant' }) });
    expect(tileList(asParticipant).find((t) => t.key === 'p:bob')!.menu).toBe(false);
  });

  it('has no tiles of yours before you have joined', () => {
    expect(tileList(snapshot({ self: null, remotes: [person('bob')], local: localView({ screen: track('s') }) })).map((t) => t.key)).toEqual(['p:bob']);
  });

  it('names the participant of a remote camera tile key', () => {
    expect(remoteIdOf('p:abc')).toBe('abc');
    expect(remoteIdOf('local')).toBe(null);
    expect(remoteIdOf('screen:abc')).toBe(null);
  });
});
