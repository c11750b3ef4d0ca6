import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ pretty: false, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { log, lines };
}

describe('the logger', () => {
  it('writes an error’s message, code and cause, but not the objects the objects a library hangs on it (a pg client with its password)', () => {
    const { log, lines } = capture();
    const error = Object.assign(new Error('terminating connection due to administrator command', { cause: new Error('socket closed') }), {
      code: '57P01',
      client: { connectionParameters: { user: 'muster', password: 'hunter2-db-password', host: 'db' } },
    });
    log.warn({ err: error }, 'db: connection lost');
    expect(lines).toHaveLength(1);
    const err = lines[0]!.err as Record<string, unknown>;
    // pino writes the cause into the message and the stack.
    expect(err).toMatchObject({ type: 'Error', message: 'terminating connection due to administrator command: socket closed', code: '57P01' });
    expect(JSON.stringify(lines[0])).not.toContain('hunter2-db-password');
    expect(err.client).toBeUndefined();
  });

  it('redacts secrets by field name, at the top and one level down', () => {
    const { log, lines } = capture();
    log.info({ token: 'tok-123456', participant: { id: 'p1', passcode: '4711' } }, 'joined');
    expect(lines[0]).toMatchObject({ token: '[redacted]', participant: { id: 'p1', passcode: '[redacted]' } });
  });
});
