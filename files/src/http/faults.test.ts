/**
 * Faults: a server SIGKILLed in the middle of a large upload resumes after a
 * restart from the offset HEAD reports; a disk that fills during an upload
 * stops that upload with STORAGE_FULL while others carry on.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@muster/db';
import { silentLogger, tempDir, TEST_KDF_COST, TEST_KEYS } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { Files } from '../Files.ts';
import { LocalStorage } from '../domain/LocalStorage.ts';
import { spawnFilesFixture } from '../testing/children.ts';
import { as, fakeAnalyze, startTestApp, TusClient } from '../testing/index.ts';

const sha = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');

describe('a server killed mid-upload', () => {
  const dataDir = tempDir('muster-files-crash-');
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('resumes a 20 MB upload after SIGKILL and a restart from the offset HEAD reports; the bytes match', async () => {
    const content = crypto.randomBytes(20 * 1024 * 1024);
    let child = spawnFilesFixture('uploadServer', { MUSTER_TEST_DATA_DIR: dataDir });
    let url = (await child.waitForLine((l) => l.startsWith('listening '), 'the fixture to listen')).slice('listening '.length);
    const ann = new TusClient(url, as('ann'));
    const id = await ann.start(content.length, { filename: 'big.bin' });
    const onDisk = path.join(dataDir, 'files', 'uploads', id);
    // One PATCH of the whole file, fed 256 KiB at a time; the server is killed once a few MB are on disk.
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= content.length) return controller.close();
        controller.enqueue(new Uint8Array(content.subarray(sent, sent + 262_144)));
        sent += 262_144;
      },
    });
    const patch = fetch(`${url}/api/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', ...as('ann') },
      body,
      duplex: 'half',
    } as RequestInit).catch((error: unknown) => error);
    await waitUntil(() => fs.existsSync(onDisk) && fs.statSync(onDisk).size > 4 * 1024 * 1024, 60_000, 'a few MB on disk', 20);
    await child.kill('SIGKILL');
    expect(await patch).toBeInstanceOf(Error);

    child = spawnFilesFixture('uploadServer', { MUSTER_TEST_DATA_DIR: dataDir });
    try {
      url = (await child.waitForLine((l) => l.startsWith('listening '), 'the restarted fixture')).slice('listening '.length);
      const again = new TusClient(url, as('ann'));
      const offset = Number((await again.head(id)).headers.get('upload-offset'));
      expect(offset).toBeGreaterThan(4 * 1024 * 1024);
      expect(offset).toBeLessThan(content.length);
      for (let at = offset; at < content.length; at += 4 * 1024 * 1024) {
        expect((await again.patch(id, at, content.subarray(at, at + 4 * 1024 * 1024))).status).toBe(204);
      }
      const res = await fetch(`${url}/api/v1/files/${id}`, { headers: as('ann') });
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(content));
    } finally {
      await child.kill('SIGKILL');
    }
  }, 120_000);
});

/** A 3 MiB tmpfs for the files (the database stays on another disk); needs root or CAP_SYS_ADMIN. */
function mountSmallDisk(): string | null {
  const dir = tempDir('muster-files-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    return dir;
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    if (process.env.CI === 'true') throw new Error(`cannot mount a tmpfs for the files disk-full test (CI=true: this is a failure): ${reason}`);
    console.warn(['', '!'.repeat(78), '!!  SKIPPING the files disk-full test (files/src/http/faults.test.ts):', `!!  cannot mount a small tmpfs: ${reason}`, '!!  Run as root (or with CAP_SYS_ADMIN). Under CI=true this fails instead.', '!'.repeat(78), ''].join('\n'));
    return null;
  }
}

const disk = mountSmallDisk();

describe.skipIf(!disk)('a disk that fills during an upload', () => {
  afterAll(() => {
    try {
      execFileSync('umount', [disk!], { stdio: 'pipe' });
    } finally {
      fs.rmSync(disk!, { recursive: true, force: true });
    }
  });

  it('stops that upload with 507 STORAGE_FULL, keeps what was stored, and lets others carry on once there is room', async () => {
    const dbDir = tempDir('muster-files-full-db-');
    const db = await openDatabase({ dataDir: dbDir, keys: TEST_KEYS, kdfCost: TEST_KDF_COST, logger: silentLogger });
    const files = await Files.open({ db, dataDir: dbDir, logger: silentLogger, analyze: fakeAnalyze, sweepIntervalMs: 0, storage: new LocalStorage(disk!) });
    const app = await startTestApp(files);
    try {
      const ann = new TusClient(app.url, as('ann'));
      const bob = new TusClient(app.url, as('bob'));
      const small = await bob.start(1000, { filename: 'note.txt' });
      const big = await ann.start(8 * 1024 * 1024, { filename: 'huge.bin' });
      const full = await ann.patch(big, 0, crypto.randomBytes(8 * 1024 * 1024));
      expect(full.status, full.text).toBe(507);
      expect(JSON.parse(full.text).error.code).toBe('STORAGE_FULL');
      const stored = Number((await ann.head(big)).headers.get('upload-offset'));
      expect(stored).toBeGreaterThan(0);
      // Room again (the big upload cancelled): the other person's upload goes through, and the server still answers.
      expect((await ann.delete(big)).status).toBe(204);
      const bytes = crypto.randomBytes(1000);
      expect((await bob.patch(small, 0, bytes)).status).toBe(204);
      const res = await fetch(`${app.url}/api/v1/files/${small}`, { headers: as('bob') });
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      await app.close();
      await files.close();
      await db.close();
      fs.rmSync(dbDir, { recursive: true, force: true });
    }
  });
});
