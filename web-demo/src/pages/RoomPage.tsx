import { useEffect, useRef, useState } from 'preact/hooks';
import { currentUser, socketAccessToken } from '../account/session.ts';
import { captureLocal } from '../lib/devices.ts';
import { getPref } from '../lib/prefs.ts';
import { isValidRoomCode } from '../lib/roomCode.ts';
import type { LocalStart } from '../meeting/localMedia.ts';
import { MeetingView, type MeetingEnd } from '../meeting/MeetingView.tsx';
import { keepCredentials, takeCredentials } from './credentials.ts';
import { LeftPage } from './LeftPage.tsx';
import { validateName } from './names.ts';
import { NotFoundPage } from './NotFoundPage.tsx';
import { PrejoinPage } from './PrejoinPage.tsx';

type Screen =
  | { name: 'prejoin' }
  /** `attempt` tells one join from the next (a rejoin is a new meeting screen, with a new Room). */
  | { name: 'meeting'; person: string; start: Promise<LocalStart>; attempt: number }
  | { name: 'left'; person: string; end: MeetingEnd };

/** Rejoin skips the prejoin screen: same name, preferred devices, mic and camera on. */
const preferredDevices = () =>
  captureLocal({ mic: true, camera: true, micId: getPref('micId') ?? undefined, cameraId: getPref('cameraId') ?? undefined }).then((r) => ({ ...r, micMuted: false }));

/**
 * /m/<room>: prejoin → meeting → "you left" → (rejoin) meeting, all on one
 * URL, so reloading always lands on the prejoin screen of the same meeting.
 */
export function RoomPage({ roomId, params }: { roomId: string; params: URLSearchParams }) {
  if (!isValidRoomCode(roomId)) return <NotFoundPage message="That meeting code is not valid. Check the link you were sent." />;
  return <Room roomId={roomId} params={params} />;
}

function Room({ roomId, params }: { roomId: string; params: URLSearchParams }) {
  // Read once, on arrival: this also takes them out of the address bar.
  const [credentials] = useState(() => takeCredentials(roomId, params));
  const nameParam = params.get('name')?.trim() ?? '';
  // Signed in, the server names you from your profile: the name here is only what the screens show meanwhile.
  const user = currentUser.value;
  const [screen, setScreen] = useState<Screen>(() => {
    if (params.get('autojoin') === '1' && (user || !validateName(nameParam))) {
      // Links for kiosks and tests: straight in, default devices, no questions.
      // `&camera=0` / `&mic=0` join without that device (receive-only test participants).
      const start = captureLocal({ mic: params.get('mic') !== '0', camera: params.get('camera') !== '0' }).then((r) => ({ ...r, micMuted: false }));
      return { name: 'meeting', person: user?.nickname ?? nameParam, start, attempt: 0 };
    }
    return { name: 'prejoin' };
  });

  useEffect(() => {
    document.title = `${roomId} · Muster`;
  }, []);

  const attempts = useRef(0);
  const meeting = (person: string, start: Promise<LocalStart>) => setScreen({ name: 'meeting', person, start, attempt: ++attempts.current });

  switch (screen.name) {
    case 'prejoin':
      return <PrejoinPage roomId={roomId} initialName={nameParam || getPref('name') || ''} profile={user ? { name: user.nickname, avatar: user.avatar?.large ?? null } : null} onJoin={meeting} />;
    case 'meeting':
      return (
        <MeetingView
          key={screen.attempt}
          roomId={roomId}
          name={screen.person}
          start={screen.start}
          credentials={credentials}
          accessToken={socketAccessToken()}
          onEnd={(end) => setScreen({ name: 'left', person: screen.person, end })}
        />
      );
    case 'left':
      return (
        <LeftPage
          end={screen.end}
          onRejoin={(code) => {
            if (code) {
              credentials.passcode = code;
              keepCredentials(roomId, credentials);
            }
            meeting(screen.person, preferredDevices());
          }}
        />
      );
  }
}
