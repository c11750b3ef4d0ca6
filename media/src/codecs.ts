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
  type RTCRtpHeaderExtensionParameters,
} from 'werift';

/**
 * The codecs the SFU negotiates. The list is the one place to add a codec:
 * transports offer exactly these, and a consumer is pinned to its producer's
 * codec. VP9 and AV1 carry SVC layers (see svc/); VP8 is the fallback.
 */
export function supportedCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
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
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: videoFeedback() }),
      // Scalable video (SVC): the SFU forwards each subscriber the layers it can use.
      new RTCRtpCodecParameters({
        mimeType: 'video/VP9',
        clockRate: 90000,
        payloadType: 98,
        parameters: 'profile-id=0',
        rtcpFeedback: videoFeedback(),
      }),
      new RTCRtpCodecParameters({ mimeType: 'video/AV1', clockRate: 90000, payloadType: 45, rtcpFeedback: videoFeedback() }),
      // Retransmissions (answers to NACKs) on their own SSRC (RFC 4588), so
      // they do not distort the receiver's loss and jitter statistics.
      rtx(97, 96),
      rtx(99, 98),
      rtx(46, 45),
    ],
  };
}

export function supportedHeaderExtensions(): {
  audio: RTCRtpHeaderExtensionParameters[];
  video: RTCRtpHeaderExtensionParameters[];
} {
  return {
    audio: [useSdesMid(), useAbsSendTime(), useAudioLevelIndication()],
    // The dependency descriptor carries AV1's layer structure (read by svc/av1.ts);
    // rid and repaired-rid name the encodings of a simulcast publisher.
    video: [useSdesMid(), useAbsSendTime(), useDependencyDescriptor(), useSdesRTPStreamId(), useRepairedRtpStreamId()],
  };
}

function rtx(payloadType: number, apt: number): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType, parameters: `apt=${apt}` });
}

function videoFeedback() {
  return [useNACK(), usePLI(), useFIR(), useREMB()];
}

export type MediaKind = 'audio' | 'video';
