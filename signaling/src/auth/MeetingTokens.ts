import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Role } from '../protocol.ts';
import { signJwt, verifyJwt } from './jwt.ts';

/** A meeting token lasts a working day: long enough for any meeting and a reload or two. */
const MEETING_TOKEN_TTL_S = 24 * 3600;
/** Invite links outlive the meeting that made them: scheduled meetings are shared weeks ahead. */
const INVITE_TTL_S = 90 * 24 * 3600;

/**
 * Who someone is in a meeting. `sub` is a per-person identity that survives
 * reconnects and reloads; when the IM layer attaches accounts, `account`
 * carries the account id and `sub` stays the meeting-level handle.
 */
export interface MeetingIdentity {
  sub: string;
  room: string;
  role: Role;
  account?: string;
}

export interface InviteClaims {
  room: string;
  role: Exclude<Role, 'host'>;
}

/**
 * Issues and checks the signed tokens of meetings (JWT, HS256) with a server
 * secret kept, like the API token, under the data directory.
 */
export class MeetingTokens {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 32) throw new Error('the meeting token secret must be at least 32 bytes');
    this.#secret = secret;
  }

  /** Reads the secret from `<dataDir>/meeting-secret`, generating it (mode 600) on first run. */
  static loadOrCreate(dataDir: string): MeetingTokens {
    const file = path.join(dataDir, 'meeting-secret');
    try {
      const existing = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
      if (existing.length >= 32) return new MeetingTokens(existing);
    } catch {
      // first run
    }
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32);
    fs.writeFileSync(file, `${secret.toString('base64url')}\n`, { mode: 0o600 });
    return new MeetingTokens(secret);
  }

  static newIdentity(): string {
    return randomUUID();
  }

  issueMeetingToken(identity: MeetingIdentity): string {
    return signJwt({ typ: 'meeting', ...identity }, this.#secret, MEETING_TOKEN_TTL_S);
  }

  /** The identity in a valid meeting token for `room`; null if forged, expired or for another meeting. */
  verifyMeetingToken(token: string, room: string): MeetingIdentity | null {
    const claims = verifyJwt(token, this.#secret);
    if (!claims || claims.typ !== 'meeting' || claims.room !== room || typeof claims.sub !== 'string') return null;
    const role = claims.role;
    if (role !== 'host' && role !== 'co-host' && role !== 'participant' && role !== 'guest') return null;
    return { sub: claims.sub, room, role, ...(typeof claims.account === 'string' ? { account: claims.account } : {}) };
  }

  issueInvite(invite: InviteClaims): string {
    return signJwt({ typ: 'invite', ...invite }, this.#secret, INVITE_TTL_S);
  }

  verifyInvite(token: string, room: string): InviteClaims | null {
    const claims = verifyJwt(token, this.#secret);
    if (!claims || claims.typ !== 'invite' || claims.room !== room) return null;
    const role = claims.role;
    if (role !== 'co-host' && role !== 'participant' && role !== 'guest') return null;
    return { room, role };
  }
}
