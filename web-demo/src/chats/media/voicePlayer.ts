import { signal } from '@preact/signals';
import type { ChatMessage } from '@muster/im/client';
import { markPlayed, playableSource, played, type PlayableSource } from './media.ts';
import { nextUnplayed, playProgress } from './viewModel.ts';

/**
 * One voice message plays at a time, through one <audio> element (in the
 * page, hidden: the browser tests read it). When one finishes, the next
 * unplayed voice message of the conversation plays, as WeChat.
 *
 * The audio comes through the media cache (lib/mediaCache.ts, keyed by the
 * file's id): played again, or on this device after sending, it needs no
 * download. It plays from a blob: URL (the CSP's media-src allows blob:),
 * revoked when another one plays; a file over 50 MB (no voice message is)
 * or one the cache cannot fetch streams from its signed link.
 */
export interface NowPlaying {
  messageId: string;
  conversationId: string;
  /** 0…1 */
  progress: number;
  playing: boolean;
}

export const nowPlaying = signal<NowPlaying | null>(null);

let audio: HTMLAudioElement | null = null;
/** What the element plays now (its blob: URL is released when the next one starts). */
let current: PlayableSource | null = null;
/** The playing message's own length, for WebM recordings whose element knows none. */
let currentDurationMs: number | undefined;
let messagesOf: ((conversationId: string) => readonly ChatMessage[]) | null = null;

function element(): HTMLAudioElement {
  if (audio) return audio;
  const a = (audio = document.createElement('audio'));
  a.preload = 'auto';
  a.hidden = true;
  a.dataset.testid = 'voice-audio';
  document.body.append(a);
  const update = () => {
    const now = nowPlaying.peek();
    if (!now) return;
    nowPlaying.value = { ...now, progress: playProgress(a.currentTime, a.duration, currentDurationMs), playing: !a.paused && !a.ended };
  };
  a.addEventListener('timeupdate', update);
  a.addEventListener('playing', update);
  a.addEventListener('pause', update);
  a.addEventListener('ended', () => {
    const now = nowPlaying.peek();
    nowPlaying.value = null;
    if (!now || !messagesOf) return;
    const next = nextUnplayed(messagesOf(now.conversationId), now.messageId, played());
    if (next) void playVoice(next);
  });
  a.addEventListener('error', () => {
    nowPlaying.value = null;
  });
  return a;
}

/** Where the player finds a conversation's messages (for "play the next one"). */
export function setVoiceTimeline(get: (conversationId: string) => readonly ChatMessage[]): void {
  messagesOf = get;
}

/** Plays a voice message (or pauses it when it is the one playing). */
export async function playVoice(m: ChatMessage): Promise<void> {
  const a = element();
  const now = nowPlaying.peek();
  if (now?.messageId === m.id) {
    if (a.paused) await a.play().catch(() => undefined);
    else a.pause();
    return;
  }
  const fileId = m.file?.id;
  if (!fileId || !m.id) return;
  a.pause();
  nowPlaying.value = { messageId: m.id, conversationId: m.conversationId, progress: 0, playing: false };
  if (!m.mine) markPlayed(m.id);
  try {
    const source = await playableSource(m.file!, 'voice');
    if (nowPlaying.peek()?.messageId !== m.id) return source.release();
    current?.release();
    current = source;
    currentDurationMs = m.file?.durationMs;
    a.src = source.url;
    a.dataset.messageId = m.id;
    a.dataset.cached = String(source.cached);
    await a.play();
  } catch {
    if (nowPlaying.peek()?.messageId === m.id) nowPlaying.value = null;
  }
}

/** Stops whatever plays (leaving the conversation). */
export function stopVoice(): void {
  audio?.pause();
  nowPlaying.value = null;
}
