import { meetingLink } from '../router.ts';

/** Copies the meeting link and says so on the button for a moment. */
export async function copyLink(roomId: string, button: HTMLElement): Promise<void> {
  const link = meetingLink(roomId);
  const label = button.querySelector('span');
  // Remembered on the element, so a second click while it says "Copied" restores the right text.
  if (label && !label.dataset.label) label.dataset.label = label.textContent ?? '';
  const original = label?.dataset.label ?? '';
  try {
    await navigator.clipboard.writeText(link);
    if (label) label.textContent = 'Copied';
  } catch {
    // Clipboard API needs a secure context; fall back to a prompt people can copy from.
    window.prompt('Copy this meeting link', link);
  }
  setTimeout(() => {
    if (label) label.textContent = original;
  }, 1500);
}
