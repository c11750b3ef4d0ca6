/**
 * Private rooms (a call from a chat): only the accounts named may join,
 * signed in; a host key, an invite or a meeting token lets nobody else in;
 * an ended private room admits nobody, so its id cannot be reopened as an
 * ordinary meeting.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MeetingTokens } from '../auth/MeetingTokens.ts';
import { Admission, type AdmissionState, type SignedInUser } from './admission.ts';

const tokens = new MeetingTokens(crypto.randomBytes(32));
const person = (userId: string): SignedInUser => ({ userId, name: userId, avatar: null, guest: false });
const room = (allowedUserIds: string[] | null): AdmissionState => ({
  roomId: 'call-abc',
  ownerId: null,
  persistent: true,
  empty: true,
  locked: false,
  lobbyEnabled: false,
  defaultRole: 'participant',
  passcode: null,
  hostKey: 'call-host-key-0123456789',
  isBanned: () => false,
  isMember: () => false,
  roleOf: () => undefined,
  allowedUserIds,
});
const code = (p: Promise<unknown>) => p.then(() => 'admitted', (e: { code?: string }) => e.code);

describe('private rooms', () => {
  it('admits the two people of a call, as participants, and nobody else', async () => {
    const admission = new Admission(tokens);
    const call = room(['u-ann', 'u-ben']);
    const join = (extra: Record<string, unknown> = {}) => ({ room: 'call-abc', name: 'x', ...extra });
    expect(await admission.decide(call, join(), '10.0.0.1', person('u-ann'))).toMatchObject({ identity: 'user:u-ann', role: 'participant', waiting: false });
    expect(await admission.decide(call, join(), '10.0.0.2', person('u-ben'))).toMatchObject({ identity: 'user:u-ben', role: 'participant' });
    expect(await code(admission.decide(call, join(), '10.0.0.3', person('u-eve')))).toBe('NOT_FOUND');
    expect(await code(admission.decide(call, join(), '10.0.0.3', null))).toBe('NOT_FOUND');
    // Nothing a link joiner may bring opens it.
    const invite = tokens.issueInvite({ room: 'call-abc', role: 'co-host' });
    const token = tokens.issueMeetingToken({ sub: 'user:u-ann', room: 'call-abc', role: 'participant' });
    for (const extra of [{ hostKey: 'call-host-key-0123456789' }, { invite }, { token }]) {
      expect(await code(admission.decide(call, join(extra), '10.0.0.3', null))).toBe('NOT_FOUND');
      expect(await code(admission.decide(call, join(extra), '10.0.0.3', person('u-eve')))).toBe('NOT_FOUND');
    }
  });

  it('an ended call room (nobody allowed) admits nobody; an ordinary room is unaffected', async () => {
    const admission = new Admission(tokens);
    expect(await code(admission.decide(room([]), { room: 'call-abc', name: 'x' }, '10.0.0.1', person('u-ann')))).toBe('NOT_FOUND');
    expect(await code(admission.decide(room(null), { room: 'call-abc', name: 'x' }, '10.0.0.1', person('u-eve')))).toBe('admitted');
  });
});
