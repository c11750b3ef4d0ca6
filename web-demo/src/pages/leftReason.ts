import type { MeetingEnd } from '../meeting/store.ts';

/** What the "you left" screen says, and which way back in it offers, for how the meeting ended. */
export function describeEnd(end: MeetingEnd): { title: string; detail: string; action: 'rejoin' | 'retry' | 'passcode' | 'sign-in' | 'none' } {
  switch (end.reason) {
    case 'left':
      return { title: 'You left the meeting', detail: 'Your camera and microphone are off. Rejoin whenever you are ready.', action: 'rejoin' };
    case 'error':
      return { title: 'Could not join', detail: end.error ?? 'Something went wrong while joining.', action: 'retry' };
    case 'server-shutdown':
      return { title: 'The meeting server restarted', detail: 'The meeting was interrupted. Rejoin to continue once it is back.', action: 'rejoin' };
    case 'removed':
      return { title: 'You were removed from the meeting', detail: 'A host removed you from this meeting.', action: 'rejoin' };
    case 'banned':
      // Barred people get no "Rejoin": the server would refuse it.
      return { title: 'You were removed from the meeting', detail: 'A host removed you and you cannot rejoin this meeting.', action: 'none' };
    case 'passcode':
      return {
        title: 'This meeting needs a passcode',
        detail: end.error && end.error !== 'this meeting needs a passcode' ? 'That passcode is not right. Try again.' : 'Enter the passcode you were given with the invitation.',
        action: 'passcode',
      };
    case 'locked':
      return { title: 'The meeting is locked', detail: 'A host has locked this meeting. Ask them to unlock it, then try again.', action: 'retry' };
    case 'sign-in':
      // The organisation lets only people with an account join (or this device's sign-in lapsed): log in, then come back.
      return { title: 'Log in to join', detail: end.error ?? 'Only people with an account may join meetings here.', action: 'sign-in' };
    case 'denied':
      return { title: 'You were not let in', detail: end.error ?? 'The host did not let you in.', action: 'retry' };
    default:
      return { title: 'The meeting has ended', detail: 'Rejoin to start it again with the same link.', action: 'rejoin' };
  }
}
