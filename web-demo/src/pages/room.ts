import { captureLocal } from '../lib/devices.ts';
import { getPref } from '../lib/prefs.ts';
import { isValidRoomCode } from '../lib/roomCode.ts';
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

  const show = (render: () => () => void) => {
    cleanup?.();
    root.replaceChildren();
    cleanup = render();
  };

  const meeting = (name: string, start: Promise<LocalStart>) =>
    show(() => renderMeeting(root, { roomId, name, start, onEnd: (end) => left(name, end) }));

  const left = (name: string, end: MeetingEnd) =>
    show(() =>
      renderLeft(root, {
        roomId,
        end,
        // Rejoin skips the prejoin screen: same name, preferred devices, mic and camera on.
        onRejoin: () => meeting(name, captureLocal({ mic: true, camera: true, micId: getPref('micId') ?? undefined, cameraId: getPref('cameraId') ?? undefined }).then((r) => ({ ...r, micMuted: false }))),
      }),
    );

  const nameParam = params.get('name')?.trim() ?? '';
  if (params.get('autojoin') === '1' && !validateName(nameParam)) {
    // Links for kiosks and tests: straight in, default devices, no questions.
    meeting(nameParam, captureLocal({ mic: true, camera: true }).then((r) => ({ ...r, micMuted: false })));
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
