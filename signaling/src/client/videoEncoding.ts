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

/** Each simulcast encoding's own scalability: one spatial layer, three temporal (VP8 TID 0-2). */
const SIMULCAST_TEMPORAL_MODE = 'L1T3';

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
  if (matching.some((c) => c.scalabilityModes !== undefined)) return matching.some((c) => c.scalabilityModes?.includes(scalabilityMode));
  // Capabilities without modes (Chromium builds that do not list them): ask an
  // unconnected peer connection, which refuses a mode no codec can encode.
  return encoderAccepts(scalabilityMode);
}

const accepted = new Map<string, boolean>();

function encoderAccepts(scalabilityMode: string): boolean {
  const known = accepted.get(scalabilityMode);
  if (known !== undefined) return known;
  let ok = false;
  const Pc = (globalThis as { RTCPeerConnection?: typeof RTCPeerConnection }).RTCPeerConnection;
  if (Pc) {
    let pc: RTCPeerConnection | undefined;
    try {
      pc = new Pc();
      const transceiver = pc.addTransceiver('video', { direction: 'sendonly', sendEncodings: [{ scalabilityMode } as RTCRtpEncodingParameters] });
      const encodings = transceiver.sender.getParameters().encodings as (RTCRtpEncodingParameters & { scalabilityMode?: string })[];
      ok = encodings[0]?.scalabilityMode === scalabilityMode;
    } catch {
      ok = false;
    } finally {
      pc?.close();
    }
  }
  accepted.set(scalabilityMode, ok);
  return ok;
}

/** The transceiver options for a video publication. */
export function videoTransceiverInit(options: VideoPublishOptions | undefined): RTCRtpTransceiverInit {
  if (options?.simulcast) {
    // Three temporal layers per encoding where the browser can (Chromium sends VP8 simulcast as L1T1
    // otherwise): the SFU then also lowers the frame rate per subscriber, not only the resolution.
    const temporal = canPublish('vp8', SIMULCAST_TEMPORAL_MODE) ? { scalabilityMode: SIMULCAST_TEMPORAL_MODE } : {};
    return { direction: 'sendonly', sendEncodings: SIMULCAST_ENCODINGS.map((e) => ({ ...e, ...temporal })) };
  }
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
