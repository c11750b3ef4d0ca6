import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { canSelectSpeaker } from '../lib/devices.ts';
import type { RemoteAudioTrack } from './model.ts';
import type { MeetingStore } from './store.ts';

/**
 * One <audio> element per remote audio track (microphones and shared tab
 * audio). Kept apart from the video tiles so sound never depends on layout,
 * and so the output device is switched in one place.
 */
export function RemoteAudio({ store }: { store: MeetingStore }) {
  const tracks = store.meeting.value.audio;
  const sinkId = store.speakerId.value;
  const retry = store.audioRetry.value;
  return (
    <div class="remote-audio" data-testid="remote-audio" aria-hidden="true">
      {tracks.map((t) => (
        <RemoteAudioElement key={t.sid} audio={t} sinkId={sinkId} retry={retry} onBlocked={store.audioBlocked} />
      ))}
    </div>
  );
}

function RemoteAudioElement({ audio, sinkId, retry, onBlocked }: { audio: RemoteAudioTrack; sinkId: string; retry: number; onBlocked(): void }) {
  const el = useRef<HTMLAudioElement>(null);
  const play = () =>
    el.current?.play().catch((error: Error) => {
      if (error.name === 'NotAllowedError') onBlocked();
    });

  useLayoutEffect(() => {
    const element = el.current!;
    element.srcObject = new MediaStream([audio.track]);
    void play();
  }, [audio.track]);
  useEffect(() => {
    const element = el.current!;
    return () => {
      element.srcObject = null;
    };
  }, []);

  // "Turn on sound" was clicked: a user gesture lets every element play.
  useEffect(() => {
    if (retry) void play();
  }, [retry]);

  useEffect(() => {
    const element = el.current as (HTMLAudioElement & { sinkId?: string; setSinkId?(id: string): Promise<void> }) | null;
    if (!element || !canSelectSpeaker() || element.sinkId === sinkId) return;
    element.setSinkId!(sinkId).catch((error: unknown) => console.warn('[muster] could not switch audio output', error));
  }, [sinkId]);

  return <audio ref={el} autoplay data-audio-participant-id={audio.participantId} data-source={audio.source} />;
}
