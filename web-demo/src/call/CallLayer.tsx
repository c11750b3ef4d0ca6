import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallView, IncomingCall } from '@muster/im/client';
import { Avatar } from '../ui/Avatar.tsx';
import { Icon } from '../ui/Icon.tsx';
import { PhoneIcon } from './CallButtons.tsx';
import { playTone } from './ringtone.ts';
import { acceptCall, callError, callMedia, callMinimised, callPeer, callSnapshot, callsClient, currentSession, declineCall, endCall, mark } from './state.ts';
import type { CallMediaState } from './session.ts';
import './call.css';

/**
 * Calls over the whole app, mounted once: the incoming call (caller, accept,
 * decline, a ringtone; the whole screen on a phone), the outgoing "calling…"
 * screen, the call itself (mute, speaker, camera, front/back, voice → video,
 * minimise to a floating window while chatting, hang up), and how the last
 * call ended. The call record itself lands in the chat.
 */
export function CallLayer() {
  const { incoming, current, ended } = callSnapshot.value;
  const media = callMedia.value;
  const error = callError.value;
  const ring = current ? undefined : incoming[0];
  if (ring) return <Incoming ring={ring} />;
  if (current) return <InCall call={current} media={media} />;
  if (ended) return <Ended call={ended} />;
  if (error) return <Toast text={error} onClose={() => (callError.value = null)} />;
  return null;
}

function useTone(tone: 'ring' | 'ringback' | null) {
  useEffect(() => (tone ? playTone(tone) : undefined), [tone]);
}

function Incoming({ ring }: { ring: IncomingCall }) {
  useTone('ring');
  useEffect(() => mark('ring-shown'), [ring.callId]);
  const [busy, setBusy] = useState(false);
  const what = ring.kind === 'group' ? (ring.media === 'video' ? 'invites you to a video meeting' : 'invites you to a meeting') : ring.media === 'video' ? 'Video call' : 'Voice call';
  return (
    <div class="call-incoming" role="dialog" aria-label="Incoming call" data-testid="call-incoming">
      <Avatar name={ring.caller.nickname} src={ring.caller.avatar?.large ?? null} size="lg" />
      <div class="call-name">{ring.caller.nickname}</div>
      <div class="call-status">{what}…</div>
      <div class="call-actions">
        <button type="button" class="call-round call-decline" aria-label="Decline" data-testid="call-decline" disabled={busy} onClick={() => void declineCall(ring)}>
          <PhoneIcon />
        </button>
        <button
          type="button"
          class="call-round call-accept"
          aria-label="Accept"
          data-testid="call-accept"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void acceptCall(ring).finally(() => setBusy(false));
          }}
        >
          {ring.media === 'video' ? <Icon name="video" /> : <PhoneIcon />}
        </button>
      </div>
    </div>
  );
}

function Video({ stream, muted, mirrored, class: className, onFrame }: { stream: MediaStream | null; muted?: boolean; mirrored?: boolean; class: string; onFrame?: () => void }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    video.srcObject = stream;
    if (stream && onFrame && 'requestVideoFrameCallback' in video) video.requestVideoFrameCallback(() => onFrame());
  }, [stream]);
  return <video ref={ref} class={`${className}${mirrored ? ' call-mirrored' : ''}`} autoplay playsinline muted={muted} data-testid={className} />;
}

function Audio({ stream, sinkId }: { stream: MediaStream | null; sinkId: string }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.srcObject = stream;
  }, [stream]);
  useEffect(() => {
    const audio = ref.current as (HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> }) | null;
    if (audio?.setSinkId) void audio.setSinkId(sinkId).catch(() => undefined);
  }, [sinkId]);
  return <audio ref={ref} autoplay />;
}

