import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { meetingLink } from '../app/router.ts';
import { hueFor, initials } from '../lib/avatar.ts';
import { captureLocal, describeMediaError, deviceIdOf, insecureContextMessage, listDevices, mediaAvailable, openCamera, openMic, stopTrack, type DeviceLists } from '../lib/devices.ts';
import { Icon } from '../ui/Icon.tsx';
import { MicLevel } from '../lib/micLevel.ts';
import { getPref, setPref } from '../lib/prefs.ts';
import type { LocalStart } from '../meeting/localMedia.ts';
import { Avatar } from '../ui/Avatar.tsx';
import { Brand } from '../ui/Brand.tsx';
import { CopyButton } from '../ui/CopyButton.tsx';
import { DeviceSelect } from '../ui/DeviceSelect.tsx';
import { MicMeter } from '../ui/MicMeter.tsx';
import { validateName } from './names.ts';

export interface PrejoinProps {
  roomId: string;
  initialName: string;
  /** Signed in: the meeting names you from your profile, so there is no name to ask for. */
  profile?: { name: string; avatar: string | null } | null;
  /** `start` settles once the devices asked for on this screen have opened (or failed to). */
  onJoin(name: string, start: Promise<LocalStart>): void;
}

/** The device chosen in a list: the wanted one if it is there, else the first. */
function chosen(devices: MediaDeviceInfo[], wanted: string | null | undefined): string {
  return devices.some((d) => d.deviceId === wanted) ? wanted! : (devices[0]?.deviceId ?? '');
}

/**
 * The "green room": check how you look and sound, pick devices, then join.
 * The tracks opened here are handed to the meeting, so joining does not
 * blink the camera off and on again.
 */
