/**
 * Recordings across app hosts: two apps on one PostgreSQL and one Redis, each
 * with its own disk. A meeting held by app A is recorded on A's disk; its
 * description (shared database) says so (`filesAt`). Downloads that reach app
 * B, with the API token or with a host's link signed on B, are answered by A
 * through B, byte for byte; what B would refuse itself never leaves B; and
 * with A gone, B says the files' host did not answer instead of "no such
 * file".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled } from '@muster/db/testing';
import { redisTestsEnabled } from '@muster/kit/testing';
import { NodePeer } from '@muster/signaling/testing';
import { appsOnOneRedis } from '../../crossHost/testing.ts';
import { recordAMeeting } from './recordingTesting.ts';

const enabled = (await postgresTestsEnabled('the recordings-across-hosts test')) && (await redisTestsEnabled('the recordings-across-hosts test'));

describe.skipIf(!enabled)('recordings across two apps on one Redis', () => {
  const hosts = appsOnOneRedis({
    security: { requestLimits: { requestsPerSecond: 1e6, joinsPerMinute: 1e6, chatsPerMinute: 1e6, joinsPerMeetingPerMinute: 1e6 } },
  });
  const apps = hosts.apps;
  const peers: NodePeer[] = [];
  let closedA = false;

  beforeAll(() => hosts.setUp(), 120_000);
  afterAll(async () => {
    for (const p of peers) await p.close().catch(() => undefined);
    for (const [i, app] of apps.entries()) if (i > 0 || !closedA) await app.close();
    await hosts.tearDown();
  }, 60_000);

  const download = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
  const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

  it('downloads a recording made on app A through app B, with the API token or a link signed on B, and says when A is gone', async () => {
    const [a, b] = apps as [(typeof apps)[number], (typeof apps)[number]];
    // Ada joins through A: the meeting is A's, and so is its recording; started and stopped through B, carried to A.
    const { id, peer: ada, info } = await recordAMeeting({ hosts, owner: a, via: b, room: 'xh-rec', name: 'Ada', peers, finishMs: 60_000 });
    expect(await hosts.ownerOf('meeting-owner', 'xh-rec')).toBe(hosts.relayUrl(a));
    expect(info.state).toBe('ready');
    // Its files are on A's disk, and A's description says so.
    expect((await a.recorder.get(id))!.filesAt).toBe(hosts.relayUrl(a));
    expect(b.recorder.holdsFiles((await b.recorder.get(id))!)).toBe(false);

    const token = { authorization: `Bearer ${a.apiToken}` };
    const fromA = await download(`${a.url}/api/v1/recordings/${id}/file`, token);
    expect(fromA.status).toBe(200);
    const composite = await bytes(fromA);
    expect(composite.length).toBeGreaterThan(1_000);

    // Through B with the API token: A's answer, byte for byte, with its headers.
    const viaB = await download(`${b.url}/api/v1/recordings/${id}/file`, token);
    expect(viaB.status).toBe(200);
    expect(viaB.headers.get('content-disposition')).toMatch(/^attachment; filename="xh-rec-/);
    expect(viaB.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await bytes(viaB)).equals(composite)).toBe(true);

    // A host's link, signed on B (one key for the install), opens that file through B; A checks it too.
    const track = info.manifest.tracks[0]!.parts[0]!.files[0]!;
    const linked = await download(`${b.url}/api/v1/recordings/${id}/files/${track}?access=${encodeURIComponent(b.recorder.downloadToken(id, track))}`);
    expect(linked.status).toBe(200);
    expect((await bytes(linked)).length).toBeGreaterThan(100);
    const compositeLink = await download(`${b.url}/api/v1/recordings/${id}/file?access=${encodeURIComponent(a.recorder.downloadToken(id, 'composite'))}`);
    expect(compositeLink.status).toBe(200);
    expect((await bytes(compositeLink)).equals(composite)).toBe(true);

    // Refused on B as they would be on A, without a hop: a link for another file, no credentials, a wrong token.
    const otherFile = await download(`${b.url}/api/v1/recordings/${id}/file?access=${encodeURIComponent(b.recorder.downloadToken(id, track))}`);
    expect(otherFile.status).toBe(401);
    expect((await download(`${b.url}/api/v1/recordings/${id}/file`)).status).toBe(401);
    expect((await download(`${b.url}/api/v1/recordings/${id}/file`, { authorization: 'Bearer wrong' })).status).toBe(401);
    // A file the recording does not list, and a recording that does not exist: 404 from whichever answers.
    expect((await download(`${b.url}/api/v1/recordings/${id}/files/t9-p0-0000.webm`, token)).status).toBe(404);
    expect((await download(`${b.url}/api/v1/recordings/no-such-recording/file`, token)).status).toBe(404);
    // Malformed ids, names and links through B: coded 4xx from B itself, never a 5xx, and B goes on serving.
    const malformed = [
      `/recordings/${'x'.repeat(500)}/file`,
      `/recordings/%E0%A4%A/file`,
      `/recordings/${id}/files/%E0%A4%A`,
      `/recordings/${id}/files/..%2Fmanifest.json`,
      `/recordings/${id}/files/${'a'.repeat(300)}.webm`,
      `/recordings/${id}/file?access=${'9'.repeat(500)}`,
      `/recordings/${id}/file?access=a&access=b`,
    ];
    for (const route of malformed) {
      const status = (await download(`${b.url}/api/v1${route}`, route.includes('access=') ? {} : token)).status;
      expect(status, route).toBeGreaterThanOrEqual(400);
      expect(status, route).toBeLessThan(500);
    }
    expect((await download(`${b.url}/api/v1/recordings/${id}/file`, token)).status).toBe(200);

    // A gone: B cannot reach the files' host, and says so (not "no such file").
    await ada.close();
    await a.close();
    closedA = true;
    const away = await download(`${b.url}/api/v1/recordings/${id}/file`, token);
    expect(away.status).toBe(503);
    expect(away.headers.get('retry-after')).toBe('1');
    expect(((await away.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    // Its description is still listed through B (the database is shared).
    expect((await hosts.rest(b, 'GET', `/recordings/${id}`)).body).toMatchObject({ id, state: 'ready' });
  }, 150_000);
});
