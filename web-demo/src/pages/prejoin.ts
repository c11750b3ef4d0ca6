import { h, hueFor, initials, setText } from '../lib/dom.ts';
import { captureLocal, describeMediaError, deviceIdOf, listDevices, mediaAvailable, insecureContextMessage, openCamera, openMic, stopTrack } from '../lib/devices.ts';
import { icon, setIcon } from '../lib/icons.ts';
import { copyLink } from '../lib/clipboard.ts';
import { MicMeter } from '../lib/micMeter.ts';
import { getPref, setPref } from '../lib/prefs.ts';
import type { LocalStart } from '../meeting/localMedia.ts';
import { brand } from './brand.ts';

export interface PrejoinOptions {
  roomId: string;
  initialName: string;
  /** `start` settles once the devices asked for on this screen have opened (or failed to). */
  onJoin(name: string, start: Promise<LocalStart>): void;
}

/** Mirrors DisplayNameSchema in the protocol, to say what is wrong before the server does. */
export function validateName(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Enter your name so others know who joined.';
  if (trimmed.length > 64) return 'That name is too long (64 characters at most).';
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'That name contains characters that cannot be shown.';
  return null;
}

/**
 * The "green room": check how you look and sound, pick devices, then join.
 * The tracks opened here are handed to the meeting, so joining does not
 * blink the camera off and on again.
 */
