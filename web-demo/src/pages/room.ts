import { captureLocal } from '../lib/devices.ts';
import { getPref } from '../lib/prefs.ts';
import { isValidRoomCode } from '../lib/roomCode.ts';
import type { JoinCredentials } from '@muster/signaling/client';
import type { LocalStart } from '../meeting/localMedia.ts';
import { renderMeeting, type MeetingEnd } from '../meeting/meeting.ts';
import { renderLeft } from './left.ts';
import { renderNotFound } from './notFound.ts';
import { renderPrejoin, validateName } from './prejoin.ts';

/**
 * /m/<room>: prejoin → meeting → "you left" → (rejoin) meeting, all on one
 * URL, so reloading always lands on the prejoin screen of the same meeting.
 */
export function renderRoomPage(root: HTMLElement, roomId: string, params: URLSearchParams): () => void {
  if (!isValidRoomCode(roomId)) return renderNotFound(root, 'That meeting code is not valid. Check the link you were sent.');
  document.title = `${roomId} · Muster`;
  let cleanup: (() => void) | undefined;
  // Links carry authority: ?key= (host key), ?invite= (a role), ?pwd= (the passcode).
  const credentials: JoinCredentials = {};
  const hostKey = params.get('key');
  const invite = params.get('invite');
  const passcode = params.get('pwd');
  if (hostKey) credentials.hostKey = hostKey;
  if (invite) credentials.invite = invite;
  if (passcode) credentials.passcode = passcode;

  const show = (render: () => () => void) => {
    cleanup?.();
    root.replaceChildren();
    cleanup = render();
  };

  const meeting = (name: string, start: Promise<LocalStart>) =>
    show(() => renderMeeting(root, { roomId, name, start, credentials, onEnd: (end) => left(name, end) }));

  const left = (name: string, end: MeetingEnd) =>
    show(() =>
      renderLeft(root, {
        roomId,
        end,
        // Rejoin skips the prejoin screen: same name, preferred devices, mic and camera on.
        onRejoin: (code?: string) => {
          if (code) credentials.passcode = code;
          meeting(name, captureLocal({ mic: true, camera: true, micId: getPref('micId') ?? undefined, cameraId: getPref('cameraId') ?? undefined }).then((r) => ({ ...r, micMuted: false })));
        },
      }),
    );

  const nameParam = params.get('name')?.trim() ?? '';
  if (params.get('autojoin') === '1' && !validateName(nameParam)) {
    // Links for kiosks and tests: straight in, default devices, no questions.
    // `&camera=0` / `&mic=0` join without that device (receive-only test participants).
    const camera = params.get('camera') !== '0';
    const mic = params.get('mic') !== '0';
    meeting(nameParam, captureLocal({ mic, camera }).then((r) => ({ ...r, micMuted: false })));
  } else {
    show(() =>
      renderPrejoin(root, {
        roomId,
        initialName: nameParam || getPref('name') || '',
        onJoin: (name, start) => meeting(name, start),
      }),
    );
  }
  return () => cleanup?.();
}
