import {
  RTCRtpCodecParameters,
  useAbsSendTime,
  useAudioLevelIndication,
  useDependencyDescriptor,
  useRepairedRtpStreamId,
  useSdesRTPStreamId,
  useFIR,
  useNACK,
  usePLI,
  useREMB,
  useSdesMid,
  useTransportWideCC,
  useTWCC,
  type RTCRtpHeaderExtensionParameters,
} from 'werift';

/**
 * What a peer connection negotiates beyond the common list.
 * `transportWideCc`: transport-wide congestion control (the transport-cc
 * feedback and the transport-wide sequence number extension) for video. The
 * SFU offers it to subscribers (recv transports), whose feedback drives the
 * send-side estimate (bwe/TransportWideEstimator.ts). Not to publishers: the
 * SFU takes their RTP before werift's receiver, which would generate the
 * feedback, so a publisher would wait for feedback that never comes. Audio
 * stays out: a voice-only subscriber would then send feedback ~10 times a
 * second for an estimate that chooses nothing.
 */
export interface NegotiationOptions {
  transportWideCc?: boolean;
}

/**
 * The codecs the SFU negotiates. The list is the one place to add a codec:
 * transports offer exactly these, and a consumer is pinned to its producer's
 * codec. VP9 and AV1 carry SVC layers (see svc/); VP8 is the fallback.
 */
export function supportedCodecs(options: NegotiationOptions = {}): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  const feedback = () => videoFeedback(options.transportWideCc === true);
  return {
    audio: [
      new RTCRtpCodecParameters({
        mimeType: 'audio/opus',
        clockRate: 48000,
        payloadType: 111,
        channels: 2,
        // In-band FEC and DTX keep voice usable on lossy links and cheap in silence.
        parameters: 'minptime=10;useinbandfec=1;usedtx=1',
      }),
    ],
    video: [
      // Payload types are fixed so every transport numbers them alike.
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: feedback() }),
      // Scalable video (SVC): the SFU forwards each subscriber the layers it can use.
      new RTCRtpCodecParameters({
        mimeType: 'video/VP9',
        clockRate: 90000,
        payloadType: 98,
        parameters: 'profile-id=0',
        rtcpFeedback: feedback(),
      }),
      new RTCRtpCodecParameters({ mimeType: 'video/AV1', clockRate: 90000, payloadType: 45, rtcpFeedback: feedback() }),
      // Retransmissions (answers to NACKs) on their own SSRC (RFC 4588), so
      // they do not distort the receiver's loss and jitter statistics.
      rtx(97, 96),
      rtx(99, 98),
      rtx(46, 45),
    ],
  };
}

export function supportedHeaderExtensions(options: NegotiationOptions = {}): {
  audio: RTCRtpHeaderExtensionParameters[];
  video: RTCRtpHeaderExtensionParameters[];
} {
  return {
    audio: [useSdesMid(), useAbsSendTime(), useAudioLevelIndication()],
    // The dependency descriptor carries AV1's layer structure (read by svc/av1.ts);
    // rid and repaired-rid name the encodings of a simulcast publisher.
    video: [
      useSdesMid(),
      useAbsSendTime(),
      useDependencyDescriptor(),
      useSdesRTPStreamId(),
      useRepairedRtpStreamId(),
      ...(options.transportWideCc ? [useTransportWideCC()] : []),
    ],
  };
}

function rtx(payloadType: number, apt: number): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType, parameters: `apt=${apt}` });
}

function videoFeedback(transportWideCc: boolean) {
  // REMB stays beside transport-cc: a subscriber that does not take transport-cc still has it.
  return transportWideCc ? [useNACK(), usePLI(), useFIR(), useREMB(), useTWCC()] : [useNACK(), usePLI(), useFIR(), useREMB()];
}

export type MediaKind = 'audio' | 'video';
