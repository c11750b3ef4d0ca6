import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from './jwt.ts';
import { MeetingTokens } from './MeetingTokens.ts';

const secret = randomBytes(32);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('JWT (HS256)', () => {
  it('verifies what it signed, and nothing tampered, expired, unsigned or signed otherwise', () => {
    const token = signJwt({ sub: 'a', room: 'r' }, secret, 60);
    expect(verifyJwt(token, secret)).toMatchObject({ sub: 'a', room: 'r', exp: expect.any(Number), iat: expect.any(Number) });
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    // Payload changed, signature kept.
    expect(verifyJwt(`${h}.${b64({ sub: 'b', room: 'r', iat: 1, exp: 9e9 })}.${s}`, secret)).toBeNull();
    // Another secret.
    expect(verifyJwt(token, randomBytes(32))).toBeNull();
    // alg: none, and an HS256 header spelled differently.
    expect(verifyJwt(`${b64({ alg: 'none', typ: 'JWT' })}.${p}.`, secret)).toBeNull();
    const otherHeader = b64({ typ: 'JWT', alg: 'HS256' });
    const resigned = createHmac('sha256', secret).update(`${otherHeader}.${p}`).digest('base64url');
    expect(verifyJwt(`${otherHeader}.${p}.${resigned}`, secret)).toBeNull();
    // Expired.
    expect(verifyJwt(signJwt({ sub: 'a' }, secret, 60, Date.now() - 120_000), secret)).toBeNull();
    for (const junk of ['', 'a.b', 'a.b.c', '...', `${h}.${b64('string')}.${s}`]) expect(verifyJwt(junk, secret)).toBeNull();
  });
});

describe('meeting tokens', () => {
  it('bind an identity and role to one meeting', () => {
    const tokens = new MeetingTokens(secret);
    const token = tokens.issueMeetingToken({ sub: 'p1', room: 'standup', role: 'host' });
    expect(tokens.verifyMeetingToken(token, 'standup')).toEqual({ sub: 'p1', room: 'standup', role: 'host' });
    expect(tokens.verifyMeetingToken(token, 'other')).toBeNull();
    // An invite is not a meeting token, nor the other way round.
    const invite = tokens.issueInvite({ room: 'standup', role: 'participant' });
    expect(tokens.verifyInvite(invite, 'standup')).toEqual({ room: 'standup', role: 'participant' });
    expect(tokens.verifyMeetingToken(invite, 'standup')).toBeNull();
    expect(tokens.verifyInvite(token, 'standup')).toBeNull();
  });

  it('keep their secret under the data directory, generated once (mode 600)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-secret-'));
    try {
      const first = MeetingTokens.loadOrCreate(dir);
      const file = path.join(dir, 'meeting-secret');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const token = first.issueMeetingToken({ sub: 'x', room: 'r', role: 'guest' });
      expect(MeetingTokens.loadOrCreate(dir).verifyMeetingToken(token, 'r')).toMatchObject({ sub: 'x', role: 'guest' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
