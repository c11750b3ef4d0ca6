import type { Room } from '@muster/signaling/client';

/** How often tile sizes are checked besides on resize (visibility, new tracks); a report goes out only when something changed. */
const CHECK_MS = 250;

interface Reported {
  width: number;
  height: number;
  visible: boolean;
}

/**
 * Tells the server how each received video is shown: its tile's size in
 * device pixels, or hidden (off screen, not in the layout). The SFU then
 * forwards a thumbnail the small layer and the main screen the large one,
 * and pauses what nobody sees. The check is cheap (a few rectangles) and a
 * request is sent only when a size moved by more than a few percent.
 */
export function reportTileSizes(room: Room, root: ParentNode = document): { check(): void; stop(): void } {
  const reported = new Map<string, Reported>();
  let pending = false;

  let again = false;
  // A tile that changes size (pinned, unpinned, layout change) is reported at once, not at the next tick.
  const observed = new WeakSet<Element>();
  const resize = typeof ResizeObserver === 'function' ? new ResizeObserver(() => check()) : undefined;

  const check = () => {
    if (room.state !== 'connected') return;
    if (pending) {
      again = true;
      return;
    }
    const videos = [...root.querySelectorAll('video')];
    for (const video of videos) {
      if (resize && !observed.has(video)) {
        observed.add(video);
        resize.observe(video);
      }
    }
    const updates: ({ trackId: string } & Reported)[] = [];
    const seen = new Set<string>();
    for (const participant of room.remoteParticipants.values()) {
      for (const track of participant.tracks.values()) {
        if (track.kind !== 'video') continue;
        seen.add(track.trackId);
        const element = videos.find((v) => (v.srcObject as MediaStream | null)?.getVideoTracks().includes(track.mediaStreamTrack));
        const next = measure(element);
        const last = reported.get(track.trackId);
        if (last && last.visible === next.visible && close(last.width, next.width) && close(last.height, next.height)) continue;
        reported.set(track.trackId, next);
        updates.push({ trackId: track.trackId, ...next });
      }
    }
    for (const id of reported.keys()) if (!seen.has(id)) reported.delete(id);
    if (updates.length === 0) return;
    pending = true;
    room
      .request('subscription.update', { tracks: updates.slice(0, 64) })
      .catch(() => {
        // Lost (reconnecting, or the track went away): report again next time.
        for (const u of updates) reported.delete(u.trackId);
      })
      .finally(() => {
        pending = false;
        if (again) {
          again = false;
          check();
        }
      });
  };

  const timer = setInterval(check, CHECK_MS);
  addEventListener('resize', check);
  return {
    // After the view re-renders: a tile that moved to another container is a new <video>, reported now rather than at the next tick.
    check,
    stop() {
      clearInterval(timer);
      resize?.disconnect();
      removeEventListener('resize', check);
    },
  };
}

function measure(element: HTMLVideoElement | undefined): Reported {
  if (!element || !element.isConnected) return { width: 0, height: 0, visible: false };
  const rect = element.getBoundingClientRect();
  const onScreen = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0 && rect.top < innerHeight && rect.left < innerWidth;
  if (!onScreen) return { width: 0, height: 0, visible: false };
  const dpr = devicePixelRatio || 1;
  return { width: Math.min(16384, Math.round(rect.width * dpr)), height: Math.min(16384, Math.round(rect.height * dpr)), visible: true };
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(8, 0.05 * Math.max(a, b));
}
