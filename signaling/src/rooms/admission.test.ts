/** Who gets in, as whom, and when a passcode locks a guesser out: admission without a server. */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryLimits } from '@muster/kit/limits';
import { MeetingTokens } from '../auth/MeetingTokens.ts';
import type { Role } from '../protocol.ts';
import { Admission, userIdentity, type AdmissionState, type PasscodeLimits, type SignedInUser } from './admission.ts';

const tokens = new MeetingTokens(crypto.randomBytes(32));

function meeting(overrides: Partial<AdmissionState> & { banned?: string[]; members?: Record<string, Role> } = {}): AdmissionState {
  const { banned = [], members = {}, ...state } = overrides;
  return {
    roomId: 'ops',
    ownerId: null,
    persistent: true,
    empty: false,
    locked: false,
    lobbyEnabled: false,
    defaultRole: 'participant',
    passcode: null,
    hostKey: 'the-host-key-0123456789',
    isBanned: (identity) => banned.includes(identity),
    isMember: (identity) => Object.hasOwn(members, identity),
    roleOf: (identity) => members[identity],
    ...state,
  };
}

const join = (extra: Record<string, unknown> = {}) => ({ room: 'ops', name: 'Ada', ...extra });
const LIMITS: PasscodeLimits = {
  perAddress: { attempts: 3, perSeconds: 300, lockSeconds: 60, maxLockSeconds: 600 },
  perMeeting: { attempts: 5, perSeconds: 300, lockSeconds: 30, maxLockSeconds: 600 },
};

