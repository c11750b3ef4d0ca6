/**
 * Fault tolerance end to end: the media worker carrying a meeting is killed
 * while two people in Chromium are talking. Both must see and hear each other
 * again, on a new worker, within 5 s, without touching anything.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil } from '../../signaling/src/testing/testServer.ts';
import { assertWebClientBuilt, browserTestsEnabled, launchBrowser, openMeeting, participantId } from './testing/browser.ts';
import { probeInboundAudio, probeVideos } from './testing/probes.ts';

const ROOM = 'e2e-failover';

/** Sum of audio packets received, and the frame counter of the other person's camera tile. */
async function mediaState(page: Page, otherId: string): Promise<{ audio: number; frames: number; width: number }> {
  const [audio, videos] = await Promise.all([probeInboundAudio(page), probeVideos(page, [otherId])]);
  return { audio: Object.values(audio).reduce((a, b) => a + b, 0), frames: videos[otherId]!.frames, width: videos[otherId]!.width };
}

describe.skipIf(!browserTestsEnabled())('web client: a media worker dies mid-meeting', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;

  beforeAll(async () => {
    assertWebClientBuilt();
    server = await startTestServer({ media: { numWorkers: 2 } });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('both people are back in the meeting on a new worker within 5 s, with no user action', async () => {
    const pages = [await openMeeting(browser, server.url, ROOM, 'Ada'), await openMeeting(browser, server.url, ROOM, 'Grace')];
    const ids = await Promise.all(pages.map((p) => participantId(p)));
    const other = (i: number) => ids[1 - i]!;
    for (const [i, page] of pages.entries()) {
      await waitUntil(async () => {
        const s = await mediaState(page, other(i));
        return s.frames > 10 && s.audio > 20;
      }, 30_000, 'media before the crash');
    }
    const room = server.rooms.get(ROOM)!;
    const doomed = room.worker;

    const killedAt = Date.now();
    doomed.kill('SIGKILL');

    // Back = a rebuilt subscriber connection whose camera frames advance and whose audio flows.
    await Promise.all(
      pages.map(async (page, i) => {
        await page.waitForFunction(() => window.__muster?.room.state === 'connected' && window.__muster?.room.peerConnections.subscriber?.connectionState === 'connected', undefined, { timeout: 5_000, polling: 100 });
        const start = await mediaState(page, other(i));
        await waitUntil(async () => {
          const now = await mediaState(page, other(i));
          return now.width > 0 && now.frames > start.frames + 3 && now.audio > 10 ? now : null;
        }, Math.max(500, 5_000 - (Date.now() - killedAt)), `${i ? 'Grace' : 'Ada'} sees and hears the other again`);
      }),
    );
    const recoveredMs = Date.now() - killedAt;
    console.log(`[failover] both browsers see and hear each other ${recoveredMs} ms after the worker was killed`);
    expect(recoveredMs).toBeLessThan(5_000);
    expect(room.worker).not.toBe(doomed);
    // Nobody left or rejoined: same people, same ids.
    expect(await Promise.all(pages.map((p) => participantId(p)))).toEqual(ids);
    expect(room.participants.size).toBe(2);
  });
});
