import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage } from '@muster/im/client';
import { downloadFile, played, uploader, uploadSnapshot, useCachedImage, usePlayableSource } from './media.ts';
import { nowPlaying, playVoice } from './voicePlayer.ts';
import {
  barCount,
  bubbleSize,
  fileBadge,
  fileIconOf,
  formatBytes,
  formatDuration,
  formatSpeed,
  isUnplayed,
  progressRing,
  voiceBubbleWidth,
  wantsLandscape,
  waveformBars,
} from './viewModel.ts';
import './media.css';

function Glyph({ name }: { name: 'play' | 'pause' | 'resume' | 'cancel' | 'full' | 'retry' }) {
  const d = {
    play: 'M8 5.5v13l10.5-6.5z',
    pause: 'M7.5 5.5h3v13h-3zM13.5 5.5h3v13h-3z',
    resume: 'M8 5.5v13l10.5-6.5z',
    cancel: 'M6 6l12 12M18 6 6 18',
    full: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5',
    retry: 'M19 12a7 7 0 1 1-2.05-4.95M19 4.5V9h-4.5',
  }[name];
  const filled = name === 'play' || name === 'pause' || name === 'resume';
  return (
    <svg class="media-glyph" viewBox="0 0 24 24" aria-hidden="true" fill={filled ? 'currentColor' : 'none'} stroke={filled ? 'none' : 'currentColor'} stroke-width="2" stroke-linecap="round">
      <path d={d} />
    </svg>
  );
}

/** The ring, speed and buttons over a media message whose file is still uploading. */
function UploadOverlay({ m, compact = false }: { m: ChatMessage; compact?: boolean }) {
  const uploadId = m.local?.uploadId;
  if (!uploadId || m.state !== 'sending') return null;
  const snap = uploadSnapshot(uploadId).value;
  if (!snap || snap.state === 'done' || snap.state === 'cancelled') return null;
  const upload = uploader().get(uploadId);
  const fraction = snap.total > 0 ? snap.bytesSent / snap.total : 0;
  const ring = progressRing(fraction, 16);
  const paused = snap.state === 'paused' || snap.state === 'failed';
  return (
    <div class={`upload-overlay${compact ? ' compact' : ''}`} data-testid="upload-overlay" data-state={snap.state} data-sent={snap.bytesSent} data-total={snap.total}>
      <svg class="progress-ring" viewBox="0 0 40 40" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={ring.percent} data-testid="upload-progress">
        <circle cx="20" cy="20" r="16" class="ring-track" />
        <circle cx="20" cy="20" r="16" class="ring-bar" stroke-dasharray={ring.circumference} stroke-dashoffset={ring.dashOffset} />
        <text x="20" y="24" text-anchor="middle">
          {ring.percent}%
        </text>
      </svg>
      <span class="upload-speed" data-testid="upload-speed">
        {snap.state === 'failed' ? 'Upload failed' : snap.waiting ? 'Waiting for network' : snap.state === 'paused' ? 'Paused' : snap.state === 'queued' ? 'Waiting…' : formatSpeed(snap.speed)}
      </span>
      <span class="upload-actions">
        <button
          type="button"
          class="media-btn"
          aria-label={paused ? 'Resume the upload' : 'Pause the upload'}
          data-testid={paused ? 'upload-resume' : 'upload-pause'}
          onClick={(e) => {
            e.stopPropagation();
            if (paused) upload?.resume();
            else upload?.pause();
          }}
        >
          <Glyph name={snap.state === 'failed' ? 'retry' : paused ? 'resume' : 'pause'} />
        </button>
        <button
          type="button"
          class="media-btn"
          aria-label="Cancel the upload"
          data-testid="upload-cancel"
          onClick={(e) => {
            e.stopPropagation();
            upload?.cancel();
          }}
        >
          <Glyph name="cancel" />
        </button>
      </span>
    </div>
  );
}

function Expired({ label }: { label: string }) {
  return (
    <div class="media-expired" data-testid="media-expired">
      {label} expired
    </div>
  );
}

function ImageBubble({ m, onOpen }: { m: ChatMessage; onOpen: (m: ChatMessage) => void }) {
  const f = m.file!;
  const size = bubbleSize(f.width, f.height);
  const local = m.local?.previewUrl;
  const stored = !!f.id && !local;
  const { src, error } = useCachedImage(stored ? f.id : null, f.thumbnail ? 'thumbnail' : 'original');
  if (f.expired) return <Expired label="Photo" />;
  const shown = local ?? src;
  return (
    <button
      type="button"
      class="image-bubble"
      style={{ width: `${size.width}px`, height: `${size.height}px` }}
      data-testid="image-bubble"
      aria-label="Open the photo"
      onClick={() => onOpen(m)}
    >
      {shown ? <img src={shown} alt={f.name || 'Photo'} data-testid="image-thumb" draggable={false} /> : <span class="media-loading">{error ? 'Not loaded' : ''}</span>}
      <UploadOverlay m={m} />
    </button>
  );
}

/**
 * A video: its poster (the server's thumbnail through the media cache, or,
 * on the sending device, the picked file's own first frame while it
 * uploads) and its length; tapped, it plays in the page from the device's
 * copy, the media cache (at most 50 MB) or its signed link (larger ones
 * stream).
 */
