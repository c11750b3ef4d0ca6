import { canPublish, type VideoCodecName, type VideoPublishOptions } from '@muster/signaling/client';

/**
 * The codec and scalability mode this client publishes with. Camera: VP9
 * L3T3_KEY (three resolutions, three frame rates: the SFU gives a thumbnail
 * the small one) where the browser can, else VP8. Screen share: VP9 L1T3
 * (full resolution, frame rate scalable). Without VP9 SVC the camera goes out
 * as VP8 simulcast (three encodings). `?codec=vp8|vp9|av1` and
 * `?svc=<scalabilityMode>` on the meeting URL force the choice (tests,
 * troubleshooting).
 */
export function videoPublishOptions(source: 'camera' | 'screen', search = location.search): VideoPublishOptions {
  const params = new URLSearchParams(search);
  const forcedCodec = params.get('codec')?.toLowerCase();
  const forcedMode = params.get('svc') ?? undefined;
  const codec: VideoCodecName | undefined = forcedCodec === 'vp8' || forcedCodec === 'vp9' || forcedCodec === 'av1' ? forcedCodec : undefined;
  const wantedMode = source === 'camera' ? 'L3T3_KEY' : 'L1T3';
  if (codec) {
    if (codec === 'vp8') return { codec, simulcast: source === 'camera' };
    return { codec, scalabilityMode: forcedMode ?? wantedMode };
  }
  const mode = forcedMode ?? wantedMode;
  if (canPublish('vp9', mode)) return { codec: 'vp9', scalabilityMode: mode };
  return { codec: 'vp8', simulcast: source === 'camera' };
}