describe('admission', () => {
  const ada: SignedInUser = { userId: 'u-ada', name: 'Ada', avatar: null, guest: false };

  it('the owner hosts on any device without a key, past passcode, lock and lobby; others are not made host by being signed in', async () => {
    const admission = new Admission(tokens);
    const guarded = meeting({ ownerId: 'u-ada', passcode: '4242', locked: true, lobbyEnabled: true });
    expect(await admission.decide(guarded, join(), 'a', ada)).toEqual({ identity: userIdentity('u-ada'), role: 'host', holdsHostKey: true, waiting: false });
    const bob: SignedInUser = { userId: 'u-bob', name: 'Bob', avatar: null, guest: false };
    await expect(admission.decide(meeting({ ownerId: 'u-ada', passcode: '4242' }), join(), 'a', bob)).rejects.toMatchObject({ code: 'PASSCODE_REQUIRED' });
    expect(await admission.decide(meeting({ ownerId: 'u-ada' }), join(), 'a', bob)).toMatchObject({ identity: userIdentity('u-bob'), role: 'participant', holdsHostKey: false });
  });

  it('a signed-in person is their account in the meeting: a role given earlier follows them to another device', async () => {
    const admission = new Admission(tokens);
    const state = meeting({ members: { [userIdentity('u-ada')]: 'co-host' }, passcode: '4242', lobbyEnabled: true });
    expect(await admission.decide(state, join(), 'a', ada)).toMatchObject({ identity: userIdentity('u-ada'), role: 'co-host', waiting: false });
    await expect(admission.decide(meeting({ banned: [userIdentity('u-ada')] }), join(), 'a', ada)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('makes the first joiner of an ad-hoc meeting its host, with the key; a scheduled meeting gives its default role', async () => {
    const admission = new Admission(tokens);
    expect(await admission.decide(meeting({ persistent: false, empty: true }), join(), 'a')).toMatchObject({ role: 'host', holdsHostKey: true, waiting: false });
    expect(await admission.decide(meeting({ persistent: true, empty: true }), join(), 'a')).toMatchObject({ role: 'participant', holdsHostKey: false });
    expect(await admission.decide(meeting({ defaultRole: 'guest' }), join(), 'a')).toMatchObject({ role: 'guest' });
  });

  it('gives host for the host key and the invite’s role for an invite of this meeting; a key or invite that does not fit gives nothing', async () => {
    const admission = new Admission(tokens);
    expect(await admission.decide(meeting(), join({ hostKey: 'the-host-key-0123456789' }), 'a')).toMatchObject({ role: 'host', holdsHostKey: true });
    expect(await admission.decide(meeting(), join({ hostKey: 'a-wrong-key-0123456789' }), 'a')).toMatchObject({ role: 'participant', holdsHostKey: false });
    const invite = tokens.issueInvite({ room: 'ops', role: 'co-host' });
    expect(await admission.decide(meeting(), join({ invite }), 'a')).toMatchObject({ role: 'co-host' });
    const elsewhere = tokens.issueInvite({ room: 'other', role: 'co-host' });
    expect(await admission.decide(meeting(), join({ invite: elsewhere }), 'a')).toMatchObject({ role: 'participant' });
  });

  it('keeps a returning member’s identity and role, refuses a banned one, and takes nobody in under another’s token', async () => {
    const admission = new Admission(tokens);
    const token = tokens.issueMeetingToken({ sub: 'id-ada', room: 'ops', role: 'participant' });
    expect(await admission.decide(meeting({ members: { 'id-ada': 'co-host' } }), join({ token }), 'a')).toMatchObject({ identity: 'id-ada', role: 'co-host' });
    await expect(admission.decide(meeting({ banned: ['id-ada'] }), join({ token }), 'a')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // A token of another meeting is no identity here: a new one is made.
    const foreign = tokens.issueMeetingToken({ sub: 'id-ada', room: 'other', role: 'host' });
    const decision = await admission.decide(meeting({ banned: ['id-ada'] }), join({ token: foreign }), 'a');
    expect(decision.identity).not.toBe('id-ada');
    expect(decision.role).toBe('participant');
  });

  it('asks for the passcode, except of the host key, an invite or a member', async () => {
    const admission = new Admission(tokens);
    const state = meeting({ passcode: '4711', members: { 'id-bo': 'participant' } });
    await expect(admission.decide(state, join(), 'a')).rejects.toMatchObject({ code: 'PASSCODE_REQUIRED' });
    await expect(admission.decide(state, join({ passcode: '1234' }), 'a')).rejects.toMatchObject({ code: 'PASSCODE_REQUIRED' });
    expect(await admission.decide(state, join({ passcode: '4711' }), 'a')).toMatchObject({ role: 'participant' });
    expect(await admission.decide(state, join({ hostKey: 'the-host-key-0123456789' }), 'a')).toMatchObject({ role: 'host' });
    expect(await admission.decide(state, join({ invite: tokens.issueInvite({ room: 'ops', role: 'participant' }) }), 'a')).toMatchObject({ role: 'participant' });
    const token = tokens.issueMeetingToken({ sub: 'id-bo', room: 'ops', role: 'participant' });
    expect(await admission.decide(state, join({ token }), 'a')).toMatchObject({ identity: 'id-bo' });
  });

  it('locks out an address after its wrong passcodes, even for the right one, while other addresses still try; right ones never count', async () => {
    const admission = new Admission(tokens, new MemoryLimits(), LIMITS);
    const state = meeting({ passcode: '4711' });
    for (let i = 0; i < 10; i++) expect(await admission.decide(state, join({ passcode: '4711' }), 'guesser')).toMatchObject({ role: 'participant' });
    for (let i = 0; i < LIMITS.perAddress.attempts; i++) {
      await expect(admission.decide(state, join({ passcode: `000${i}` }), 'guesser')).rejects.toMatchObject({ code: 'PASSCODE_REQUIRED' });
    }
    const locked = admission.decide(state, join({ passcode: '4711' }), 'guesser');
    await expect(locked).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(locked).rejects.toThrow(/try again in/);
    expect(await admission.decide(state, join({ passcode: '4711' }), 'someone-else')).toMatchObject({ role: 'participant' });
  });

  it('locks the meeting after wrong passcodes from many addresses', async () => {
    const admission = new Admission(tokens, new MemoryLimits(), LIMITS);
    const state = meeting({ passcode: '4711' });
    for (let i = 0; i < LIMITS.perMeeting.attempts; i++) {
      await expect(admission.decide(state, join({ passcode: 'nope' }), `addr-${i}`)).rejects.toMatchObject({ code: 'PASSCODE_REQUIRED' });
    }
    await expect(admission.decide(state, join({ passcode: '4711' }), 'addr-new')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    // Another meeting is not affected.
    expect(await admission.decide(meeting({ roomId: 'other', passcode: '1' }), { room: 'other', name: 'Ada', passcode: '1' }, 'addr-new')).toMatchObject({ role: 'participant' });
  });

  it('keeps a locked meeting closed to all but moderators, and sends non-moderators who are not members to the lobby', async () => {
    const admission = new Admission(tokens);
    await expect(admission.decide(meeting({ locked: true }), join(), 'a')).rejects.toMatchObject({ code: 'LOCKED' });
    expect(await admission.decide(meeting({ locked: true }), join({ hostKey: 'the-host-key-0123456789' }), 'a')).toMatchObject({ role: 'host' });
    expect(await admission.decide(meeting({ lobbyEnabled: true }), join(), 'a')).toMatchObject({ waiting: true });
    expect(await admission.decide(meeting({ lobbyEnabled: true }), join({ hostKey: 'the-host-key-0123456789' }), 'a')).toMatchObject({ waiting: false });
    const token = tokens.issueMeetingToken({ sub: 'id-cy', room: 'ops', role: 'participant' });
    expect(await admission.decide(meeting({ lobbyEnabled: true, members: { 'id-cy': 'participant' } }), join({ token }), 'a')).toMatchObject({ waiting: false });
  });
});
