import { pino, type DestinationStream, type Logger as PinoLogger, type LoggerOptions } from 'pino';

/**
 * The one logger of every Muster process: pino, structured JSON on stdout (one
 * object per line, for the organisation's log collector), pretty and coloured
 * when stdout is a terminal. `LOG_LEVEL` sets the level (`info` by default).
 *
 * Code logs through a child that names what the line is about — the room,
 * participant, board or user it came from — so that one meeting's story can
 * be pulled out of a busy server's log: `log.child({ room, participant })`.
 * Secrets (tokens, passwords, host keys, passcodes) are never put in a line;
 * the redaction below is a net under that rule, not the rule.
 *
 * In a browser (the client SDK) pino's browser build writes to the console.
 */
export type Logger = PinoLogger;

/** Field names whose values are never written, wherever they appear one level deep. */
const REDACTED = ['token', 'apiToken', 'password', 'password1', 'password2', 'passcode', 'hostKey', 'resumeToken', 'meetingToken', 'invite', 'authorization', 'secret'];

/**
 * An error as a log line carries it: pino's standard fields (type, message
 * and stack, its cause folded into both; code…) without the objects libraries
 * hang on their errors.
 * node-postgres puts its whole client on a connection error, connection
 * parameters (a password among them) included; a line must not carry that,
 * nor grow by kilobytes for it.
 */
export function serializeError(error: unknown): unknown {
  const out = pino.stdSerializers.err(error as Error) as unknown;
  if (out === null || typeof out !== 'object') return out;
  for (const [key, value] of Object.entries(out)) {
    if (value !== null && typeof value === 'object' && key !== 'aggregateErrors') delete (out as Record<string, unknown>)[key];
  }
  return out;
}

function isNodeTerminal(): boolean {
  return typeof process !== 'undefined' && typeof process.stdout === 'object' && process.stdout !== null && process.stdout.isTTY === true;
}

/** `destination`: where lines go instead of stdout (tests). */
export function createLogger(options: { name?: string; level?: string; pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const env = typeof process !== 'undefined' ? process.env : {};
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? env.LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACTED, ...REDACTED.map((k) => `*.${k}`)], censor: '[redacted]' },
    base: { pid: typeof process !== 'undefined' ? process.pid : undefined },
    serializers: { err: serializeError },
  };
  if (options.destination) return pino(config, options.destination);
  if (options.pretty ?? isNodeTerminal()) {
    // A worker thread formats the lines; nothing else changes for the code that logs.
    return pino(config, pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }));
  }
  return pino(config);
}

/** The process's root logger; packages take a child of it named after themselves. */
export const log: Logger = createLogger();
