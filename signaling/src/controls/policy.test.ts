/** The permission table, without a server: every role against every audience setting. */
import { describe, expect, it } from 'vitest';
import { AUDIENCES, DEFAULT_SETTINGS, RIGHTS, ROLES, type MeetingSettings, type Role } from '../protocol.ts';
import { hasRight, isModerator, outranks, rightForSource, rightsOf } from './policy.ts';

const RANK: Record<Role, number> = { guest: 0, participant: 1, 'co-host': 2, host: 3 };

describe('meeting policy', () => {
  it('gives host and co-hosts every right, whatever the settings', () => {
    const strictest: MeetingSettings = { ...DEFAULT_SETTINGS, unmute: 'moderators', video: 'moderators', share: 'moderators', draw: 'moderators', chat: 'moderators' };
    for (const role of ['host', 'co-host'] as const) {
      expect([...rightsOf(role, strictest)].sort()).toEqual([...RIGHTS].sort());
      expect(isModerator(role)).toBe(true);
    }
  });

  it('gives participants and guests a right exactly when its audience admits their role, and never moderate', () => {
    for (const audience of AUDIENCES) {
      for (const role of ['participant', 'guest'] as const) {
        const settings: MeetingSettings = { ...DEFAULT_SETTINGS, unmute: audience, video: audience, share: audience, draw: audience, chat: audience };
        const admitted = audience === 'everyone' || (audience === 'participants' && RANK[role] >= RANK.participant);
        for (const right of ['unmute', 'video', 'share', 'draw', 'chat'] as const) expect(hasRight(role, settings, right)).toBe(admitted);
        expect(hasRight(role, settings, 'moderate')).toBe(false);
        expect(isModerator(role)).toBe(false);
      }
    }
  });

  it('needs unmute for the microphone, video for the camera, share for a screen', () => {
    expect(rightForSource('microphone')).toBe('unmute');
    expect(rightForSource('camera')).toBe('video');
    expect(rightForSource('screen')).toBe('share');
  });

  it('lets a host act on anyone, a co-host on anyone but a host, and nobody else on anyone', () => {
    for (const actor of ROLES) {
      for (const target of ROLES) {
        const expected = actor === 'host' || (actor === 'co-host' && target !== 'host');
        expect(outranks(actor, target), `${actor} → ${target}`).toBe(expected);
      }
    }
  });
});