export function PrejoinPage({ roomId, initialName, profile = null, onJoin }: PrejoinProps) {
  const [name, setName] = useState(initialName);
  const [nameError, setNameError] = useState('');
  const [notice, setNotice] = useState('');
  const [mic, setMicState] = useState<MediaStreamTrack | null>(null);
  const [camera, setCameraState] = useState<MediaStreamTrack | null>(null);
  const [micOn, setMicOnState] = useState(true);
  const [cameraOn, setCameraOnState] = useState(true);
  const [starting, setStarting] = useState(true);
  const [cameraBusy, setCameraBusy] = useState(false);
  const [devices, setDevices] = useState<DeviceLists>({ cameras: [], mics: [], speakers: [] });
  const [meter] = useState(() => new MicLevel());
  /**
   * The same, for the async device code and the teardown: what is open right
   * now (state is a render behind), whether the screen is gone, and whether
   * the tracks went to the meeting.
   */
  const live = useRef({ mic: null as MediaStreamTrack | null, camera: null as MediaStreamTrack | null, micOn: true, cameraOn: true, disposed: false, handedOff: false, problems: [] as string[], started: Promise.resolve() });
  const nameInput = useRef<HTMLInputElement>(null);
  const video = useRef<HTMLVideoElement>(null);

  const setMic = (track: MediaStreamTrack | null) => setMicState((live.current.mic = track));
  const setCamera = (track: MediaStreamTrack | null) => setCameraState((live.current.camera = track));
  const setMicOn = (on: boolean) => setMicOnState((live.current.micOn = on));
  const setCameraOn = (on: boolean) => setCameraOnState((live.current.cameraOn = on));

  const fillDeviceLists = async () => {
    const lists = await listDevices();
    if (!live.current.disposed) setDevices(lists);
  };

  const start = async () => {
    if (!mediaAvailable()) {
      setNotice(insecureContextMessage());
      setStarting(false);
      return;
    }
    const result = await captureLocal({ mic: true, camera: true, micId: getPref('micId') ?? undefined, cameraId: getPref('cameraId') ?? undefined });
    const state = live.current;
    if (state.disposed && !state.handedOff) {
      stopTrack(result.mic);
      stopTrack(result.camera);
      return;
    }
    state.mic = result.mic;
    state.camera = result.camera;
    if (state.disposed) {
      // Joined while the devices were still opening: the meeting takes them, and reports what failed.
      state.problems = result.problems;
      return;
    }
    setStarting(false);
    setMic(result.mic);
    setCamera(result.camera);
    setNotice(result.problems.join(' '));
    meter.attach(result.mic);
    await fillDeviceLists();
  };

  useEffect(() => {
    live.current.started = start();
    const onDeviceChange = () => void fillDeviceLists();
    navigator.mediaDevices?.addEventListener?.('devicechange', onDeviceChange);
    if (!initialName && !profile && matchMedia('(pointer: fine)').matches) nameInput.current?.focus();
    return () => {
      const state = live.current;
      state.disposed = true;
      navigator.mediaDevices?.removeEventListener?.('devicechange', onDeviceChange);
      meter.close();
      if (!state.handedOff) {
        stopTrack(state.mic);
        stopTrack(state.camera);
      }
    };
  }, []);

  const showVideo = !!(cameraOn && camera);
  useLayoutEffect(() => {
    const v = video.current!;
    const wanted = showVideo ? camera : null;
    const current = (v.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    if (current !== wanted) v.srcObject = wanted ? new MediaStream([wanted]) : null;
  }, [showVideo, camera]);
  useEffect(() => {
    if (mic) mic.enabled = micOn;
  }, [mic, micOn]);

  const cameraId = chosen(devices.cameras, deviceIdOf(camera) ?? getPref('cameraId'));
  const micId = chosen(devices.mics, deviceIdOf(mic) ?? getPref('micId'));

  const toggleMic = async () => {
    meter.resume();
    if (live.current.mic) return setMicOn(!live.current.micOn);
    try {
      const track = await openMic({ deviceId: micId || undefined });
      setMic(track);
      meter.attach(track);
      setNotice('');
      await fillDeviceLists();
    } catch (error) {
      setNotice(describeMediaError(error, 'microphone'));
      return;
    }
    setMicOn(true);
  };

  const toggleCamera = async () => {
    if (live.current.cameraOn && live.current.camera) {
      // Off means off: release the device so its light goes out.
      setCameraOn(false);
      stopTrack(live.current.camera);
      setCamera(null);
      return;
    }
    setCameraOn(true);
    setCameraBusy(true);
    try {
      setCamera(await openCamera({ deviceId: cameraId || undefined }));
      setNotice('');
      await fillDeviceLists();
    } catch (error) {
      setCameraOn(false);
      setNotice(describeMediaError(error, 'camera'));
    } finally {
      setCameraBusy(false);
    }
  };

  const selectCamera = async (deviceId: string) => {
    setPref('cameraId', deviceId);
    if (!live.current.cameraOn) return;
    stopTrack(live.current.camera);
    setCamera(null);
    try {
      setCamera(await openCamera({ deviceId, exact: true }));
      setNotice('');
    } catch (error) {
      setNotice(describeMediaError(error, 'camera'));
    }
  };

  const selectMic = async (deviceId: string) => {
    setPref('micId', deviceId);
    try {
      const next = await openMic({ deviceId, exact: true });
      stopTrack(live.current.mic);
      setMic(next);
      meter.attach(next);
      setNotice('');
    } catch (error) {
      setNotice(describeMediaError(error, 'microphone'));
    }
  };

  const join = (event: Event) => {
    event.preventDefault();
    const problem = profile ? null : validateName(name);
    if (problem) {
      setNameError(problem);
      nameInput.current?.focus();
      return;
    }
    const trimmed = profile ? profile.name : name.trim();
    if (!profile) setPref('name', trimmed);
    const state = live.current;
    state.handedOff = true;
    meter.close();
    // Joining before the camera is up is fine: the meeting waits for the devices while it connects.
    const handoff = state.started.then(() => {
      if (state.mic) state.mic.enabled = state.micOn;
      return { mic: state.mic, camera: state.cameraOn ? state.camera : null, micMuted: !state.micOn, problems: state.problems };
    });
    onJoin(trimmed, handoff);
  };

  const micLive = micOn && !!mic;
  const avatarName = (profile ? profile.name : name.trim()) || '?';
  return (
    // An AudioContext made before any gesture stays suspended: the first tap anywhere wakes the meter.
    <div class="prejoin" data-testid="prejoin" onPointerDown={() => meter.resume()}>
      <header class="home-header">
        <Brand />
      </header>
      <main class="prejoin-main">
        <section class="preview" aria-label="Camera preview">
          <div class={`preview-avatar${showVideo ? ' hidden' : ''}`}>
            {profile?.avatar ? (
              <img class="avatar-circle avatar-img" src={profile.avatar} alt="" draggable={false} />
            ) : (
              <span class="avatar-circle" style={{ '--hue': String(hueFor(avatarName)) }}>
                {initials(avatarName)}
              </span>
            )}
          </div>
          <video ref={video} class={`preview-video mirror${showVideo ? '' : ' hidden'}`} autoplay playsInline muted />
          <div class={`preview-status${showVideo ? ' hidden' : ''}`}>{starting ? 'Starting camera…' : cameraOn && !camera ? 'Camera unavailable' : 'Camera is off'}</div>
          <div class="preview-bar">
            <button
              class={`round-btn${micLive ? '' : ' off'}`}
              type="button"
              data-testid="prejoin-mic-toggle"
              aria-pressed={!micLive}
              aria-label={micOn ? 'Turn off microphone' : 'Turn on microphone'}
              title={micOn ? 'Turn off microphone' : 'Turn on microphone'}
              onClick={() => void toggleMic()}
            >
              <Icon name={micLive ? 'mic' : 'micOff'} />
            </button>
            <button
              class={`round-btn${showVideo ? '' : ' off'}`}
              type="button"
              data-testid="prejoin-camera-toggle"
              aria-pressed={!showVideo}
              aria-label={cameraOn ? 'Turn off camera' : 'Turn on camera'}
              title={cameraOn ? 'Turn off camera' : 'Turn on camera'}
              disabled={cameraBusy}
              onClick={() => void toggleCamera()}
            >
              <Icon name={showVideo ? 'video' : 'videoOff'} />
            </button>
          </div>
          <MicMeter level={meter.level} />
        </section>
        <form class="prejoin-form" noValidate onSubmit={join}>
          <h1>Ready to join?</h1>
          <p class="room-line">
            <span class="room-code" data-testid="room-code">
              {roomId}
            </span>
            <CopyButton class="link-btn" icon="copy" label="Copy link" title="Copy meeting link" promptLabel="Copy this meeting link" text={() => meetingLink(roomId)} />
          </p>
          {profile ? (
            <div class="prejoin-profile" data-testid="prejoin-profile">
              <Avatar name={profile.name} src={profile.avatar} />
              <span>
                Joining as <strong data-testid="prejoin-profile-name">{profile.name}</strong>
              </span>
            </div>
          ) : (
            <label class="field">
              <span class="field-label">Your name</span>
              <input
                ref={nameInput}
                class="input"
                id="display-name"
                type="text"
                maxLength={64}
                autocomplete="name"
                enterKeyHint="go"
                placeholder="Your name"
                data-testid="prejoin-name"
                value={name}
                onInput={(event) => {
                  setName(event.currentTarget.value);
                  setNameError('');
                }}
              />
            </label>
          )}
          <p class="form-error" role="alert">
            {nameError}
          </p>
          <div class="device-fields">
            <label class="field">
              <span class="field-label">Camera</span>
              <DeviceSelect id="camera-select" testId="prejoin-camera-select" devices={devices.cameras} selected={cameraId} empty="No camera found" onChange={(id) => void selectCamera(id)} />
            </label>
            <label class="field">
              <span class="field-label">Microphone</span>
              <DeviceSelect id="mic-select" testId="prejoin-mic-select" devices={devices.mics} selected={micId} empty="No microphone found" onChange={(id) => void selectMic(id)} />
            </label>
          </div>
          <p class="form-notice" role="status">
            {notice}
          </p>
          <button class="btn btn-primary btn-lg btn-block" type="submit" data-testid="join">
            Join meeting
          </button>
        </form>
      </main>
    </div>
  );
}
