/**
 * For the scenarios' tests: one real run of `npm run loadtest`, its reports
 * written into a temporary directory that is removed afterwards, whatever
 * happened.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface LoadtestRun {
  /** The JSON report, parsed (shapes differ by scenario). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  report: any;
  markdown: string;
  stdout: string;
  /** The reports are `<name>.json` and `<name>.md` in it, and any chart or config beside them. */
  dir: string;
}

/** Runs `npm run loadtest -- …args --json <dir>/<name>.json --md <dir>/<name>.md` (killed after `timeoutMs`) and hands `check` what it wrote. */
export async function checkLoadtestRun(name: string, args: readonly string[], timeoutMs: number, check: (run: LoadtestRun) => void | Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `muster-${name}-lt-`));
  const json = path.join(dir, `${name}.json`);
  const md = path.join(dir, `${name}.md`);
  try {
    const { stdout } = await promisify(execFile)('npm', ['run', 'loadtest', '--', ...args, '--json', json, '--md', md], { cwd: REPO, timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
    await check({ report: JSON.parse(fs.readFileSync(json, 'utf8')), markdown: fs.readFileSync(md, 'utf8'), stdout, dir });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