function InCall({ call, media }: { call: CallView; media: CallMediaState | null }) {
  const peer = callPeer.value ?? { id: call.caller.id, name: call.caller.nickname, avatar: call.caller.avatar?.large ?? null };
  const connected = call.state === 'connected';
  useTone(connected ? null : 'ringback');
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!connected) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [connected]);
  const minimised = callMinimised.value;
  const session = currentSession();
  const remoteVideo = connected ? (media?.remoteVideo ?? null) : null;
  const status = connected ? duration(now - (call.answeredAt ?? now)) : 'Calling…';
  const outputs = media?.outputs ?? [];

  if (minimised) {
    return (
      <button type="button" class="call-floating" aria-label="Back to the call" data-testid="call-floating" onClick={() => (callMinimised.value = false)}>
        {remoteVideo ? <Video stream={remoteVideo} class="call-remote-video" /> : <Avatar name={peer.name} src={peer.avatar} size="md" />}
        <span class="call-floating-status">{status}</span>
        <Audio stream={connected ? (media?.remoteAudio ?? null) : null} sinkId={media?.sinkId ?? ''} />
      </button>
    );
  }
  return (
    <div class={`call-screen${remoteVideo ? ' call-has-video' : ''}`} role="dialog" aria-label="Call" data-testid="call-screen" data-state={call.state}>
      {remoteVideo && <Video stream={remoteVideo} class="call-remote-video" onFrame={() => mark('remote-frame')} />}
      <Audio stream={connected ? (media?.remoteAudio ?? null) : null} sinkId={media?.sinkId ?? ''} />
      {media?.preview && <Video stream={media.preview} muted mirrored class="call-self-video" />}
      <div class="call-top">
        <button type="button" class="call-minimise" aria-label="Minimise" title="Minimise" data-testid="call-minimise" onClick={() => (callMinimised.value = true)}>
          <Icon name="fullscreenExit" />
        </button>
      </div>
      {!remoteVideo && (
        <div class="call-who">
          <Avatar name={peer.name} src={peer.avatar} size="lg" />
          <div class="call-name">{peer.name}</div>
        </div>
      )}
      <div class="call-status" data-testid="call-status">{status}</div>
      {media?.problem && <div class="call-problem">{media.problem}</div>}
      <div class="call-actions">
        <button type="button" class={`call-round${media?.micMuted ? ' call-off' : ''}`} aria-label={media?.micMuted ? 'Unmute' : 'Mute'} aria-pressed={!!media?.micMuted} data-testid="call-mute" onClick={() => void session?.toggleMic()}>
          <Icon name={media?.micMuted ? 'micOff' : 'mic'} />
        </button>
        <button type="button" class={`call-round${media?.cameraOn ? '' : ' call-off'}`} aria-label={media?.cameraOn ? 'Camera off' : call.media === 'voice' ? 'Switch to video' : 'Camera on'} data-testid="call-camera" onClick={() => void session?.toggleCamera()}>
          <Icon name={media?.cameraOn ? 'video' : 'videoOff'} />
        </button>
        {media?.cameraOn && media.canFlip && (
          <button type="button" class="call-round" aria-label="Switch camera" data-testid="call-flip" onClick={() => void session?.flipCamera()}>
            <Icon name="flip" />
          </button>
        )}
        {outputs.length > 1 && (
          <button
            type="button"
            class="call-round"
            aria-label="Switch speaker"
            title={outputs.find((o) => o.deviceId === media?.sinkId)?.label || 'Speaker'}
            data-testid="call-speaker"
            onClick={() => {
              const index = outputs.findIndex((o) => o.deviceId === media?.sinkId);
              session?.setSink(outputs[(index + 1) % outputs.length]!.deviceId);
            }}
          >
            <Icon name="speaker" />
          </button>
        )}
        <button type="button" class="call-round call-decline" aria-label={connected ? 'Hang up' : 'Cancel'} data-testid="call-hangup" onClick={() => void endCall()}>
          <PhoneIcon />
        </button>
      </div>
    </div>
  );
}

const OUTCOMES: Record<string, string> = {
  ended: 'Call ended',
  missed: 'No answer',
  declined: 'Declined',
  cancelled: 'Cancelled',
  busy: 'Busy: they are in another call',
};

function Ended({ call }: { call: CallView }) {
  useEffect(() => {
    const timer = setTimeout(() => callsClient.peek()?.dismissEnded(), 2_500);
    return () => clearTimeout(timer);
  }, [call.id]);
  const text = OUTCOMES[call.state] ?? 'Call ended';
  return <Toast text={call.durationMs !== null ? `${text} · ${duration(call.durationMs)}` : text} onClose={() => callsClient.peek()?.dismissEnded()} testId="call-ended" />;
}

function Toast({ text, onClose, testId = 'call-toast' }: { text: string; onClose: () => void; testId?: string }) {
  return (
    <div class="call-toast" role="status" data-testid={testId}>
      <span>{text}</span>
      <button type="button" aria-label="Close" onClick={onClose}>
        <Icon name="close" />
      </button>
    </div>
  );
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
