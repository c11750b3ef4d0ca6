/**
 * Read-only probes that run inside a meeting page: what the person would see
 * and hear, measured from the DOM and the subscriber's WebRTC stats.
 */
import type { Page } from 'playwright-core';

export interface VideoProbe {
  /** Decoded frames so far, or -1 when the tile or its video is missing. */
  frames: number;
  width: number;
  paused: boolean;
}

/** Frame counters of the camera tiles of `ids` on `page`. */
export function probeVideos(page: Page, ids: string[]): Promise<Record<string, VideoProbe>> {
  return page.evaluate((ids) => {
    const out: Record<string, { frames: number; width: number; paused: boolean }> = {};
    for (const id of ids) {
      const video = document.querySelector<HTMLVideoElement>(`[data-participant-id="${CSS.escape(id)}"] video`);
      out[id] = video
        ? { frames: video.getVideoPlaybackQuality().totalVideoFrames, width: video.videoWidth, paused: video.paused }
        : { frames: -1, width: 0, paused: true };
    }
    return out;
  }, ids);
}

/** packetsReceived of every inbound audio stream on the subscriber connection, by stats id. */
export function probeInboundAudio(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const pc = window.__muster?.room.peerConnections.subscriber;
    const out: Record<string, number> = {};
    if (!pc) return out;
    const stats = await pc.getStats();
    stats.forEach((s: { type: string; kind?: string; id: string; packetsReceived?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out[s.id] = s.packetsReceived ?? 0;
    });
    return out;
  });
}

/** The <audio> elements playing remote sound: how many, and whether each is live and playing. */
export function probeAudioElements(page: Page): Promise<{ participantId: string; playing: boolean }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLAudioElement>('[data-testid="remote-audio"] audio')].map((audio) => {
      const track = (audio.srcObject as MediaStream | null)?.getAudioTracks()[0];
      return { participantId: audio.dataset.audioParticipantId ?? '', playing: !audio.paused && track?.readyState === 'live' };
    }),
  );
}


export async function participantCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('participant-count').textContent());
}

/** Everything about one remote camera on `page`, for failure messages: SDK state, element state, RTP stats. */
export function diagnoseRemoteVideo(page: Page, participantId: string): Promise<string> {
  return page.evaluate(async (id) => {
    const room = window.__muster?.room;
    const remote = room?.remoteParticipants.get(id);
    const video = document.querySelector<HTMLVideoElement>(`[data-participant-id="${CSS.escape(id)}"] video`);
    const shown = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
    const camera = remote?.track('camera');
    const pc = room?.peerConnections.subscriber;
    const inbound: unknown[] = [];
    let transport: unknown;
    (await pc?.getStats())?.forEach((s: Record<string, unknown>) => {
      // DTLS and ICE as the browser sees them; sfuUfrag names the SFU's transport in its logs.
      if (s.type === 'transport') {
        transport = { dtls: s.dtlsState, role: s.dtlsRole, ice: s.iceState, pairChanges: s.selectedCandidatePairChanges, sent: s.packetsSent, received: s.packetsReceived };
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        inbound.push({ mid: s.mid, ssrc: s.ssrc, packets: s.packetsReceived, framesReceived: s.framesReceived, decoded: s.framesDecoded, keyFrames: s.keyFramesDecoded, pli: s.pliCount, nack: s.nackCount, lost: s.packetsLost, width: s.frameWidth });
      }
    });
    return JSON.stringify({
      state: room?.state,
      subscriber: pc && `${pc.connectionState}/${pc.iceConnectionState}/${pc.signalingState}`,
      transport,
      sfuUfrag: /a=ice-ufrag:(\S+)/.exec(pc?.remoteDescription?.sdp ?? '')?.[1],
      publications: remote?.publications.map((t) => `${t.source}:${t.id.slice(0, 8)}${t.paused ? ':paused' : ''}`),
      camera: camera && { sid: camera.sid.slice(0, 8), mid: pc?.getTransceivers().find((t) => t.receiver.track === camera.mediaStreamTrack)?.mid, muted: camera.mediaStreamTrack.muted, state: camera.mediaStreamTrack.readyState },
      element: video && { sameTrack: shown === camera?.mediaStreamTrack, paused: video.paused, readyState: video.readyState, width: video.videoWidth },
      transceivers: pc?.getTransceivers().map((t) => `${t.mid}:${t.currentDirection}:${t.receiver.track.kind}`),
      inbound,
    });
  }, participantId);
}

/**
 * What the publisher's encoder sends, per encoding (rid), for failure
 * messages: size, frames encoded, and why Chromium limits quality ('cpu',
 * 'bandwidth') with how long it did so (s).
 */
export function diagnoseOutboundVideo(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const pc = window.__muster?.room.peerConnections.publisher;
    const out: unknown[] = [];
    (await pc?.getStats())?.forEach((s: Record<string, unknown>) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.push({ rid: s.rid, width: s.frameWidth, frames: s.framesEncoded, active: s.active, limitedBy: s.qualityLimitationReason, limitedFor: s.qualityLimitationDurations });
      }
    });
    return JSON.stringify({ publisher: pc && `${pc.connectionState}/${pc.iceConnectionState}`, outbound: out });
  });
}
