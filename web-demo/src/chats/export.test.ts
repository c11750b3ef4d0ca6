/** The export dialog's pure parts: presets, custom days, the picked messages' range, the words for refusals. */
import { describe, expect, it } from 'vitest';
import { ImClientError } from '@muster/im/client';
import { customRange, dayValue, exportDoneText, exportErrorText, pickedProblem, pickedRange, presetRange } from './exportViewModel.ts';

const at = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => new Date(y, mo - 1, d, h, mi, s, ms).getTime();

describe('export ranges', () => {
  const now = new Date(2025, 2, 10, 15, 30);

  it('presets are whole local days, today included, to the end of today', () => {
    expect(presetRange('today', now)).toEqual({ from: at(2025, 3, 10), to: at(2025, 3, 10, 23, 59, 59, 999) });
    expect(presetRange('week', now)).toEqual({ from: at(2025, 3, 4), to: at(2025, 3, 10, 23, 59, 59, 999) });
    // Across a month's end.
    expect(presetRange('month', now)).toEqual({ from: at(2025, 2, 9), to: at(2025, 3, 10, 23, 59, 59, 999) });
  });

  it('custom days: the first day’s start to the last day’s end; wrong or reversed days and over 366 days are refused in words', () => {
    expect(dayValue(now)).toBe('2025-03-10');
    expect(customRange('2025-03-01', '2025-03-10')).toEqual({ from: at(2025, 3, 1), to: at(2025, 3, 10, 23, 59, 59, 999) });
    expect(customRange('2025-03-10', '2025-03-10')).toEqual({ from: at(2025, 3, 10), to: at(2025, 3, 10, 23, 59, 59, 999) });
    expect(customRange('2025-03-11', '2025-03-10')).toEqual({ error: 'The first day is after the last day.' });
    expect(customRange('', '2025-03-10')).toEqual({ error: 'Choose the first and the last day.' });
    expect(customRange('2025-02-30', '2025-03-10')).toEqual({ error: 'Choose the first and the last day.' });
    expect(customRange('2024-01-01', '2025-03-10')).toEqual({ error: 'A range spans at most 366 days.' });
    expect('error' in customRange('2024-03-10', '2025-03-09')).toBe(false);
  });

  it('picked messages: their earliest to their latest time, a second either side; nothing to go by, none', () => {
    expect(pickedRange([{ sentAt: 5_000 }, { sentAt: 2_000 }, { sentAt: 9_000 }])).toEqual({ from: 1_000, to: 10_000 });
    expect(pickedRange([{ sentAt: 0 }])).toBeNull();
    expect(pickedRange([])).toBeNull();
    expect(pickedProblem(0)).toMatch(/Select/);
    expect(pickedProblem(2)).toBeNull();
    expect(pickedProblem(1000)).toBeNull();
    expect(pickedProblem(1001)).toMatch(/At most 1000/);
  });
});

describe('export words', () => {
  it('says what each refusal means', () => {
    const text = (code: string, status?: number) => exportErrorText(new ImClientError(code, 'raw', status));
    expect(text('NOT_FOUND', 404)).toMatch(/not available/);
    expect(text('FORBIDDEN', 403)).toBe('In this group only the owner and admins can export the chat.');
    expect(text('EXPORT_TOO_LARGE', 400)).toMatch(/more than 10,000 messages: choose a shorter range/);
    expect(text('EXPORT_FONT_MISSING', 503)).toMatch(/PDF.*Word or Markdown/);
    expect(text('RATE_LIMITED', 429)).toMatch(/try again in a minute/);
    expect(text('NETWORK')).toMatch(/No connection/);
    expect(text('MUTED', 403)).toMatch(/muted/);
    expect(text('BAD_REQUEST', 400)).toBe('The export was refused: raw.');
    expect(text('INTERNAL', 500)).toBe('The export failed: raw');
    expect(exportErrorText(new Error(''))).toBe('The export failed.');
  });

  it('says what was saved', () => {
    expect(exportDoneText(1, 'a.md', false)).toBe('Exported 1 message to a.md.');
    expect(exportDoneText(4, '项目组 2025-03-10.docx', true)).toBe('Exported 4 messages to 项目组 2025-03-10.docx, and sent it to this chat.');
  });
});
