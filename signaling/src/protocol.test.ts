import { describe, expect, it } from 'vitest';
import { CONTROL_NAMES } from './controls/RoomControls.ts';
import { ClientRequests, DisplayNameSchema, ERROR_CODES, JoinRequestSchema, MAX_REQUEST_BYTES, PublishRequestSchema, RoomIdSchema } from './protocol.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n';

describe('protocol schemas', () => {
  it('accepts a minimal join and a resume', () => {
    expect(JoinRequestSchema.parse({ room: 'abc-123', name: ' Ann ' }).name).toBe('Ann');
    expect(JoinRequestSchema.safeParse({ room: 'r', name: 'n', v: 1, resume: { participantId: 'p', token: 'x'.repeat(32) } }).success).toBe(true);
  });

  it.each([
    ['empty room', { room: '', name: 'a' }],
    ['path traversal in room', { room: '../etc', name: 'a' }],
    ['room too long', { room: 'a'.repeat(65), name: 'a' }],
    ['blank name', { room: 'r', name: '   ' }],
    ['control characters in name', { room: 'r', name: 'a\u0007b' }],
    ['unknown field', { room: 'r', name: 'a', admin: true }],
    ['wrong version', { room: 'r', name: 'a', v: 2 }],
    ['number as room', { room: 5, name: 'a' }],
    ['short resume token', { room: 'r', name: 'a', resume: { participantId: 'p', token: 'x' } }],
  ])('rejects join with %s', (_label, payload) => {
    expect(JoinRequestSchema.safeParse(payload).success).toBe(false);
  });

  it('limits names and room ids', () => {
    expect(DisplayNameSchema.safeParse('x'.repeat(64)).success).toBe(true);
    expect(DisplayNameSchema.safeParse('x'.repeat(65)).success).toBe(false);
    expect(RoomIdSchema.safeParse('Team_Standup-42').success).toBe(true);
    expect(RoomIdSchema.safeParse('-starts-with-dash').success).toBe(false);
  });

  it('validates publish offers', () => {
    expect(PublishRequestSchema.safeParse({ sdp: SDP, tracks: [{ mid: '0', source: 'camera' }] }).success).toBe(true);
    expect(PublishRequestSchema.safeParse({ sdp: 'hello', tracks: [] }).success).toBe(false);
    expect(PublishRequestSchema.safeParse({ sdp: SDP, tracks: [{ mid: '0', source: 'webcam' }] }).success).toBe(false);
    expect(PublishRequestSchema.safeParse({ sdp: SDP + 'a'.repeat(MAX_REQUEST_BYTES), tracks: [] }).success).toBe(false);
    const nine = Array.from({ length: 9 }, (_, i) => ({ mid: String(i), source: 'camera' }));
    expect(PublishRequestSchema.safeParse({ sdp: SDP, tracks: nine }).success).toBe(false);
  });

  it('has a schema for every request and stable error codes', () => {
    expect(Object.keys(ClientRequests)).toEqual(
      expect.arrayContaining(['join', 'leave', 'media.restart', 'publish', 'subscriber.answer', 'track.setMuted', ...CONTROL_NAMES]),
    );
    expect(ERROR_CODES).toContain('BAD_REQUEST');
    expect(ERROR_CODES).toContain('NOT_JOINED');
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});
