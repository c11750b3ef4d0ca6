import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '@muster/db';
import { silentLogger, TEST_KEYS } from '@muster/db/testing';
import { AccountRepository } from './store/AccountRepository.ts';
import { LinkRepository } from './store/LinkRepository.ts';

const run = promisify(execFile);
const cli = path.join(path.dirname(new URL(import.meta.url).pathname), 'cli.ts');

describe('npm run admin -- create-admin', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('makes an admin and prints a working one-time set-up link; a bad number is refused', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'muster-admin-cli-'));
    dirs.push(dataDir);
    const env = { ...process.env, MUSTER_DATA_DIR: dataDir, MUSTER_KEY_PASSWORD_1: TEST_KEYS.password1, MUSTER_KEY_PASSWORD_2: TEST_KEYS.password2, PUBLIC_URL: 'https://muster.example.org', DATABASE_URL: '' };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', cli, 'create-admin', '138 0013 8000'], { env });
    const link = /https:\/\/muster\.example\.org\/admin\/setup#([A-Za-z0-9_-]{43})/.exec(stdout);
    expect(link, stdout).not.toBeNull();
    const failed = await run(process.execPath, ['--import', 'tsx', cli, 'create-admin', '12'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('PHONE_INVALID') });

    const db = await openDatabase({ dataDir, keys: TEST_KEYS, logger: silentLogger });
    try {
      const admin = await new AccountRepository(db).findByPhone('+8613800138000');
      expect(admin).toMatchObject({ role: 'admin', status: 'active' });
      expect(await new LinkRepository(db).peek(link![1]!, 'admin-setup', Date.now())).toEqual({ ok: true, accountId: admin!.id });
    } finally {
      await db.close();
    }
  });
});
