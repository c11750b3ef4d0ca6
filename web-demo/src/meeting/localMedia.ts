import type { Room } from '@muster/signaling/client';
import {
  canShareScreen,
  describeMediaError,
  deviceIdOf,
  facingOf,
  listDevices,
  openCamera,
  openMic,
  stopTrack,
} from '../lib/devices.ts';
import { getPref, setPref } from '../lib/prefs.ts';
import { videoPublishOptions } from './videoPolicy.ts';

/** What the person brings into the meeting from the prejoin screen (or from autojoin). */
export interface LocalStart {
  mic: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  micMuted: boolean;
  /** Problems opening devices, shown once the meeting is up. */
  problems: string[];
}

/**
 * The person's own devices and how they map onto the Room's publications.
 * Every device operation goes through here so the UI can read one coherent
 * state (and so that two fast clicks cannot race two getUserMedia calls).
 */
export class LocalMedia {
  mic: MediaStreamTrack | null = null;
  camera: MediaStreamTrack | null = null;
  screen: MediaStreamTrack | null = null;
  screenAudio: MediaStreamTrack | null = null;
  micMuted = true;
  cameraCount = 0;
  /** True while a device is being switched; the buttons show it as busy. */
  busy = false;
  #micPublished = false;
  #cameraPublished = false;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #room: Room;
  readonly #onChange: () => void;
  readonly #onError: (message: string) => void;

  constructor(room: Room, onChange: () => void, onError: (message: string) => void) {
    this.#room = room;
    this.#onChange = onChange;
    this.#onError = onError;
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
  }

  get cameraOn(): boolean {
    return !!this.camera;
  }

  get sharing(): boolean {
    return !!this.screen;
  }

  /** Mirror the self-view like a mirror, except for a rear camera (text would read backwards for others anyway). */
  get mirrored(): boolean {
    return facingOf(this.camera) !== 'environment';
  }

  get canShareScreen(): boolean {
    return canShareScreen();
  }

