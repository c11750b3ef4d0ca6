/**
 * A video call from a chat in the real web client, in headless Chromium
 * against a whole server: Ann video-calls Ben from their conversation, Ben's
 * page rings and he accepts, and both decode the other's video (the fake
 * camera) through the SFU; Ann hangs up, both screens close, and the call
 * record is in the chat on both sides. Then a call Ben declines, and one
 * Ann cancels while it rings full-screen on Ben's phone-sized page.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitUntil } from '@muster/server/testing';
import { assertWebClientBuilt, browserTestsEnabled, expectNoCspViolations, launchBrowser } from './fixtures/browser.ts';
import { callPair, remoteVideoInPage, type CallPair } from './fixtures/calls.ts';

type Server = Awaited<ReturnType<typeof startTestServer>>;

describe.skipIf(!browserTestsEnabled())('calls from a chat in the web client', () => {
  afterEach(expectNoCspViolations);
  let server: Server;
  let browser: Browser;
  let pair: CallPair;

  beforeAll(async () => {
    assertWebClientBuilt();
    server = await startTestServer();
    browser = await launchBrowser();
    pair = await callPair(browser, server, { phones: ['+8613900000501', '+8613900000502'] });
  }, 90_000);

  afterAll(async () => {
    for (const context of pair?.contexts ?? []) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  const records = async (token: string) => {
    const res = await fetch(`${server.url}/api/v1/conversations/${pair.conversationId}/messages`, { headers: { authorization: `Bearer ${token}` } });
    const messages = (await res.json()) as { notice?: { kind: string; detail?: { outcome: string } } }[];
    return messages.filter((m) => m.notice?.kind === 'call').map((m) => m.notice!.detail!.outcome);
  };

  it('Ann video-calls Ben, Ben accepts, both decode video; hang-up leaves the record', async () => {
    const { caller, callee } = pair;
    await caller.getByTestId('call-video').click();
    await caller.locator('[data-testid="call-screen"][data-state="ringing"]').waitFor({ timeout: 10_000 });
    await callee.getByTestId('call-incoming').waitFor({ timeout: 20_000 });
    expect(await callee.getByTestId('call-incoming').textContent()).toContain('Ann Caller');
    // While it rings Ben's page is already connected to the call's room (so answering is quick), yet
    // nothing of Ann reaches it: her media is held, paused on the server, until he answers.
    await waitUntil(
      () => callee.evaluate(() => (globalThis as unknown as { __musterCall?: { room: { peerConnections: { subscriber?: RTCPeerConnection } } } }).__musterCall?.room.peerConnections.subscriber?.connectionState === 'connected'),
      15_000,
      'Ben pre-connected while ringing',
    );
    expect((await callee.evaluate(remoteVideoInPage)).decoded).toBe(0);
    await callee.getByTestId('call-accept').click();
    await caller.locator('[data-testid="call-screen"][data-state="connected"]').waitFor({ timeout: 10_000 });
    await callee.locator('[data-testid="call-screen"][data-state="connected"]').waitFor({ timeout: 10_000 });
    for (const page of [caller, callee]) {
      await waitUntil(async () => {
        const v = await page.evaluate(remoteVideoInPage);
        return v.width > 0 && v.painted > 0 && v.decoded > 0;
      }, 30_000, 'the other person’s video decoded and shown');
    }
    // Minimised while chatting, then back.
    await callee.getByTestId('call-minimise').click();
    await callee.getByTestId('call-floating').waitFor();
    await callee.getByTestId('call-floating').click();
    await callee.getByTestId('call-screen').waitFor();
    // A reload in the middle of the call: the tab goes back into the call, and sees Ann again.
    await callee.reload();
    await callee.locator('[data-testid="call-screen"][data-state="connected"]').waitFor({ timeout: 15_000 });
    await waitUntil(async () => (await callee.evaluate(remoteVideoInPage)).decoded > 0, 30_000, 'Ann’s video after the reload');

    await caller.getByTestId('call-hangup').click();
    for (const page of [caller, callee]) await page.getByTestId('call-screen').waitFor({ state: 'detached', timeout: 10_000 });
    await waitUntil(async () => (await records(pair.tokens.callee)).includes('ended'), 10_000, 'the call record');
    // The record shows in the caller's open conversation, live.
    await caller.locator('[data-testid="message-system"]', { hasText: 'Video call ·' }).waitFor({ timeout: 10_000 });
    // Nobody is left in the call's room.
    await waitUntil(() => server.rooms.rooms.every((r) => !r.id.startsWith('call-')), 10_000, 'the call room closed');
  }, 90_000);

  it('Ben declines a voice call: Ann sees it, and the record says so', async () => {
    const { caller, callee } = pair;
    await caller.getByTestId('call-voice').waitFor();
    await waitUntil(() => caller.getByTestId('call-voice').isEnabled(), 10_000, 'the call button free again');
    await caller.getByTestId('call-voice').click();
    await callee.getByTestId('call-incoming').waitFor({ timeout: 20_000 });
    await callee.getByTestId('call-decline').click();
    await caller.getByTestId('call-screen').waitFor({ state: 'detached', timeout: 10_000 });
    expect(await caller.getByTestId('call-ended').textContent()).toContain('Declined');
    await waitUntil(async () => (await records(pair.tokens.caller)).at(-1) === 'declined', 10_000, 'the declined record');
  }, 60_000);

  it('a group call from the group chat: Ann rings Ben into a new meeting of hers; Ben answers into it', async () => {
    const { caller, callee } = pair;
    const benId = (await (await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${pair.tokens.callee}` } })).json()).id as string;
    const res = await fetch(`${server.url}/api/v1/groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pair.tokens.caller}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Call crew', members: [benId] }),
    });
    const group = (await res.json()) as { id: string };
    await caller.goto(`${server.url}/chats/${group.id}`);
    await caller.getByTestId('call-group').click();
    await caller.locator(`[data-testid="call-picker-person"][data-id="${benId}"]`).check();
    await caller.getByTestId('call-picker-go').click();
    await waitUntil(() => /\/m\/gc-/.test(caller.url()), 10_000, 'Ann in the new meeting');
    await callee.getByTestId('call-incoming').waitFor({ timeout: 20_000 });
    expect(await callee.getByTestId('call-incoming').textContent()).toContain('meeting');
    await callee.getByTestId('call-accept').click();
    await waitUntil(() => callee.url() === caller.url(), 10_000, 'Ben on the meeting’s page');
    await caller.goto(`${server.url}/chats/${pair.conversationId}`);
    await callee.goto(`${server.url}/chats`);
    await caller.getByTestId('call-video').waitFor({ timeout: 15_000 });
  }, 60_000);

  it('on a phone the incoming call takes the whole screen; the caller cancels and it stops ringing', async () => {
    const { caller, callee } = pair;
    await callee.setViewportSize({ width: 390, height: 844 });
    await waitUntil(() => caller.getByTestId('call-video').isEnabled(), 10_000, 'the call button free again');
    await caller.getByTestId('call-video').click();
    await callee.getByTestId('call-incoming').waitFor({ timeout: 20_000 });
    const box = (await callee.getByTestId('call-incoming').boundingBox())!;
    expect([box.x, box.y, box.width, box.height]).toEqual([0, 0, 390, 844]);
    await caller.getByTestId('call-hangup').click();
    await callee.getByTestId('call-incoming').waitFor({ state: 'detached', timeout: 10_000 });
    await waitUntil(async () => (await records(pair.tokens.callee)).at(-1) === 'cancelled', 10_000, 'the cancelled record');
    await callee.setViewportSize({ width: 1280, height: 800 });
  }, 60_000);
});
