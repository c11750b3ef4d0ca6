import { Room, type RemoteTrack } from '@muster/signaling/client';
import { facingOf, listDevices, openCamera, openMic, stopTrack } from '../lib/devices.ts';
import { videoPublishOptions } from '../meeting/videoPolicy.ts';

export interface CallMediaState {
  connected: boolean;
  micMuted: boolean;
  cameraOn: boolean;
  /** The self-view (a clone of the camera, so it shows while the published track is held). */
  preview: MediaStream | null;
  remoteVideo: MediaStream | null;
  remoteAudio: MediaStream | null;
  /** More than one camera, or a camera that reports facingMode: front/back is offered. */
  canFlip: boolean;
  /** Audio outputs to choose from (only where HTMLMediaElement.setSinkId exists). */
  outputs: MediaDeviceInfo[];
  sinkId: string;
  problem: string | null;
}

const INITIAL: CallMediaState = { connected: false, micMuted: false, cameraOn: false, preview: null, remoteVideo: null, remoteAudio: null, canFlip: false, outputs: [], sinkId: '', problem: null };

/**
 * One call's media, through the meeting client SDK (`Room`) in the call's
 * private two-person room. For a fast start it connects before anything is
 * answered, and never waits for the camera to connect:
 *
 * - the caller joins as the call starts and publishes its microphone and
 *   camera *held*: muted on the server before the producers exist, so they
 *   are made paused and nothing of the caller reaches the other side before
 *   the answer, while the encoders already run; `go()` on `im.call.accepted`
 *   resumes them, and the SFU asks for a keyframe the moment the paused
 *   consumer resumes;
 * - the callee joins while it rings (its subscriber connection is up, with
 *   the caller's paused consumers in it), publishes held too where its
 *   devices are already allowed (no prompt while ringing), and releases or
 *   publishes as it answers.
 */
export class CallSession {
  readonly room: Room;
  state: CallMediaState = { ...INITIAL };
  #mic: MediaStreamTrack | null = null;
  #camera: MediaStreamTrack | null = null;
  #held = false;
  #closed = false;
  #joined: Promise<void> | null = null;
  #publishing: Promise<void> | null = null;
  readonly #onChange: (state: CallMediaState) => void;
  readonly #roomId: string;

