import {
  RTCRtpCodecParameters,
  useAbsSendTime,
  useAudioLevelIndication,
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
 * codec, so VP9/AV1 (scalable video) slot in here without touching the RTP path.
 */
export function supportedCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  return {
    audio: [
      new RTCRtpCodecParameters({
        mimeType: 'audio/opus',
        clockRate: 48000,
        channels: 2,
        // In-band FEC and DTX keep voice usable on lossy links and cheap in silence.
        parameters: 'minptime=10;useinbandfec=1;usedtx=1',
      }),
    ],
    video: [
      new RTCRtpCodecParameters({
        mimeType: 'video/VP8',
        clockRate: 90000,
        rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()],
      }),
    ],
  };
}

export function supportedHeaderExtensions(): {
  audio: RTCRtpHeaderExtensionParameters[];
  video: RTCRtpHeaderExtensionParameters[];
} {
  return {
    audio: [useSdesMid(), useAbsSendTime(), useAudioLevelIndication()],
    video: [useSdesMid(), useAbsSendTime()],
  };
}

export type MediaKind = 'audio' | 'video';
