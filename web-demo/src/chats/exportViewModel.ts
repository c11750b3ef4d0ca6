/**
 * The export dialog's pure parts (tested in export.test.ts): the range
 * presets and the custom days, the range of picked messages, the formats'
 * labels, and readable words for each refusal.
 */
import { MAX_EXPORT_MESSAGES, MAX_EXPORT_PICKED, MAX_EXPORT_RANGE_DAYS, type ExportFormat } from '@muster/im/client';

export type RangePreset = 'today' | 'week' | 'month' | 'custom';

export const RANGE_PRESETS: readonly { id: RangePreset; label: string }[] = [
  { id: 'today', label: 'Today' },
  { id: 'week', label: 'Last 7 days' },
  { id: 'month', label: 'Last 30 days' },
  { id: 'custom', label: 'Custom' },
];

export const FORMAT_CHOICES: readonly { id: ExportFormat; label: string }[] = [
  { id: 'docx', label: 'Word (.docx)' },
  { id: 'pdf', label: 'PDF' },
  { id: 'md', label: 'Markdown' },
];

/** A range in Unix ms, both ends inclusive. */
export interface ExportRange {
  from: number;
  to: number;
}

function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

function endOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), 23, 59, 59, 999);
}

/**
 * A preset's range in the device's time zone: whole days, today included,
 * to the end of today (so a message the server stamps a moment "later" than
 * this device's clock is still in).
 */
export function presetRange(preset: Exclude<RangePreset, 'custom'>, now: Date): ExportRange {
  const days = preset === 'today' ? 1 : preset === 'week' ? 7 : 30;
  const first = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  return { from: startOfDay(first).getTime(), to: endOfDay(now).getTime() };
}

/** A day as a date input's value (`YYYY-MM-DD`, local). */
export function dayValue(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function parseDay(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getMonth() === Number(m[2]) - 1 ? d : null;
}

/** Two date inputs' days as a range (the first day's start to the last day's end), or what is wrong with them. */
export function customRange(fromDay: string, toDay: string): ExportRange | { error: string } {
  const from = parseDay(fromDay);
  const to = parseDay(toDay);
  if (!from || !to) return { error: 'Choose the first and the last day.' };
  if (from.getTime() > to.getTime()) return { error: 'The first day is after the last day.' };
  const range = { from: startOfDay(from).getTime(), to: endOfDay(to).getTime() };
  if (range.to - range.from > MAX_EXPORT_RANGE_DAYS * 86_400_000) return { error: `A range spans at most ${MAX_EXPORT_RANGE_DAYS} days.` };
  return range;
}

/** The range the picked messages span (a second either side); null when none has a time. */
export function pickedRange(messages: readonly { sentAt: number }[]): ExportRange | null {
  const times = messages.map((m) => m.sentAt).filter((t) => Number.isFinite(t) && t > 0);
  if (times.length === 0) return null;
  return { from: Math.min(...times) - 1000, to: Math.max(...times) + 1000 };
}

/** Why "Export selected" cannot go now, or null. */
export function pickedProblem(count: number): string | null {
  if (count === 0) return 'Select the messages to export.';
  if (count > MAX_EXPORT_PICKED) return `At most ${MAX_EXPORT_PICKED} messages can be exported at once: select fewer.`;
  return null;
}

/** What the person reads when an export is refused, by the server's code. */
export function exportErrorText(error: unknown): string {
  const e = error as { code?: string; message?: string } | null;
  switch (e?.code) {
    case 'NOT_FOUND':
      return 'This chat is not available to you any more (you may have left it).';
    case 'FORBIDDEN':
      return 'In this group only the owner and admins can export the chat.';
    case 'EXPORT_TOO_LARGE':
      return `That range holds more than ${MAX_EXPORT_MESSAGES.toLocaleString('en-US')} messages: choose a shorter range.`;
    case 'EXPORT_FONT_MISSING':
      return 'This server cannot make PDFs with Chinese text yet (it has no CJK font): choose Word or Markdown, or ask your administrator.';
    case 'RATE_LIMITED':
      return 'Too many exports in a short time: try again in a minute.';
    case 'MUTED':
      return 'Exported, but it could not be sent to this chat: you are muted here.';
    case 'REFUSED_BY_RECIPIENT':
      return 'It could not be sent to this chat: the other person does not accept your messages.';
    case 'NETWORK':
    case 'TIMEOUT':
      return 'No connection to the server: try again when you are back online.';
    case 'VALIDATION':
    case 'BAD_REQUEST':
      return `The export was refused: ${e.message ?? 'check the range'}.`;
    default:
      return `The export failed${e?.message ? `: ${e.message}` : '.'}`;
  }
}

/** The line shown after an export. */
export function exportDoneText(count: number, filename: string, sent: boolean): string {
  return `Exported ${count} message${count === 1 ? '' : 's'} to ${filename}${sent ? ', and sent it to this chat' : ''}.`;
}
