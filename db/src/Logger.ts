/**
 * The logging this package needs: pino's `(object, message)` call shape, so a
 * pino logger (or the coming @muster/kit one) is passed in as it is.
 */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The default: a library writes nothing to the console unless given a logger. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};

/** One JSON line per entry on stderr, for the operator CLI (stdout carries command output). */
export const stderrLogger: Logger = {
  info: (obj, msg) => writeLine('info', obj, msg),
  warn: (obj, msg) => writeLine('warn', obj, msg),
  error: (obj, msg) => writeLine('error', obj, msg),
};

function writeLine(level: string, obj: object, msg: string): void {
  process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...serialisable(obj) })}\n`);
}

function serialisable(obj: object): object {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    out[key] = value instanceof Error ? { message: value.message, code: (value as { code?: unknown }).code } : value;
  }
  return out;
}
