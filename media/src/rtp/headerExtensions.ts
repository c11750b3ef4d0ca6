/**
 * URIs of the RTP header extensions (RFC 8285) the packet path reads or
 * writes: TransportMediaPath and WebRtcTransport find negotiated ids by
 * them, RtpStreamSender writes the extensions. A module of their own so that
 * those files need not import each other for a constant.
 */

export const SDES_MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const ABS_SEND_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
export const DEPENDENCY_DESCRIPTOR_URI = 'https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension';
export const TRANSPORT_WIDE_CC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