export function renderPrejoin(root: HTMLElement, opts: PrejoinOptions): () => void {
  let mic: MediaStreamTrack | null = null;
  let camera: MediaStreamTrack | null = null;
  let micOn = true;
  let cameraOn = true;
  let handedOff = false;
  let disposed = false;
  let starting = true;
  /** Device problems not yet shown to the person (they joined before the devices opened). */
  let problems: string[] = [];

  const video = h('video', { class: 'preview-video mirror', autoplay: true, playsinline: true, muted: true });
  video.muted = true;
  const avatar = h('div', { class: 'preview-avatar' }, h('span', { class: 'avatar-circle' }));
  const status = h('div', { class: 'preview-status' }, 'Starting camera…');
  const meter = h('div', { class: 'mic-meter', 'aria-hidden': 'true' }, h('span'), h('span'), h('span'), h('span'), h('span'));
  const micMeter = new MicMeter(meter);

  const micButton = h('button', { class: 'round-btn', type: 'button', 'data-testid': 'prejoin-mic-toggle' });
  const camButton = h('button', { class: 'round-btn', type: 'button', 'data-testid': 'prejoin-camera-toggle' });

  const nameInput = h('input', {
    class: 'input',
    id: 'display-name',
    type: 'text',
    maxlength: 64,
    autocomplete: 'name',
    enterkeyhint: 'go',
    placeholder: 'Your name',
    'data-testid': 'prejoin-name',
  });
  nameInput.value = opts.initialName;
  const cameraSelect = h('select', { class: 'select', id: 'camera-select', 'data-testid': 'prejoin-camera-select' });
  const micSelect = h('select', { class: 'select', id: 'mic-select', 'data-testid': 'prejoin-mic-select' });
  const joinButton = h('button', { class: 'btn btn-primary btn-lg btn-block', type: 'submit', 'data-testid': 'join' }, 'Join meeting');
  const nameError = h('p', { class: 'form-error', role: 'alert' });
  const deviceNotice = h('p', { class: 'form-notice', role: 'status' });

  const copyButton = h('button', { class: 'link-btn', type: 'button', title: 'Copy meeting link' }, icon('copy'), h('span', null, 'Copy link'));
  copyButton.addEventListener('click', () => void copyLink(opts.roomId, copyButton));

  const form = h(
    'form',
    { class: 'prejoin-form', novalidate: true },
    h('h1', null, 'Ready to join?'),
    h('p', { class: 'room-line' }, h('span', { class: 'room-code', 'data-testid': 'room-code' }, opts.roomId), copyButton),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Your name'), nameInput),
    nameError,
    h(
      'div',
      { class: 'device-fields' },
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Camera'), cameraSelect),
      h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Microphone'), micSelect),
    ),
    deviceNotice,
    joinButton,
  );

  root.append(
    h(
      'div',
      { class: 'prejoin', 'data-testid': 'prejoin' },
      h('header', { class: 'home-header' }, brand()),
      h(
        'main',
        { class: 'prejoin-main' },
        h('section', { class: 'preview', 'aria-label': 'Camera preview' }, avatar, video, status, h('div', { class: 'preview-bar' }, micButton, camButton), meter),
        form,
      ),
    ),
  );

  function updateAvatar(): void {
    const name = nameInput.value.trim() || '?';
    const circle = avatar.firstElementChild as HTMLElement;
    setText(circle, initials(name));
    circle.style.setProperty('--hue', String(hueFor(name)));
  }

  function render(): void {
    setIcon(micButton, micOn && mic ? 'mic' : 'micOff');
    setIcon(camButton, cameraOn && camera ? 'video' : 'videoOff');
    micButton.classList.toggle('off', !(micOn && mic));
    camButton.classList.toggle('off', !(cameraOn && camera));
    micButton.setAttribute('aria-pressed', String(!(micOn && mic)));
    camButton.setAttribute('aria-pressed', String(!(cameraOn && camera)));
    micButton.setAttribute('aria-label', micOn ? 'Turn off microphone' : 'Turn on microphone');
    camButton.setAttribute('aria-label', cameraOn ? 'Turn off camera' : 'Turn on camera');
    micButton.title = micButton.getAttribute('aria-label')!;
    camButton.title = camButton.getAttribute('aria-label')!;
    const showVideo = !!(cameraOn && camera);
    video.classList.toggle('hidden', !showVideo);
    avatar.classList.toggle('hidden', showVideo);
    const current = (video.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    const wanted = showVideo ? camera : null;
    if (current !== wanted) video.srcObject = wanted ? new MediaStream([wanted]) : null;
    status.textContent = starting ? 'Starting camera…' : cameraOn && !camera ? 'Camera unavailable' : 'Camera is off';
    status.classList.toggle('hidden', showVideo);
    if (mic) mic.enabled = micOn;
    updateAvatar();
  }

  async function fillDeviceLists(): Promise<void> {
    const { cameras, mics } = await listDevices();
    if (disposed) return;
    fillSelect(cameraSelect, cameras, deviceIdOf(camera) ?? getPref('cameraId'), 'No camera found');
    fillSelect(micSelect, mics, deviceIdOf(mic) ?? getPref('micId'), 'No microphone found');
  }

  async function start(): Promise<void> {
    if (!mediaAvailable()) {
      deviceNotice.textContent = insecureContextMessage();
      starting = false;
      render();
      return;
    }
    const result = await captureLocal({ mic: true, camera: true, micId: getPref('micId') ?? undefined, cameraId: getPref('cameraId') ?? undefined });
    starting = false;
    if (disposed && !handedOff) {
      stopTrack(result.mic);
      stopTrack(result.camera);
      return;
    }
    mic = result.mic;
    camera = result.camera;
    if (disposed) {
      // Joined while the devices were still opening: the meeting takes them, and reports what failed.
      problems = result.problems;
      return;
    }
    deviceNotice.textContent = result.problems.join(' ');
    micMeter.attach(mic);
    render();
    await fillDeviceLists();
  }

  micButton.addEventListener('click', async () => {
    micMeter.resume();
    if (!mic) {
      try {
        mic = await openMic({ deviceId: micSelect.value || undefined });
        micMeter.attach(mic);
        deviceNotice.textContent = '';
        await fillDeviceLists();
      } catch (error) {
        deviceNotice.textContent = describeMediaError(error, 'microphone');
        return;
      }
      micOn = true;
    } else {
      micOn = !micOn;
    }
    render();
  });

  camButton.addEventListener('click', async () => {
    if (cameraOn && camera) {
      // Off means off: release the device so its light goes out.
      cameraOn = false;
      stopTrack(camera);
      camera = null;
      render();
      return;
    }
    cameraOn = true;
    camButton.disabled = true;
    try {
      camera = await openCamera({ deviceId: cameraSelect.value || undefined });
      deviceNotice.textContent = '';
      await fillDeviceLists();
    } catch (error) {
      cameraOn = false;
      deviceNotice.textContent = describeMediaError(error, 'camera');
    } finally {
      camButton.disabled = false;
    }
    render();
  });

  cameraSelect.addEventListener('change', async () => {
    const deviceId = cameraSelect.value;
    setPref('cameraId', deviceId);
    if (!cameraOn) return;
    stopTrack(camera);
    camera = null;
    render();
    try {
      camera = await openCamera({ deviceId, exact: true });
      deviceNotice.textContent = '';
    } catch (error) {
      deviceNotice.textContent = describeMediaError(error, 'camera');
    }
    render();
  });

  micSelect.addEventListener('change', async () => {
    const deviceId = micSelect.value;
    setPref('micId', deviceId);
    try {
      const next = await openMic({ deviceId, exact: true });
      stopTrack(mic);
      mic = next;
      micMeter.attach(mic);
      deviceNotice.textContent = '';
    } catch (error) {
      deviceNotice.textContent = describeMediaError(error, 'microphone');
    }
    render();
  });

  nameInput.addEventListener('input', () => {
    nameError.textContent = '';
    updateAvatar();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem = validateName(nameInput.value);
    if (problem) {
      nameError.textContent = problem;
      nameInput.focus();
      return;
    }
    const name = nameInput.value.trim();
    setPref('name', name);
    handedOff = true;
    micMeter.close();
    // Joining before the camera is up is fine: the meeting waits for the devices while it connects.
    const handoff = started.then(() => {
      if (mic) mic.enabled = micOn;
      return { mic, camera: cameraOn ? camera : null, micMuted: !micOn, problems };
    });
    opts.onJoin(name, handoff);
  });

  // An AudioContext made before any gesture stays suspended: the first tap anywhere wakes the meter.
  root.querySelector('.prejoin')?.addEventListener('pointerdown', () => micMeter.resume(), { once: true });

  const onDeviceChange = () => void fillDeviceLists();
  navigator.mediaDevices?.addEventListener?.('devicechange', onDeviceChange);

  render();
  const started = start();
  if (!nameInput.value && matchMedia('(pointer: fine)').matches) nameInput.focus();

  return () => {
    disposed = true;
    navigator.mediaDevices?.removeEventListener?.('devicechange', onDeviceChange);
    micMeter.close();
    if (!handedOff) {
      stopTrack(mic);
      stopTrack(camera);
    }
  };
}

function fillSelect(select: HTMLSelectElement, devices: MediaDeviceInfo[], selectedId: string | null | undefined, emptyLabel: string): void {
  select.replaceChildren(
    ...(devices.length
      ? devices.map((d, i) => h('option', { value: d.deviceId, selected: d.deviceId === selectedId }, d.label || `Device ${i + 1}`))
      : [h('option', { value: '' }, emptyLabel)]),
  );
  select.disabled = devices.length === 0;
}
