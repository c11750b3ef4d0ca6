import { captureLocal } from '../lib/devices.ts';
import { getPref } from '../lib/prefs.ts';
import { isValidRoomCode } from '../lib/roomCode.ts';
import type { JoinCredentials } from '@muster/signaling/client';
import type { LocalStart } from '../meeting/localMedia.ts';
import { renderMeeting, type MeetingEnd } from '../meeting/meeting.ts';
import { renderLeft } from './left.ts';
import { renderNotFound } from './notFound.ts';
import { renderPrejoin, validateName } from './prejoin.ts';
import { removeQueryParams } from '../router.ts';

/** Link parameters that are credentials: ?key= (host key), ?invite= (a role), ?pwd= (the passcode). */
const CREDENTIAL_PARAMS = ['key', 'invite', 'pwd'] as const;
const STORED_CREDENTIALS = 'muster.credentials.';

/**
 * The credentials a meeting link carries, read once and then removed from the
 * address bar (and so from the tab's history, bookmarks and Referer). They
 * stay in this tab's sessionStorage, so a reload still joins as host; a link
 * that carries credentials replaces what the tab had for that meeting.
 */
function takeCredentials(roomId: string, params: URLSearchParams): JoinCredentials {
  const credentials: JoinCredentials = {};
  const hostKey = params.get('key');
  const invite = params.get('invite');
  const passcode = params.get('pwd');
  if (hostKey) credentials.hostKey = hostKey;
  if (invite) credentials.invite = invite;
  if (passcode) credentials.passcode = passcode;
  if (CREDENTIAL_PARAMS.some((name) => params.has(name))) {
    keepCredentials(roomId, credentials);
    removeQueryParams(CREDENTIAL_PARAMS);
    return credentials;
  }
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORED_CREDENTIALS + roomId) ?? 'null') as JoinCredentials | null;
    if (stored && typeof stored === 'object') {
      if (typeof stored.hostKey === 'string') credentials.hostKey = stored.hostKey;
      if (typeof stored.invite === 'string') credentials.invite = stored.invite;
      if (typeof stored.passcode === 'string') credentials.passcode = stored.passcode;
    }
  } catch {
    // No storage (some private modes) or a damaged entry: join without.
  }
  return credentials;
}

function keepCredentials(roomId: string, credentials: JoinCredentials): void {
  try {
    if (Object.keys(credentials).length === 0) sessionStorage.removeItem(STORED_CREDENTIALS + roomId);
    else sessionStorage.setItem(STORED_CREDENTIALS + roomId, JSON.stringify(credentials));
  } catch {
    // Not kept: a reload joins without them, as before.
  }
}

/**
 * /m/<room>: prejoin → meeting → "you left" → (rejoin) meeting, all on one
 * URL, so reloading always lands on the prejoin screen of the same meeting.
 */
export function renderRoomPage(root: HTMLElement, roomId: string, params: URLSearchParams): () => void {
  if (!isValidRoomCode(roomId)) return renderNotFound(root, 'That meeting code is not valid. Check the link you were sent.');
  document.title = `${roomId} · Muster`;
  let cleanup: (() => void) | undefined;
  const credentials = takeCredentials(roomId, params);

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
          if (code) {
            credentials.passcode = code;
            keepCredentials(roomId, credentials);
          }
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
