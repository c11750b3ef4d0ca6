/**
 * How a client publishes video: the codec it prefers and the scalability
 * mode (SVC) it asks the encoder for. The SFU forwards each subscriber only
 * the layers it can use, so one publisher serves a phone and a desktop.
 */

export type VideoCodecName = 'vp8' | 'vp9' | 'av1';

export interface VideoPublishOptions {
  codec?: VideoCodecName;
  /** e.g. 'L3T3_KEY' (camera), 'L1T3' (screen share). Ignored if the browser cannot encode it with that codec. */
  scalabilityMode?: string;
  /** VP8: three encodings (rids r0, r1, r2 at 1/4, 1/2 and full resolution) the SFU picks from per subscriber. */
  simulcast?: boolean;
}

/** Simulcast encodings, lowest first (the SFU reads the order from the offer). */
export const SIMULCAST_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

const MIME: Record<VideoCodecName, string> = { vp8: 'video/vp8', vp9: 'video/vp9', av1: 'video/av1' };

interface CodecCapability {
  mimeType: string;
  scalabilityModes?: string[];
}

function capabilities(): CodecCapability[] {
  const sender = (globalThis as { RTCRtpSender?: { getCapabilities?(kind: string): { codecs: CodecCapability[] } | null } }).RTCRtpSender;
  return sender?.getCapabilities?.('video')?.codecs ?? [];
}

/** Can this browser send `codec`, with `scalabilityMode` if given? */
export function canPublish(codec: VideoCodecName, scalabilityMode?: string): boolean {
  const matching = capabilities().filter((c) => c.mimeType.toLowerCase() === MIME[codec]);
  if (matching.length === 0) return false;
  if (!scalabilityMode) return true;
  // Browsers that do not list modes (older Chrome) may still take L1Tx; assume only that.
  return matching.some((c) => (c.scalabilityModes ? c.scalabilityModes.includes(scalabilityMode) : /^L1T[1-3]$/.test(scalabilityMode)));
}

/** The transceiver options for a video publication. */
export function videoTransceiverInit(options: VideoPublishOptions | undefined): RTCRtpTransceiverInit {
  if (options?.simulcast) return { direction: 'sendonly', sendEncodings: SIMULCAST_ENCODINGS.map((e) => ({ ...e })) };
  if (options?.scalabilityMode && options.codec !== 'vp8') {
    return { direction: 'sendonly', sendEncodings: [{ scalabilityMode: options.scalabilityMode } as RTCRtpEncodingParameters] };
  }
  return { direction: 'sendonly' };
}

/** Puts `codec` first in the transceiver's offer, so the SFU's answer picks it. */
export function preferCodec(transceiver: RTCRtpTransceiver, codec: VideoCodecName | undefined): void {
  if (!codec || typeof transceiver.setCodecPreferences !== 'function') return;
  const all = capabilities();
  const preferred = all.filter((c) => c.mimeType.toLowerCase() === MIME[codec]);
  if (preferred.length === 0) return;
  try {
    transceiver.setCodecPreferences([...preferred, ...all.filter((c) => !preferred.includes(c))] as RTCRtpCodec[]);
  } catch {
    // An implementation that refuses the list keeps its default order.
  }
}
