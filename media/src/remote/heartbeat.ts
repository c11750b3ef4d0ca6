import type { WebSocket } from 'ws';

/** How often each end of a media link pings the other (ws ping/pong); the default of both. */
export const HEARTBEAT_MS = 1_000;
/** Intervals without a pong (or any frame) after which the peer is taken for dead. */
const MISSED_LIMIT = 3;

/**
 * Pings the peer every `intervalMs` and terminates the socket once nothing
 * (no pong, no frame) has come from it for MISSED_LIMIT intervals: a peer
 * that died without closing (a host powered off, a cut cable, a stopped
 * process) is noticed within a few seconds instead of at the TCP timeout,
 * minutes later; then 'close' fires and the death path runs. Returns the
 * function that stops it.
 */
export function watchPeer(ws: WebSocket, intervalMs = HEARTBEAT_MS): () => void {
  let heard = performance.now();
  const alive = () => (heard = performance.now());
  ws.on('pong', alive);
  ws.on('message', alive);
  const timer = setInterval(() => {
    // As the worker watchdog does (Worker.ts): the verdict waits for this
    // turn's I/O phase, so that a pong that sat unread while this process
    // itself was blocked counts, and only a silent peer is blamed.
    setImmediate(() => {
      if (ws.readyState !== ws.OPEN) return;
      if (performance.now() - heard > intervalMs * MISSED_LIMIT) ws.terminate();
      else ws.ping();
    });
  }, intervalMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    ws.off('pong', alive);
    ws.off('message', alive);
  };
  ws.once('close', stop);
  return stop;
}
