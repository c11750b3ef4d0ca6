/**
 * Firefox ESR and Chromium in one meeting, through the web client and the
 * SFU: each sees and hears the other. Firefox publishes differently from
 * Chromium (VP8 simulcast, as it cannot encode VP9 SVC; every section after
 * the first offered with port 0 and a=bundle-only), and the SFU once answered
 * its camera as rejected: nobody saw Firefox (docs/architecture.md, "Firefox:
 * bundle-only sections").
 */
import type { Browser as FirefoxBrowser, Page as FirefoxPage } from 'puppeteer-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil } from '@muster/server/testing';
import { assertWebClientBuilt, browserTestsEnabled, expectNoCspViolations, launchBrowser, openMeeting, participantId } from './fixtures/browser.ts';
import { firefoxTestsEnabled, launchFirefox, openFirefoxMeeting } from './fixtures/firefox.ts';
import { diagnoseRemoteVideo, probeAudioElements, probeFramesDecoded, probeInboundAudio, probeVideos, type MeetingPage } from './fixtures/probes.ts';

const ROOM = 'e2e-firefox';

interface ProducerSummary {
  kind: string;
  source: string;
  codec: string;
}

describe.skipIf(!browserTestsEnabled() || !firefoxTestsEnabled())('web client: Firefox ESR and Chromium in one meeting', { timeout: 120_000 }, () => {
  // The server's Content-Security-Policy is strict: any violation a page reports (Firefox's too) fails the test.
  afterEach(async () => {
    // Firefox's reports come over BiDi after a hop of their own: one round trip to its page lets them land.
    await firefoxPage?.evaluate(() => 0).catch(() => undefined);
    await expectNoCspViolations();
  });
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let chromium: Browser;
  let firefox: FirefoxBrowser;
  let chromiumPage: Page;
  let firefoxPage: FirefoxPage;
  let chromiumId: string;
  let firefoxId: string;

  beforeAll(async () => {
    assertWebClientBuilt();
    server = await startTestServer();
    [chromium, firefox] = await Promise.all([launchBrowser(), launchFirefox()]);
  }, 120_000);

  afterAll(async () => {
    await firefox?.close();
    await chromium?.close();
    await server?.close();
  });

  /** Both pages, each with the participant it should see. */
  const both = (): [MeetingPage, string, string][] => [
    [chromiumPage, 'Chromium', firefoxId],
    [firefoxPage, 'Firefox', chromiumId],
  ];

  it('both join, and the SFU has a camera and a microphone from each', async () => {
    // Chromium first, as reported: Firefox then joins a meeting that already has VP9 video.
    chromiumPage = await openMeeting(chromium, server.url, ROOM, 'Chromium Ada');
    firefoxPage = await openFirefoxMeeting(firefox, server.url, ROOM, 'Firefox Grace');
    [chromiumId, firefoxId] = await Promise.all([participantId(chromiumPage), participantId(firefoxPage)]);

    const producersOf = async (id: string): Promise<ProducerSummary[]> => {
      const dump = (await (await fetch(`${server.url}/api/v1/rooms/${ROOM}`, { headers: { authorization: `Bearer ${server.apiToken}` } })).json()) as {
        participants: { id: string; producers: ProducerSummary[] }[];
      };
      return dump.participants.find((p) => p.id === id)?.producers ?? [];
    };
    const firefoxProducers = await waitUntil(
      async () => {
        const producers = await producersOf(firefoxId);
        return producers.length === 2 ? producers : null;
      },
      20_000,
      "Firefox's two producers",
    );
    // The camera is the one the SFU used to answer as rejected. Firefox cannot
    // encode VP9 SVC, so the client sends it as VP8 (simulcast).
    expect(firefoxProducers.map((p) => `${p.source}:${p.codec}`).sort()).toEqual(['camera:video/VP8', 'microphone:audio/opus']);
    expect((await producersOf(chromiumId)).map((p) => p.source).sort()).toEqual(['camera', 'microphone']);
  });

  it("each decodes the other's camera, and the frames keep coming", async () => {
    await Promise.all(
      both().map(async ([page, who, other]) => {
        const first = await waitUntil(
          async () => {
            const v = (await probeVideos(page, [other]))[other]!;
            return v.frames > 0 && v.width > 0 ? v : null;
          },
          30_000,
          `${who} decoding the other camera`,
        ).catch(async (error: Error) => {
          throw new Error(`${error.message}\n${await diagnoseRemoteVideo(page, other)}`);
        });
        await waitUntil(
          async () => {
            const v = (await probeVideos(page, [other]))[other]!;
            return v.frames >= first.frames + 10 && v.width > 0 && !v.paused;
          },
          30_000,
          `${who}'s remote video frames advancing`,
        ).catch(async (error: Error) => {
          throw new Error(`${error.message}\n${await diagnoseRemoteVideo(page, other)}`);
        });
        // The decoder's own count too, not only the element's.
        const before = await probeFramesDecoded(page);
        expect(before).toBeGreaterThan(0);
        await waitUntil(async () => (await probeFramesDecoded(page)) > before + 10, 30_000, `${who}'s decoder frame count growing`);
      }),
    );
  });

  it("each receives the other's microphone and plays it", async () => {
    await Promise.all(
      both().map(async ([page, who, other]) => {
        const before = await waitUntil(
          async () => {
            const a = await probeInboundAudio(page);
            return Object.keys(a).length >= 1 ? a : null;
          },
          25_000,
          `${who} receiving an audio stream`,
        );
        await waitUntil(
          async () => {
            const a = await probeInboundAudio(page);
            return Object.keys(before).every((k) => (a[k] ?? 0) > before[k]! + 20);
          },
          25_000,
          `${who}'s inbound audio packets increasing`,
        );
        await waitUntil(
          async () => (await probeAudioElements(page)).some((e) => e.participantId === other && e.playing),
          15_000,
          `${who} playing the other's audio`,
        );
      }),
    );
  });
});
