import { Connection } from 'werift';

/**
 * werift's ICE agent falls back to stun.l.google.com whenever no STUN server
 * is configured. On a closed network that lookup stalls gathering, and
 * anywhere else it leaks that the host runs Muster. Patch the one method that
 * derives the servers, once per process, so "no STUN configured" means none:
 * this covers the SFU, bots and tests alike, including ICE restarts.
 */
const PATCHED = Symbol.for('muster.werift.noDefaultStun');

export function disableWeriftDefaultStun(): void {
  const proto = Connection.prototype as unknown as Record<string | symbol, unknown> & {
    applyStunTurnServersFromOptions: (this: { options: { stunServer?: unknown }; stunServer?: unknown }) => void;
  };
  if (proto[PATCHED]) return;
  const original = proto.applyStunTurnServersFromOptions;
  proto.applyStunTurnServersFromOptions = function (this: { options: { stunServer?: unknown }; stunServer?: unknown }) {
    original.call(this);
    if (!this.options.stunServer) this.stunServer = undefined;
  };
  proto[PATCHED] = true;
}

disableWeriftDefaultStun();
