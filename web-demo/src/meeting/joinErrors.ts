/** What to tell someone whose join failed, from the server's error code. */
export function joinErrorMessage(error: unknown): string {
  const code = (error as { code?: string })?.code;
  const message = (error as Error)?.message;
  switch (code) {
    case 'TIMEOUT':
      return 'The meeting server did not answer. Check your connection and try again.';
    case 'FORBIDDEN':
      return message ? `You cannot join: ${message}.` : 'You are not allowed to join this meeting.';
    case 'LOCKED':
      return 'The meeting is locked. Ask a host to unlock it.';
    case 'PASSCODE_REQUIRED':
      return message || 'This meeting needs a passcode.';
    case 'DENIED':
      return message || 'The host did not let you in.';
    case 'BAD_REQUEST':
      return message || 'The meeting code or your name was not accepted.';
    case 'RATE_LIMITED':
      return 'Too many attempts. Wait a moment and try again.';
    case 'SIGN_IN_REQUIRED':
      return 'Only people with an account may join meetings here. Log in, then open the link again.';
    case 'UNAUTHORIZED':
      return 'Your sign-in is no longer valid. Log in again, then rejoin.';
    case 'MEDIA_UNAVAILABLE':
      return 'The media server is busy or restarting. Try again in a moment.';
    default:
      return message || 'Could not join the meeting.';
  }
}
