/**
 * Loggers for tests: db logs through the kit's logger (pino), so what a test
 * passes is a pino logger too, one that writes nothing or one that keeps its
 * lines for the test to read.
 */
import type { Logger } from '@muster/kit/log';
import { pino } from 'pino';
import { log } from '../log.ts';

/** db's logger, silenced: what tests pass when they do not look at the lines. */
export const silentLogger: Logger = log.child({}, { level: 'silent' });

/** One logged line as pino serialises it: its fields, `level` as a name, `msg`. */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface RecordingLogger {
  logger: Logger;
  /** Every line logged, oldest first, at every level. */
  lines: LogLine[];
  /** The messages logged at `level`, or at every level. */
  messages(level?: string): string[];
}

/**
 * A logger that keeps every line, serialised as it would be written (errors
 * included), so a test can check what is logged, and that no secret is.
 */
export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'trace', base: { component: 'db' }, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines, messages: (level) => lines.filter((line) => level === undefined || line.level === level).map((line) => line.msg) };
}
