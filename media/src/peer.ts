import { RTCPeerConnection } from 'werift';
import './closedNetwork.ts';
import './dtlsCrypto.ts';
import { supportedCodecs, supportedHeaderExtensions } from './codecs.ts';

/**
 * A werift peer connection for a client of the SFU that runs on the same host
 * (load-test bots, tests): loopback only, no ICE server, the SFU's codecs.
 */
export function createSfuClientPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
    // Only loopback pairs: nothing leaves the machine, and checks finish at once.
    iceFilterCandidatePair: (pair) => pair.remoteCandidate.host === '127.0.0.1',
    codecs: supportedCodecs(),
    headerExtensions: supportedHeaderExtensions(),
  });
}
