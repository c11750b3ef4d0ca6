import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@muster/im/client';
import {
  CACHE_MAX_BYTES,
  addPlayed,
  bubbleSize,
  clampZoom,
  doubleTapZoom,
  fileBadge,
  fileIconOf,
  formatBytes,
  formatDuration,
  formatSpeed,
  holdOutcome,
  isDoubleTap,
  isUnplayed,
  levelsToWaveform,
  mediaSummary,
  mediaTypeOf,
  nextUnplayed,
  parsePlayed,
  pickRecorderMime,
  pinchZoom,
  playProgress,
  playsFromCache,
  progressRing,
  swipeTarget,
  viewerItems,
  voiceBubbleWidth,
  voiceFileName,
  waveformBars,
  wantsLandscape,
} from './viewModel.ts';

const voice = (id: string, seq: number, mine = false, extra: Partial<ChatMessage> = {}): ChatMessage =>
  ({ id, key: id, seq, conversationId: 'cv1', senderId: mine ? 'me' : 'ann', type: 'voice', sentAt: seq, mine, file: { id: `fl${id}`, name: 'v.webm', size: 1, mime: 'audio/webm', kind: 'audio', thumbnail: false, durationMs: 3000 }, ...extra }) as ChatMessage;

describe('media view model', () => {
  it('sizes picture bubbles by their dimensions', () => {
    expect(bubbleSize(4000, 3000)).toEqual({ width: 220, height: 165 });
    expect(bubbleSize(1000, 2000)).toEqual({ width: 110, height: 220 });
    expect(bubbleSize(100, 50)).toEqual({ width: 100, height: 72 });
    // A panorama: cropped to the minimum height, not a sliver.
    expect(bubbleSize(10000, 500)).toEqual({ width: 220, height: 72 });
    expect(bubbleSize(undefined, undefined)).toEqual({ width: 165, height: 165 });
  });

  it('formats durations, sizes and speeds', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(400)).toBe('0:01');
    expect(formatDuration(5_400)).toBe('0:05');
    expect(formatDuration(62_000)).toBe('1:02');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(undefined)).toBe('0:00');
    expect(formatBytes(980)).toBe('980 B');
    expect(formatBytes(12 * 1024)).toBe('12 KB');
    expect(formatBytes(3.4 * 1024 * 1024)).toBe('3.4 MB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MB');
    expect(formatSpeed(1.5 * 1024 * 1024)).toBe('1.5 MB/s');
    expect(formatSpeed(0)).toBe('');
  });

  it('summarises media messages in one line', () => {
    expect(mediaSummary({ type: 'image' })).toBe('[Photo]');
    expect(mediaSummary({ type: 'voice', file: { durationMs: 5000 } as ChatMessage['file'] })).toBe('[Voice] 0:05');
    expect(mediaSummary({ type: 'file', file: { name: 'a.pdf' } as ChatMessage['file'] })).toBe('[File] a.pdf');
    expect(mediaSummary({ type: 'text' })).toBe(null);
  });

  it('sends pictures and videos by their type, everything else as a file', () => {
    expect(mediaTypeOf({ type: 'image/jpeg', name: 'a.jpg' })).toBe('image');
    expect(mediaTypeOf({ type: 'image/svg+xml', name: 'a.svg' })).toBe('file');
    expect(mediaTypeOf({ type: 'video/mp4', name: 'a.mp4' })).toBe('video');
    expect(mediaTypeOf({ type: '', name: 'clip.MOV' })).toBe('video');
    expect(mediaTypeOf({ type: 'application/pdf', name: 'a.pdf' })).toBe('file');
  });

  it('records Opus in WebM, else Ogg, else MP4', () => {
    expect(pickRecorderMime((m) => m === 'audio/webm;codecs=opus' || m === 'audio/mp4')).toBe('audio/webm;codecs=opus');
    expect(pickRecorderMime((m) => m.startsWith('audio/ogg'))).toBe('audio/ogg;codecs=opus');
    expect(pickRecorderMime((m) => m === 'audio/mp4')).toBe('audio/mp4');
    expect(pickRecorderMime(() => false)).toBe(null);
    expect(voiceFileName('audio/mp4', 0)).toMatch(/^voice-1970-01-01T00-00-00-000Z\.m4a$/);
    expect(holdOutcome(-100)).toBe('cancel');
    expect(holdOutcome(-20)).toBe('send');
  });

  it('draws voice bubbles and waveforms', () => {
    expect(voiceBubbleWidth(1000)).toBe(96);
    expect(voiceBubbleWidth(60_000)).toBe(240);
    expect(voiceBubbleWidth(10_000)).toBeGreaterThan(96);
    const bars = waveformBars([0, 100, 50, 50], 2);
    expect(bars).toEqual([1, 0.5]);
    expect(waveformBars(undefined, 3)).toEqual([0.12, 0.12, 0.12]);
    expect(waveformBars([0, 0], 2)).toEqual([0.12, 0.12]);
    const wave = levelsToWaveform([0, 0.5, 1, 0.2], 2);
    expect(wave).toEqual([50, 100]);
    expect(levelsToWaveform([], 48)).toHaveLength(48);
  });

  it('plays the next unplayed voice message after one finishes', () => {
    const messages = [voice('a', 1), voice('b', 2, true), voice('c', 3), { ...voice('d', 4), type: 'text' } as ChatMessage, voice('e', 5)];
    expect(nextUnplayed(messages, 'a', new Set(['a']))?.id).toBe('c');
    expect(nextUnplayed(messages, 'a', new Set(['a', 'c']))?.id).toBe('e');
    expect(nextUnplayed(messages, 'e', new Set())).toBe(null);
    expect(nextUnplayed(messages, 'zz', new Set())).toBe(null);
    expect(isUnplayed(voice('x', 9), new Set())).toBe(true);
    expect(isUnplayed(voice('x', 9, true), new Set())).toBe(false);
    expect(isUnplayed(voice('x', 9, false, { file: { ...voice('x', 9).file!, expired: true } }), new Set())).toBe(false);
    expect(addPlayed(['a', 'b'], 'a')).toEqual(['b', 'a']);
    expect(addPlayed(['a', 'b', 'c'], 'd', 3)).toEqual(['b', 'c', 'd']);
    expect(parsePlayed('["a",1]')).toEqual(['a']);
    expect(parsePlayed('nope')).toEqual([]);
  });

  it('picks file icons by kind, then extension', () => {
    expect(fileIconOf({ name: 'x.bin', kind: 'image' })).toBe('image');
    expect(fileIconOf({ name: 'Report.PDF', kind: 'other' })).toBe('pdf');
    expect(fileIconOf({ name: 'a.xlsx', kind: 'other' })).toBe('sheet');
    expect(fileIconOf({ name: 'a.tar.gz', kind: 'other' })).toBe('archive');
    expect(fileIconOf({ name: 'README', kind: 'other' })).toBe('other');
    expect(fileBadge('a.docx')).toBe('DOCX');
    expect(fileBadge('noext')).toBe('FILE');
  });

  it('draws the progress ring', () => {
    const r = progressRing(0.25, 10);
    expect(r.circumference).toBeCloseTo(62.83, 1);
    expect(r.dashOffset).toBeCloseTo(47.12, 1);
    expect(r.percent).toBe(25);
    expect(progressRing(2, 10).dashOffset).toBe(0);
    expect(progressRing(Number.NaN, 10).percent).toBe(0);
  });

  it('pinch-zooms about the fingers\' midpoint', () => {
    // Fingers 100 px apart around (50, 0) spread to 200 px: twice the size, the point under the midpoint stays.
    const z = pinchZoom({ scale: 1, x: 0, y: 0 }, [{ x: 0, y: 0 }, { x: 100, y: 0 }], [{ x: -50, y: 0 }, { x: 150, y: 0 }]);
    expect(z).toEqual({ scale: 2, x: -50, y: 0 });
    // Moving both fingers pans.
    const pan = pinchZoom({ scale: 2, x: 0, y: 0 }, [{ x: 0, y: 0 }, { x: 100, y: 0 }], [{ x: 10, y: 20 }, { x: 110, y: 20 }]);
    expect(pan).toEqual({ scale: 2, x: 10, y: 20 });
    // Kept on screen.
    expect(clampZoom({ scale: 2, x: 1000, y: -1000 }, { width: 400, height: 800 }, { width: 400, height: 300 })).toEqual({ scale: 2, x: 200, y: 0 });
    expect(clampZoom({ scale: 0.5, x: 30, y: 30 }, { width: 400, height: 800 }, { width: 400, height: 300 })).toEqual({ scale: 1, x: 0, y: 0 });
    expect(clampZoom({ scale: 9, x: 0, y: 0 }, { width: 400, height: 800 }, { width: 400, height: 300 }).scale).toBe(5);
  });

  it('zooms in on a double tap and back out on the next', () => {
    const z = doubleTapZoom({ scale: 1, x: 0, y: 0 }, { x: 100, y: -40 }, 2);
    expect(z).toEqual({ scale: 2, x: -100, y: 40 });
    expect(doubleTapZoom(z, { x: 0, y: 0 })).toEqual({ scale: 1, x: 0, y: 0 });
    expect(isDoubleTap({ at: 0, x: 0, y: 0 }, { at: 200, x: 5, y: 5 })).toBe(true);
    expect(isDoubleTap({ at: 0, x: 0, y: 0 }, { at: 400, x: 5, y: 5 })).toBe(false);
    expect(isDoubleTap(null, { at: 0, x: 0, y: 0 })).toBe(false);
  });

  it('swipes between the conversation\'s pictures', () => {
    expect(swipeTarget(-120, 400, 0, 3)).toBe(1);
    expect(swipeTarget(120, 400, 1, 3)).toBe(-1);
    expect(swipeTarget(120, 400, 0, 3)).toBe(0);
    expect(swipeTarget(-30, 400, 0, 3)).toBe(0);
    expect(swipeTarget(-30, 400, 0, 3, -1)).toBe(1);
    expect(swipeTarget(-300, 400, 2, 3)).toBe(0);
    const img = (id: string, extra: Partial<ChatMessage> = {}) => ({ ...voice(id, 1), type: 'image', ...extra }) as ChatMessage;
    expect(viewerItems([img('a'), voice('b', 2), img('c', { recalled: { by: 'x', at: 1 } }), img('d')]).map((m) => m.id)).toEqual(['a', 'd']);
    expect(wantsLandscape(1920, 1080, true)).toBe(true);
    expect(wantsLandscape(1920, 1080, false)).toBe(false);
    expect(wantsLandscape(720, 1280, true)).toBe(false);
  });

  it('voice and video up to 50 MB play through the media cache; larger ones stream from their links; an unknown size only for voice', () => {
    expect(CACHE_MAX_BYTES).toBe(50 * 1024 * 1024);
    expect(playsFromCache({ size: 40_000 }, 'voice')).toBe(true);
    expect(playsFromCache({ size: 3_000_000 }, 'video')).toBe(true);
    expect(playsFromCache({ size: CACHE_MAX_BYTES }, 'video')).toBe(true);
    expect(playsFromCache({ size: CACHE_MAX_BYTES + 1 }, 'video')).toBe(false);
    expect(playsFromCache({ size: 200 * 1024 * 1024 }, 'voice')).toBe(false);
    expect(playsFromCache({ size: 0 }, 'voice')).toBe(true);
    expect(playsFromCache({ size: 0 }, 'video')).toBe(false);
    expect(playsFromCache(undefined, 'video')).toBe(false);
    expect(playsFromCache({ size: Number.NaN }, 'voice')).toBe(false);
  });

  it('a voice message’s progress: by the element’s duration, else by the message’s own (WebM recordings have none)', () => {
    expect(playProgress(1, 4, 10_000)).toBe(0.25);
    expect(playProgress(1, Number.POSITIVE_INFINITY, 4_000)).toBe(0.25);
    expect(playProgress(1, Number.NaN, undefined)).toBe(0);
    expect(playProgress(9, Number.NaN, 4_000)).toBe(1);
  });
});
