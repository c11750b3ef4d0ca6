/**
 * The words of a notification, from what is known about the messages it
 * stands for. Names only (who wrote, which group) unless the person allows
 * previews; then the latest message's text, or what kind of message it is.
 */

/** A message's preview: its text for text and emoji, a label for the rest (at most 140 characters, one line). */
export function previewOf(message: { type: string; text?: string; fileName?: string }): string | null {
  const one = (s: string) => {
    const line = s.replace(/\s+/g, ' ').trim();
    return line.length > 140 ? `${line.slice(0, 139)}…` : line;
  };
  switch (message.type) {
    case 'text':
    case 'emoji':
      return message.text ? one(message.text) : null;
    case 'image':
      return '[Photo]';
    case 'video':
      return '[Video]';
    case 'voice':
      return '[Voice message]';
    case 'file':
      return message.fileName ? one(`[File] ${message.fileName}`) : '[File]';
    case 'forward':
      return '[Chat history]';
    case 'call':
      return '[Call]';
    default:
      return '[Message]';
  }
}

export interface NotificationFacts {
  kind: 'direct' | 'group';
  /** Groups: the group's name. */
  groupName: string | null;
  /** The senders' names as the recipient knows them (their remark, else nickname), first sender first. */
  senders: readonly string[];
  /** Who sent the latest message counted. */
  lastSender: string;
  /** Messages it stands for. */
  count: number;
  /** One of them @mentions the recipient (or @everyone): who did. */
  mentionedBy: string | null;
  /** The latest message's preview, when previews are on and it is not recalled; else null. */
  preview: string | null;
}

const messages = (n: number) => (n === 1 ? '1 new message' : `${n} new messages`);

export function notificationText(f: NotificationFacts): { title: string; body: string } {
  if (f.kind === 'direct') {
    const name = f.lastSender;
    if (f.preview !== null) return { title: name, body: f.count === 1 ? f.preview : `[${f.count}] ${f.preview}` };
    return { title: name, body: f.count === 1 ? `New message from ${name}` : `${f.count} new messages from ${name}` };
  }
  const group = f.groupName ?? 'a group';
  const who = f.senders.length <= 1 ? f.lastSender : `${f.senders[0]} and others`;
  if (f.preview !== null) {
    const mention = f.mentionedBy !== null ? '[You were mentioned] ' : '';
    const counted = f.count === 1 ? '' : `[${f.count}] `;
    return { title: group, body: `${mention}${counted}${f.lastSender}: ${f.preview}` };
  }
  if (f.mentionedBy !== null) return { title: group, body: `${f.mentionedBy} mentioned you in ${group}${f.count > 1 ? ` (${messages(f.count)})` : ''}` };
  return { title: group, body: `${who} in ${group}: ${messages(f.count)}` };
}
