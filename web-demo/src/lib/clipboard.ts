import { meetingLink } from '../app/router.ts';

/**
 * Puts text on the clipboard. Resolves true when it did; false when the
 * Clipboard API is unavailable (it needs a secure context) and the person was
 * shown a prompt to copy from instead, which needs no DOM of our own.
 */
export async function copyText(text: string, promptLabel = 'Copy this link'): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    window.prompt(promptLabel, text);
    return false;
  }
}

/** Copies the meeting link (see copyText). */
export function copyMeetingLink(roomId: string): Promise<boolean> {
  return copyText(meetingLink(roomId), 'Copy this meeting link');
}
