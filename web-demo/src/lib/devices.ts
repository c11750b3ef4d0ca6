/**
 * Local capture: constraints, device lists, and error messages people can act on.
 */

/**
 * 720p at up to 24 fps: sharp enough for a face or a whiteboard, and light
 * enough that a laptop encodes it and the SFU forwards it to a dozen people.
 */
export function videoConstraints(opts: { deviceId?: string; facingMode?: string; exact?: boolean } = {}): MediaTrackConstraints {
  const c: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24, max: 30 } };
  if (opts.deviceId) c.deviceId = opts.exact ? { exact: opts.deviceId } : { ideal: opts.deviceId };
  else if (opts.facingMode) c.facingMode = opts.exact ? { exact: opts.facingMode } : { ideal: opts.facingMode };
  return c;
}

export function audioConstraints(opts: { deviceId?: string; exact?: boolean } = {}): MediaTrackConstraints {
  const c: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (opts.deviceId) c.deviceId = opts.exact ? { exact: opts.deviceId } : { ideal: opts.deviceId };
  return c;
}

/** getUserMedia exists only in secure contexts (https or localhost). */
export function mediaAvailable(): boolean {
  return !!navigator.mediaDevices?.getUserMedia;
}

export function canShareScreen(): boolean {
  return !!navigator.mediaDevices && typeof navigator.mediaDevices.getDisplayMedia === 'function';
}

/** Audio output selection is Chromium/Firefox only; Safari has no setSinkId. */
export function canSelectSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

export interface DeviceLists {
  cameras: MediaDeviceInfo[];
  mics: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

export async function listDevices(): Promise<DeviceLists> {
  const lists: DeviceLists = { cameras: [], mics: [], speakers: [] };
  if (!navigator.mediaDevices?.enumerateDevices) return lists;
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
  for (const d of devices) {
    // Before permission is granted, ids are empty: such entries cannot be selected.
    if (!d.deviceId) continue;
    if (d.kind === 'videoinput') lists.cameras.push(d);
    else if (d.kind === 'audioinput') lists.mics.push(d);
    else if (d.kind === 'audiooutput') lists.speakers.push(d);
  }
  return lists;
}

export interface CaptureResult {
  mic: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  /** Human-readable problems, one per failed device. */
  problems: string[];
}

/**
 * Opens camera and microphone. Asked together first so the browser shows one
 * permission prompt; if that fails, each alone, so a missing webcam does not
 * also cost the person their microphone.
 */
export async function captureLocal(opts: { mic: boolean; camera: boolean; micId?: string; cameraId?: string }): Promise<CaptureResult> {
  const result: CaptureResult = { mic: null, camera: null, problems: [] };
  if (!mediaAvailable()) {
    if (opts.mic || opts.camera) result.problems.push(insecureContextMessage());
    return result;
  }
  const audio = opts.mic ? audioConstraints({ deviceId: opts.micId }) : false;
  const video = opts.camera ? videoConstraints({ deviceId: opts.cameraId }) : false;
  if (!audio && !video) return result;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    result.mic = stream.getAudioTracks()[0] ?? null;
    result.camera = stream.getVideoTracks()[0] ?? null;
    return result;
  } catch (error) {
    if (!(audio && video)) {
      result.problems.push(describeMediaError(error, audio ? 'microphone' : 'camera'));
      return result;
    }
  }
  const [mic, camera] = await Promise.allSettled([
    navigator.mediaDevices.getUserMedia({ audio }),
    navigator.mediaDevices.getUserMedia({ video }),
  ]);
  if (mic.status === 'fulfilled') result.mic = mic.value.getAudioTracks()[0] ?? null;
  else result.problems.push(describeMediaError(mic.reason, 'microphone'));
  if (camera.status === 'fulfilled') result.camera = camera.value.getVideoTracks()[0] ?? null;
  else result.problems.push(describeMediaError(camera.reason, 'camera'));
  return result;
}

export async function openCamera(opts: { deviceId?: string; facingMode?: string; exact?: boolean } = {}): Promise<MediaStreamTrack> {
  if (!mediaAvailable()) throw new Error(insecureContextMessage());
  const stream = await navigator.mediaDevices.getUserMedia({ video: videoConstraints(opts) });
  return stream.getVideoTracks()[0]!;
}

export async function openMic(opts: { deviceId?: string; exact?: boolean } = {}): Promise<MediaStreamTrack> {
  if (!mediaAvailable()) throw new Error(insecureContextMessage());
  const stream = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(opts) });
  return stream.getAudioTracks()[0]!;
}

export function insecureContextMessage(): string {
  return 'Camera and microphone need a secure connection: open Muster over https (or on localhost).';
}

export function describeMediaError(error: unknown, what: 'camera' | 'microphone' | 'screen'): string {
  const name = (error as { name?: string })?.name ?? '';
  const label = what === 'screen' ? 'Screen sharing' : what === 'camera' ? 'Camera' : 'Microphone';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return what === 'screen' ? 'Screen sharing was cancelled or blocked.' : `${label} access was blocked. Allow it in the browser's site settings.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${what} was found.`;
    case 'NotReadableError':
    case 'AbortError':
      return `${label} is in use by another application or could not be started.`;
    default:
      return `${label} could not be started${(error as Error)?.message ? `: ${(error as Error).message}` : '.'}`;
  }
}

/** Which way a camera faces, when the platform says (phones and tablets do). */
export function facingOf(track: MediaStreamTrack | null): 'user' | 'environment' | undefined {
  const facing = track?.getSettings().facingMode;
  return facing === 'user' || facing === 'environment' ? facing : undefined;
}

export function deviceIdOf(track: MediaStreamTrack | null): string | undefined {
  return track?.getSettings().deviceId || undefined;
}

export function stopTrack(track: MediaStreamTrack | null | undefined): void {
  try {
    track?.stop();
  } catch {
    // already stopped
  }
}
