import { RTCPeerConnection } from 'werift';
import './closedNetwork.ts';
import './dtlsCrypto.ts';
import './dtlsPatches.ts';
import { supportedCodecs, supportedHeaderExtensions, type NegotiationOptions } from './codecs.ts';

export interface SfuClientPeerOptions extends NegotiationOptions {
  /**
   * The addresses the server's candidates may have (default 127.0.0.1 only).
   * The load test's peer SFU (Janus) gathers no loopback candidate, so its
   * bots accept this host's own addresses, which the kernel routes over
   * loopback as well.
   */
  remoteHosts?: string[];
}

/**
 * A werift peer connection for a client of the SFU that runs on the same host
 * (load-test bots, tests): loopback only, no ICE server, the SFU's codecs.
 * Without transport-wide congestion control unless asked: werift's own
 * receiver answers it with feedback an estimator cannot use (see
 * bwe/TransportWideEstimator.ts), so such a peer is a REMB-era subscriber.
 */
export function createSfuClientPeer(options: SfuClientPeerOptions = {}): RTCPeerConnection {
  const remoteHosts = new Set(options.remoteHosts ?? ['127.0.0.1']);
  return new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    // Only loopback pairs: nothing leaves the machine, and checks finish at once.
    iceFilterCandidatePair: (pair) => remoteHosts.has(pair.remoteCandidate.host),
    codecs: supportedCodecs(options),
    headerExtensions: supportedHeaderExtensions(options),
  });
}
