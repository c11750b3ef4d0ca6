import { describe, expect, it } from 'vitest';
import { describeEnd } from './leftReason.ts';

describe('describeEnd', () => {
  it('offers the right way back in', () => {
    expect(describeEnd({ reason: 'left' }).action).toBe('rejoin');
    expect(describeEnd({ reason: 'error', error: 'boom' })).toMatchObject({ title: 'Could not join', detail: 'boom', action: 'retry' });
    expect(describeEnd({ reason: 'locked' }).action).toBe('retry');
    expect(describeEnd({ reason: 'denied' }).action).toBe('retry');
    expect(describeEnd({ reason: 'banned' }).action).toBe('none');
    expect(describeEnd({ reason: 'sign-in', error: 'Only people with an account may join meetings here.' })).toMatchObject({ title: 'Log in to join', action: 'sign-in' });
    expect(describeEnd({ reason: 'room-ended' })).toMatchObject({ title: 'The meeting has ended', action: 'rejoin' });
  });

  it('asks for a passcode, and says when the one given was wrong', () => {
    expect(describeEnd({ reason: 'passcode', error: 'this meeting needs a passcode' })).toMatchObject({ action: 'passcode', detail: 'Enter the passcode you were given with the invitation.' });
    expect(describeEnd({ reason: 'passcode', error: 'wrong passcode' }).detail).toBe('That passcode is not right. Try again.');
  });
});