  async start(start: LocalStart): Promise<void> {
    await this.#serial(async () => {
      this.mic = start.mic;
      this.camera = start.camera;
      this.micMuted = !start.mic || start.micMuted;
      this.#watchEnded(this.mic, 'microphone');
      this.#watchEnded(this.camera, 'camera');
      this.#onChange();
      if (this.mic) {
        // Disabled before publishing, so not one packet of a muted mic goes out.
        this.mic.enabled = !this.micMuted;
        await this.#room.publishTrack(this.mic, 'microphone');
        this.#micPublished = true;
        if (this.micMuted) await this.#room.setMuted('microphone', true);
      }
      if (this.camera) {
        await this.#room.publishTrack(this.camera, 'camera', videoPublishOptions('camera'));
        this.#cameraPublished = true;
      }
    });
    void this.refreshDevices();
  }

  toggleMic(): Promise<void> {
    return this.setMicMuted(!this.micMuted);
  }

  setMicMuted(muted: boolean): Promise<void> {
    return this.#serial(async () => {
      if (!muted && !this.mic) {
        // No microphone yet (denied, or none at join): try again now the person asks for it.
        const track = await this.#open('microphone', () => openMic({ deviceId: getPref('micId') ?? undefined }));
        if (!track) return;
        this.mic = track;
        this.#watchEnded(track, 'microphone');
      }
      if (!this.mic) return;
      this.micMuted = muted;
      this.mic.enabled = !muted;
      this.#onChange();
      if (!this.#micPublished) {
        await this.#room.publishTrack(this.mic, 'microphone');
        this.#micPublished = true;
      }
      try {
        await this.#room.setMuted('microphone', muted);
      } catch (error) {
        // A host barred unmuting (or the settings do): stay muted, as the server keeps us.
        if (!muted && isForbidden(error)) this.serverMuted();
        throw error;
      }
    });
  }

  /** A host muted us: the server already stopped forwarding; silence the track and show it. */
  serverMuted(): void {
    this.micMuted = true;
    if (this.mic) this.mic.enabled = false;
    this.#onChange();
  }

  toggleCamera(): Promise<void> {
    return this.setCameraOn(!this.cameraOn);
  }

  /**
   * Camera off really releases the device (the light goes out); the sender
   * keeps its slot with no track so that turning it back on needs no
   * renegotiation.
   */
  setCameraOn(on: boolean): Promise<void> {
    return this.#serial(async () => {
      if (on === this.cameraOn) return;
      if (on) {
        const track = await this.#open('camera', () => openCamera({ deviceId: getPref('cameraId') ?? undefined }));
        if (!track) return;
        try {
          await this.#useCamera(track);
        } catch (error) {
          // Not allowed to start video: release the camera again rather than show a picture nobody gets.
          if (isForbidden(error) && this.camera === track) {
            this.camera = null;
            if (this.#cameraPublished) await this.#room.replaceTrack('camera', null).catch(() => undefined);
            stopTrack(track);
          }
          throw error;
        }
      } else {
        const old = this.camera;
        this.camera = null;
        this.#onChange();
        if (this.#cameraPublished) {
          await this.#room.replaceTrack('camera', null);
          await this.#room.setMuted('camera', true);
        }
        stopTrack(old);
      }
    });
  }

  async #useCamera(track: MediaStreamTrack): Promise<void> {
    const previous = this.camera;
    this.camera = track;
    this.#watchEnded(track, 'camera');
    this.#onChange();
    if (this.#cameraPublished) {
      await this.#room.replaceTrack('camera', track);
      if (!previous) await this.#room.setMuted('camera', false);
    } else {
      await this.#room.publishTrack(track, 'camera', videoPublishOptions('camera'));
      this.#cameraPublished = true;
    }
    if (previous && previous !== track) stopTrack(previous);
  }

  /**
   * Front ↔ back on phones and tablets (they report facingMode); elsewhere the
   * next camera in the list. The old camera is released first because most
   * phones cannot run two cameras at once.
   */
  switchCamera(): Promise<void> {
    return this.#serial(async () => {
      const current = this.camera;
      if (!current) return;
      const facing = facingOf(current);
      const { cameras } = await listDevices();
      const currentId = deviceIdOf(current);
      const index = cameras.findIndex((d) => d.deviceId === currentId);
      const nextDevice = cameras.length > 1 ? cameras[(index + 1) % cameras.length] : undefined;
      this.busy = true;
      this.#onChange();
      stopTrack(current);
      let next: MediaStreamTrack | null = null;
      try {
        if (facing) {
          next = await openCamera({ facingMode: facing === 'user' ? 'environment' : 'user', exact: true }).catch(() => null);
        }
        if (!next && nextDevice) next = await openCamera({ deviceId: nextDevice.deviceId, exact: true });
        if (!next) throw Object.assign(new Error('no other camera'), { name: 'NotFoundError' });
      } catch (error) {
        this.#onError(describeMediaError(error, 'camera'));
        next = await openCamera({ deviceId: currentId }).catch(() => null);
      } finally {
        this.busy = false;
      }
      if (!next) {
        this.camera = null;
        this.#onChange();
        if (this.#cameraPublished) {
          await this.#room.replaceTrack('camera', null);
          await this.#room.setMuted('camera', true);
        }
        return;
      }
      // Replace without the "previous" stop in #useCamera: it is already stopped.
      this.camera = null;
      await this.#useCamera(next);
      const id = deviceIdOf(next);
      if (id) setPref('cameraId', id);
    });
  }

  selectCamera(deviceId: string): Promise<void> {
    setPref('cameraId', deviceId);
    return this.#serial(async () => {
      if (!this.camera || deviceIdOf(this.camera) === deviceId) return;
      const old = this.camera;
      // Open the new one first; if the platform refuses two at once, release and retry.
      let track = await openCamera({ deviceId, exact: true }).catch(() => null);
      if (!track) {
        stopTrack(old);
        track = await this.#open('camera', () => openCamera({ deviceId, exact: true }));
        if (!track) track = await openCamera({ deviceId: deviceIdOf(old) }).catch(() => null);
      }
      if (track) {
        await this.#useCamera(track);
      } else {
        this.camera = null;
        this.#onChange();
      }
    });
  }

  selectMic(deviceId: string): Promise<void> {
    setPref('micId', deviceId);
    return this.#serial(async () => {
      if (!this.mic || deviceIdOf(this.mic) === deviceId) return;
      const track = await this.#open('microphone', () => openMic({ deviceId, exact: true }));
      if (!track) return;
      const old = this.mic;
      track.enabled = !this.micMuted;
      this.mic = track;
      this.#watchEnded(track, 'microphone');
      this.#onChange();
      if (this.#micPublished) await this.#room.replaceTrack('microphone', track);
      stopTrack(old);
    });
  }

  toggleScreenShare(): Promise<void> {
    return this.sharing ? this.stopScreenShare() : this.startScreenShare();
  }

  startScreenShare(): Promise<void> {
    return this.#serial(async () => {
      if (this.screen || !canShareScreen()) return;
      let stream: MediaStream;
      try {
        // Tab audio when the browser offers it (a video in a tab should be heard); 15 fps is plenty for slides and code.
        stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: true });
      } catch (error) {
        // Cancelling the picker is a choice, not an error worth a message.
        if ((error as Error).name !== 'NotAllowedError') this.#onError(describeMediaError(error, 'screen'));
        return;
      }
      const video = stream.getVideoTracks()[0] ?? null;
      const audio = stream.getAudioTracks()[0] ?? null;
      if (!video) return;
      // Encoders keep text sharp, rather than smooth, for 'detail' content.
      video.contentHint = 'detail';
      this.screen = video;
      this.screenAudio = audio;
      // The browser's own "Stop sharing" button ends the track.
      video.addEventListener('ended', () => void this.stopScreenShare(), { once: true });
      this.#onChange();
      try {
        await this.#room.publishTrack(video, 'screen', videoPublishOptions('screen'));
        if (audio) await this.#room.publishTrack(audio, 'screen-audio');
      } catch (error) {
        this.#onError('Screen sharing could not start. Try again.');
        console.warn('[muster] screen publish failed', error);
        await this.#stopScreen();
      }
    });
  }

  stopScreenShare(): Promise<void> {
    return this.#serial(() => this.#stopScreen());
  }

  async #stopScreen(): Promise<void> {
    if (!this.screen) return;
    const tracks = [this.screen, this.screenAudio];
    const hadAudio = !!this.screenAudio;
    this.screen = null;
    this.screenAudio = null;
    this.#onChange();
    tracks.forEach(stopTrack);
    await this.#room.unpublishTrack('screen');
    if (hadAudio) await this.#room.unpublishTrack('screen-audio');
  }

  async refreshDevices(): Promise<void> {
    const { cameras } = await listDevices();
    if (cameras.length !== this.cameraCount) {
      this.cameraCount = cameras.length;
      this.#onChange();
    }
  }

  #onDeviceChange = () => void this.refreshDevices();

  /** A device that disappears (unplugged headset) ends its track: fall back to the default one. */
  #watchEnded(track: MediaStreamTrack | null, source: 'microphone' | 'camera'): void {
    track?.addEventListener(
      'ended',
      () => {
        if (source === 'microphone' && this.mic === track) {
          void this.#serial(async () => {
            const next = await openMic().catch(() => null);
            if (this.mic !== track) return next?.stop();
            if (!next) {
              this.#onError('The microphone was disconnected.');
              return;
            }
            next.enabled = !this.micMuted;
            this.mic = next;
            this.#watchEnded(next, 'microphone');
            if (this.#micPublished) await this.#room.replaceTrack('microphone', next);
            this.#onChange();
          });
        } else if (source === 'camera' && this.camera === track) {
          this.#onError('The camera was disconnected.');
          void this.#serial(async () => {
            if (this.camera !== track) return;
            this.camera = null;
            this.#onChange();
            if (this.#cameraPublished) {
              await this.#room.replaceTrack('camera', null);
              await this.#room.setMuted('camera', true);
            }
          });
        }
      },
      { once: true },
    );
  }

  async #open(what: 'camera' | 'microphone', open: () => Promise<MediaStreamTrack>): Promise<MediaStreamTrack | null> {
    try {
      return await open();
    } catch (error) {
      this.#onError(describeMediaError(error, what));
      return null;
    }
  }

  /** One device operation at a time; a failed one reports and never blocks the next. */
  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task).catch((error) => {
      console.warn('[muster] local media operation failed', error);
      // Errors with a protocol code come from the server round trip, not from the devices.
      const fromServer = typeof (error as { code?: unknown })?.code === 'string';
      if (isForbidden(error)) this.#onError((error as Error).message ? capitalise((error as Error).message) : 'A host has not allowed that.');
      else this.#onError(fromServer ? 'The server did not confirm that change. Check your connection.' : 'Something went wrong with your devices. Try again.');
    });
    this.#queue = run.then(() => this.#onChange());
    return this.#queue as Promise<void>;
  }

  stopAll(): void {
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    for (const track of [this.mic, this.camera, this.screen, this.screenAudio]) stopTrack(track);
    this.mic = this.camera = this.screen = this.screenAudio = null;
  }
}

function isForbidden(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'FORBIDDEN';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