  constructor(options: { roomId: string; accessToken: () => Promise<string | null>; onChange: (state: CallMediaState) => void }) {
    this.#roomId = options.roomId;
    this.#onChange = options.onChange;
    this.room = new Room({ accessToken: options.accessToken, iceDisconnectedGraceMs: 10_000 });
    this.room.on('trackSubscribed', (track) => this.#remote(track, true));
    this.room.on('trackUnsubscribed', (track) => this.#remote(track, false));
    this.room.on('participantUpdated', () => this.#refreshRemote());
    if ('setSinkId' in HTMLMediaElement.prototype) void this.#listOutputs();
  }

  /** Joins the call's room (once; later calls wait for the first). */
  join(): Promise<void> {
    this.#joined ??= this.room.connect(this.#roomId, 'call').then(() => this.#set({ connected: true }));
    return this.#joined;
  }

  /**
   * Opens the microphone (and camera for video) and publishes them: `held`
   * keeps them paused on the server until `go()`.
   */
  publish(video: boolean, held: boolean): Promise<void> {
    this.#publishing ??= this.#publish(video, held);
    return this.#publishing;
  }

  /** Whether publish() was called (the media is on its way, held or not). */
  get publishing(): boolean {
    return this.#publishing !== null;
  }

  async #publish(video: boolean, held: boolean): Promise<void> {
    this.#held = held;
    // Connecting does not wait for the devices.
    const joined = this.join();
    const [mic, camera] = await Promise.allSettled([openMic(), video ? openCamera({ facingMode: 'user' }) : Promise.resolve(null)]);
    if (this.#closed) {
      if (mic.status === 'fulfilled') stopTrack(mic.value);
      if (camera.status === 'fulfilled') stopTrack(camera.value);
      return;
    }
    this.#mic = mic.status === 'fulfilled' ? mic.value : null;
    this.#camera = camera.status === 'fulfilled' ? camera.value : null;
    if (mic.status === 'rejected') this.#set({ problem: 'The microphone could not be opened.' });
    if (camera.status === 'rejected') this.#set({ problem: 'The camera could not be opened.' });
    this.#set({ cameraOn: !!this.#camera, preview: this.#camera ? new MediaStream([this.#camera.clone()]) : null });
    void this.#checkFlip();
    await joined;
    // Held: muted on the server before the producers exist, so they are made paused and nothing
    // reaches the other side; the encoders run meanwhile, so the answer only has to resume them.
    if (held) await Promise.all([this.#mic && this.room.setMuted('microphone', true), this.#camera && this.room.setMuted('camera', true)]);
    if (this.#mic) {
      this.#mic.enabled = !this.state.micMuted;
      await this.room.publishTrack(this.#mic, 'microphone');
    }
    if (this.#camera) await this.room.publishTrack(this.#camera, 'camera', videoPublishOptions('camera'));
  }

  /** The call was answered: release what was held. */
  async go(): Promise<void> {
    await this.#publishing?.catch(() => undefined);
    if (!this.#held) return;
    this.#held = false;
    const work: Promise<unknown>[] = [];
    if (this.#camera) work.push(this.room.setMuted('camera', false));
    if (this.#mic && !this.state.micMuted) work.push(this.room.setMuted('microphone', false));
    await Promise.all(work);
  }

  async toggleMic(): Promise<void> {
    const muted = !this.state.micMuted;
    this.#set({ micMuted: muted });
    if (!this.#mic) return;
    this.#mic.enabled = !muted;
    // While held the server keeps it muted anyway; go() unmutes it unless the person muted it.
    if (!this.#held) await this.room.setMuted('microphone', muted);
  }

  /** Camera off releases the device; on again (or voice → video) opens it and publishes. */
  async toggleCamera(): Promise<void> {
    if (this.#camera) {
      const old = this.#camera;
      this.#camera = null;
      this.state.preview?.getTracks().forEach(stopTrack);
      this.#set({ cameraOn: false, preview: null });
      await this.room.replaceTrack('camera', null).catch(() => undefined);
      await this.room.setMuted('camera', true).catch(() => undefined);
      stopTrack(old);
      return;
    }
    const track = await openCamera({ facingMode: 'user' }).catch(() => null);
    if (!track) return this.#set({ problem: 'The camera could not be opened.' });
    this.#camera = track;
    this.#set({ cameraOn: true, preview: new MediaStream([track.clone()]) });
    void this.#checkFlip();
    if (this.#held) await this.room.setMuted('camera', true).catch(() => undefined);
    if (this.room.publishedTrack('camera') !== null || this.room.localParticipant?.publications.some((p) => p.source === 'camera')) {
      await this.room.replaceTrack('camera', track).catch(() => this.room.publishTrack(track, 'camera', videoPublishOptions('camera')));
      if (!this.#held) await this.room.setMuted('camera', false).catch(() => undefined);
    } else {
      await this.room.publishTrack(track, 'camera', videoPublishOptions('camera'));
    }
  }

  /** Front ↔ back (phones), else the next camera. */
  async flipCamera(): Promise<void> {
    const current = this.#camera;
    if (!current) return;
    const facing = facingOf(current);
    stopTrack(current);
    const track = await openCamera(facing ? { facingMode: facing === 'environment' ? 'user' : 'environment' } : {}).catch(() => null);
    if (!track) return this.#set({ problem: 'The other camera could not be opened.' });
    this.#camera = track;
    this.state.preview?.getTracks().forEach(stopTrack);
    this.#set({ preview: new MediaStream([track.clone()]) });
    await this.room.replaceTrack('camera', track);
  }

  /** Plays the other person on this output (where setSinkId exists). */
  setSink(sinkId: string): void {
    this.#set({ sinkId });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    stopTrack(this.#mic);
    stopTrack(this.#camera);
    this.state.preview?.getTracks().forEach(stopTrack);
    await this.room.leave().catch(() => undefined);
  }

  #remote(_track: RemoteTrack, _added: boolean): void {
    this.#refreshRemote();
  }

  #refreshRemote(): void {
    let video: MediaStreamTrack | null = null;
    let audio: MediaStreamTrack | null = null;
    // The other person may be here on two devices for a moment (the one that did not answer is leaving): prefer what is not paused.
    for (const participant of this.room.remoteParticipants.values()) {
      const paused = new Set(participant.publications.filter((p) => p.paused).map((p) => p.id));
      for (const track of participant.tracks.values()) {
        const live = !paused.has(track.trackId);
        if (track.kind === 'video' && track.source === 'camera' && (live || !video)) video = track.mediaStreamTrack;
        if (track.kind === 'audio' && track.source === 'microphone' && (live || !audio)) audio = track.mediaStreamTrack;
      }
    }
    const same = (stream: MediaStream | null, track: MediaStreamTrack | null) => (stream?.getTracks()[0] ?? null) === track;
    if (same(this.state.remoteVideo, video) && same(this.state.remoteAudio, audio)) return;
    this.#set({
      remoteVideo: same(this.state.remoteVideo, video) ? this.state.remoteVideo : video ? new MediaStream([video]) : null,
      remoteAudio: same(this.state.remoteAudio, audio) ? this.state.remoteAudio : audio ? new MediaStream([audio]) : null,
    });
  }

  async #checkFlip(): Promise<void> {
    const { cameras } = await listDevices().catch(() => ({ cameras: [] as MediaDeviceInfo[] }));
    const facing = !!facingOf(this.#camera);
    this.#set({ canFlip: cameras.length > 1 || (facing && cameras.length > 0) });
  }

  async #listOutputs(): Promise<void> {
    const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => [] as MediaDeviceInfo[]);
    this.#set({ outputs: (devices ?? []).filter((d) => d.kind === 'audiooutput' && d.deviceId !== '') });
  }

  #set(change: Partial<CallMediaState>): void {
    this.state = { ...this.state, ...change };
    this.#onChange(this.state);
  }
}
