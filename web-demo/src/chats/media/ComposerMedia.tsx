import { useEffect, useRef, useState } from 'preact/hooks';
import { Icon } from '../../ui/Icon.tsx';
import type { RecordedVoice } from './media.ts';
import { VoiceRecording } from './recorder.ts';
import { formatDuration, holdOutcome, VOICE_LIMIT_MS, VOICE_MIN_MS } from './viewModel.ts';

/** Whether photos keep where they were taken (their GPS position): off unless the person chose it, remembered on this device. */
const KEEP_LOCATION_KEY = 'muster.keepPhotoLocation';
export function keepPhotoLocation(): boolean {
  try {
    return localStorage.getItem(KEEP_LOCATION_KEY) === '1';
  } catch {
    return false;
  }
}

/**
 * The composer's attach button: "Photos & videos" (several at once, each
 * its own message) or "File" (anything, sent as a file card), and
 * whether photos keep their location.
 */
export function AttachButton({ onFiles, disabled }: { onFiles: (files: File[], asFiles: boolean, keepLocation: boolean) => void; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  const [keepLocation, setKeepLocation] = useState(keepPhotoLocation);
  const media = useRef<HTMLInputElement>(null);
  const any = useRef<HTMLInputElement>(null);
  const picked = (input: HTMLInputElement, asFiles: boolean) => {
    const files = [...(input.files ?? [])];
    input.value = '';
    setOpen(false);
    if (files.length) onFiles(files, asFiles, keepLocation);
  };
  const toggleLocation = (on: boolean) => {
    setKeepLocation(on);
    try {
      localStorage.setItem(KEEP_LOCATION_KEY, on ? '1' : '0');
    } catch {
      // Storage refused (private mode): the choice holds for this page only.
    }
  };
  return (
    <span class="attach">
      <button class={`icon-btn${open ? ' active' : ''}`} type="button" aria-label="Attach" title="Attach" data-testid="composer-attach" disabled={disabled} aria-expanded={open} onClick={() => setOpen(!open)}>
        <Icon name="plus" />
      </button>
      {open && (
        <div class="attach-menu" role="menu" data-testid="attach-menu">
          <button type="button" role="menuitem" data-testid="attach-media" onClick={() => media.current?.click()}>
            Photos &amp; videos
          </button>
          <button type="button" role="menuitem" data-testid="attach-file" onClick={() => any.current?.click()}>
            File
          </button>
          <label class="attach-option" title="Photos normally lose the place they were taken (their GPS position) before they are sent">
            <input type="checkbox" data-testid="attach-keep-location" checked={keepLocation} onChange={(e) => toggleLocation(e.currentTarget.checked)} /> Keep photo location
          </label>
        </div>
      )}
      <input ref={media} type="file" accept="image/*,video/*" multiple hidden data-testid="attach-media-input" onChange={(e) => picked(e.currentTarget, false)} />
      <input ref={any} type="file" multiple hidden data-testid="attach-file-input" onChange={(e) => picked(e.currentTarget, true)} />
    </span>
  );
}

type Recording = { rec: VoiceRecording | null; starting: boolean; cancelling: boolean; startY: number; hold: boolean; release?: 'send' | 'cancel' };

/**
 * Voice messages. On a phone (coarse pointer): hold the button to talk,
 * let go to send, slide up to cancel. On a desktop: click to record, then
 * Send or Cancel. At 60 s the recording is sent by itself.
 */
export function VoiceButton({ onVoice, onError, disabled }: { onVoice: (voice: RecordedVoice) => void; onError: (message: string) => void; disabled?: boolean }) {
  const [state, setState] = useState<Recording | null>(null);
  const [, tick] = useState(0);
  const current = useRef<Recording | null>(null);
  const coarse = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
  const set = (s: Recording | null) => {
    current.current = s;
    setState(s);
  };

  const finish = async (outcome: 'send' | 'cancel') => {
    const s = current.current;
    if (!s) return;
    if (!s.rec) {
      // Still asking for the microphone: decide when it answers.
      set({ ...s, release: outcome });
      return;
    }
    set(null);
    if (outcome === 'cancel') {
      s.rec.cancel();
      return;
    }
    if (s.rec.elapsed() < VOICE_MIN_MS) {
      s.rec.cancel();
      onError('Too short to send');
      return;
    }
    try {
      onVoice(await s.rec.finish());
    } catch (e) {
      onError((e as Error).message);
    }
  };

  const start = async (hold: boolean, startY = 0) => {
    if (current.current) return;
    set({ rec: null, starting: true, cancelling: false, startY, hold });
    try {
      const rec = await VoiceRecording.start();
      const s = current.current as Recording | null;
      if (!s) {
        rec.cancel();
        return;
      }
      set({ ...s, rec, starting: false });
      if (s.release) void finish(s.release);
    } catch (e) {
      set(null);
      onError(`The microphone is not available (${(e as Error).message})`);
    }
  };

  // The timer on screen, and the 60 s limit: sent by itself.
  useEffect(() => {
    if (!state?.rec) return;
    const t = setInterval(() => {
      tick((n) => n + 1);
      if ((current.current?.rec?.elapsed() ?? 0) >= VOICE_LIMIT_MS) void finish('send');
    }, 200);
    return () => clearInterval(t);
  }, [state?.rec]);
  useEffect(() => () => current.current?.rec?.cancel(), []);

  if (!VoiceRecording.supported()) return null;
  const elapsed = state?.rec?.elapsed() ?? 0;

  if (coarse) {
    return (
      <>
        <button
          class={`voice-hold${state ? ' recording' : ''}${state?.cancelling ? ' cancelling' : ''}`}
          type="button"
          data-testid="voice-hold"
          disabled={disabled}
          aria-label="Hold to talk"
          onPointerDown={(e) => {
            e.preventDefault();
            (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
            void start(true, e.clientY);
          }}
          onPointerMove={(e) => {
            const s = current.current;
            if (!s) return;
            const cancelling = holdOutcome(e.clientY - s.startY) === 'cancel';
            if (cancelling !== s.cancelling) set({ ...s, cancelling });
          }}
          onPointerUp={(e) => {
            const s = current.current;
            if (s) void finish(holdOutcome(e.clientY - s.startY));
          }}
          onPointerCancel={() => void finish('cancel')}
          onContextMenu={(e) => e.preventDefault()}
        >
          <Icon name="mic" />
        </button>
        {state && (
          <div class={`voice-recording-panel${state.cancelling ? ' cancelling' : ''}`} data-testid="voice-recording" role="status">
            <span class="rec-dot" />
            <span data-testid="voice-timer">{formatDuration(elapsed)}</span>
            <span>{state.cancelling ? 'Release to cancel' : 'Slide up to cancel'}</span>
          </div>
        )}
      </>
    );
  }

  if (state) {
    return (
      <div class="voice-recording-bar" data-testid="voice-recording" role="status">
        <span class="rec-dot" />
        <span data-testid="voice-timer">{state.starting ? 'Starting…' : `${formatDuration(elapsed)} / 1:00`}</span>
        <button class="btn btn-ghost" type="button" data-testid="voice-cancel" onClick={() => void finish('cancel')}>
          Cancel
        </button>
        <button class="btn btn-primary" type="button" data-testid="voice-send" disabled={state.starting} onClick={() => void finish('send')}>
          Send
        </button>
      </div>
    );
  }
  return (
    <button class="icon-btn" type="button" aria-label="Record a voice message" title="Voice message" data-testid="voice-record" disabled={disabled} onClick={() => void start(false)}>
      <Icon name="mic" />
    </button>
  );
}