function VideoBubble({ m }: { m: ChatMessage }) {
  const f = m.file!;
  const size = bubbleSize(f.width, f.height);
  const local = m.local?.previewUrl;
  const stored = !!f.id && !f.expired;
  const [playing, setPlaying] = useState(false);
  const { src: poster } = useCachedImage(stored && f.thumbnail && !local ? f.id : null, 'thumbnail');
  const { source } = usePlayableSource(stored && !local ? f : null, 'video', playing);
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const onChange = () => {
      if (!document.fullscreenElement) {
        try {
          screen.orientation?.unlock?.();
        } catch {
          // Not locked, or not lockable here.
        }
      }
    };
    document.addEventListener('fullscreenchange', onChange);
    return () => document.removeEventListener('fullscreenchange', onChange);
  }, []);
  if (f.expired) return <Expired label="Video" />;
  const fullScreen = async () => {
    const el = video.current;
    if (!el) return;
    try {
      await el.requestFullscreen();
      const coarse = matchMedia('(pointer: coarse)').matches;
      const orientation = screen.orientation as ScreenOrientation & { lock?: (o: string) => Promise<void> };
      if (wantsLandscape(el.videoWidth || f.width, el.videoHeight || f.height, coarse) && orientation?.lock) await orientation.lock('landscape').catch(() => undefined);
    } catch {
      // Full screen refused: it plays in the page.
    }
  };
  const src = local ?? source?.url;
  return (
    <div class="video-bubble" style={{ width: `${size.width}px`, height: playing ? undefined : `${size.height}px` }} data-testid="video-bubble">
      {playing && src ? (
        <>
          <video
            ref={video}
            src={src}
            poster={poster ?? undefined}
            controls
            playsInline
            autoPlay
            preload="metadata"
            data-testid="video-player"
            data-source={local ? 'local' : source?.cached ? 'cache' : 'link'}
            style={{ width: `${size.width}px` }}
          />
          <button type="button" class="media-btn video-full" aria-label="Full screen" data-testid="video-fullscreen" onClick={() => void fullScreen()}>
            <Glyph name="full" />
          </button>
        </>
      ) : (
        <button type="button" class="video-poster" aria-label="Play the video" data-testid="video-play" disabled={!local && (!f.id || m.state === 'sending')} onClick={() => setPlaying(true)}>
          {local ? (
            <video class="video-local-preview" src={local} muted playsInline preload="metadata" data-testid="video-local-preview" aria-hidden="true" />
          ) : poster ? (
            <img src={poster} alt="" data-testid="video-poster" draggable={false} />
          ) : (
            <span class="video-noposter">{f.name}</span>
          )}
          <span class="video-play-icon">
            <Glyph name="play" />
          </span>
          {f.durationMs !== undefined && (
            <span class="video-duration" data-testid="video-duration">
              {formatDuration(f.durationMs)}
            </span>
          )}
        </button>
      )}
      <UploadOverlay m={m} />
    </div>
  );
}

function FileCard({ m }: { m: ChatMessage }) {
  const f = m.file!;
  const icon = fileIconOf(f);
  const [busy, setBusy] = useState(false);
  const uploading = m.state === 'sending' && !!m.local?.uploadId;
  return (
    <button
      type="button"
      class="file-card"
      data-testid="file-card"
      data-icon={icon}
      disabled={f.expired || uploading || !f.id || busy}
      aria-label={`Download ${f.name}`}
      onClick={() => {
        setBusy(true);
        void downloadFile(f.id, f.name).finally(() => setBusy(false));
      }}
    >
      <span class="file-info">
        <b class="file-name" data-testid="file-name">
          {f.name}
        </b>
        <span class="file-size">{f.expired ? 'expired' : formatBytes(f.size)}</span>
      </span>
      <span class={`file-icon icon-${icon}`}>{fileBadge(f.name)}</span>
      {f.expired && <span class="visually-hidden" data-testid="media-expired">expired</span>}
      <UploadOverlay m={m} compact />
    </button>
  );
}

function VoiceBubble({ m }: { m: ChatMessage }) {
  const f = m.file!;
  const width = voiceBubbleWidth(f.durationMs);
  const bars = waveformBars(f.waveform, barCount(width));
  const now = nowPlaying.value;
  const mineNow = now?.messageId === m.id && !!m.id;
  const progress = mineNow ? now.progress : 0;
  const unplayed = isUnplayed(m, played());
  if (f.expired) return <Expired label="Voice message" />;
  return (
    <div class="voice-wrap">
      <button
        type="button"
        class={`voice-bubble${mineNow && now.playing ? ' playing' : ''}`}
        style={{ width: `${width}px` }}
        data-testid="voice-bubble"
        data-playing={String(mineNow && now.playing)}
        aria-label={mineNow && now.playing ? 'Pause the voice message' : 'Play the voice message'}
        disabled={!m.id || !f.id}
        onClick={() => void playVoice(m)}
      >
        <Glyph name={mineNow && now.playing ? 'pause' : 'play'} />
        <span class="voice-wave" aria-hidden="true">
          {bars.map((h, i) => (
            <i key={i} class={i / bars.length < progress ? 'done' : ''} style={{ height: `${Math.round(h * 100)}%` }} />
          ))}
        </span>
        <span class="voice-duration" data-testid="voice-duration">
          {formatDuration(f.durationMs)}
        </span>
      </button>
      {unplayed && <span class="voice-unplayed" data-testid="voice-unplayed" aria-label="Not played" />}
      <UploadOverlay m={m} compact />
    </div>
  );
}

/** A media message's content inside its bubble. */
export function MediaContent({ m, onOpenImage }: { m: ChatMessage; onOpenImage: (m: ChatMessage) => void }) {
  if (!m.file) return <span class="msg-text">[{m.type}]</span>;
  switch (m.type) {
    case 'image':
      return <ImageBubble m={m} onOpen={onOpenImage} />;
    case 'video':
      return <VideoBubble m={m} />;
    case 'voice':
      return <VoiceBubble m={m} />;
    default:
      return <FileCard m={m} />;
  }
}
