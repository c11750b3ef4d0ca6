/**
 * Test helpers: accounts on a test database with a clock the test moves, the
 * cheapest Argon2id, and the `log` channel's codes at hand (as a person
 * reading the server log would have them).
 */
import type { Database } from '@muster/db';
import { MemoryLimits } from '@muster/kit/limits';
import { createLogger, type Logger } from '@muster/kit/log';
import { Accounts, type AccountsOptions } from '../domain/Accounts.ts';
import { LogCodeChannel } from '../domain/CodeChannel.ts';
import { TEST_PASSWORD_COST } from '../domain/passwords.ts';
import type { CodePurpose } from '../protocol.ts';

export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function testClock(start = Date.now()): TestClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface TestAccounts {
  accounts: Accounts;
  channel: LogCodeChannel;
  clock: TestClock;
  /** The newest code the log channel delivered for this number and purpose. */
  code(phone: string, purpose: CodePurpose): string;
  /** Every line the accounts logged, as written. */
  logLines: string[];
}

export async function openTestAccounts(db: Database, options: Partial<AccountsOptions> = {}): Promise<TestAccounts> {
  const logLines: string[] = [];
  const logger: Logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
  const clock = testClock();
  const channel = new LogCodeChannel(logger);
  const delivered = new Map<string, string>();
  channel.onCode((p) => delivered.set(`${p.phone}|${p.purpose}`, p.code));
  const accounts = await Accounts.open({ db, logger, limits: new MemoryLimits(), channel, passwordCost: TEST_PASSWORD_COST, now: clock.now, ...options });
  return {
    accounts,
    channel,
    clock,
    logLines,
    code(phone, purpose) {
      const code = delivered.get(`${phone}|${purpose}`);
      if (!code) throw new Error(`no ${purpose} code was delivered to ${phone}`);
      return code;
    },
  };
}
