import { signal, type Signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import { SignedLinks, Uploader, downloadUrl, type FileLink, type UploadSnapshot } from '@muster/files/client';
import type { ChatMessage, FileView, ImClient } from '@muster/im/client';
import { accounts } from '../../account/session.ts';
import { cachedMedia, keep } from '../../lib/mediaCache.ts';
import { CACHE_MAX_BYTES, addPlayed, mediaTypeOf, parsePlayed, playsFromCache } from './viewModel.ts';

/**
 * The chat media's browser side: one Uploader (tus, resumable) and one
 * signed-link cache for the signed-in person, upload snapshots as signals
 * for the pending bubbles, which voice messages this account has played,
 * and sending picked files and recordings as media messages.
 */

let uploaderInstance: Uploader | null = null;
const snapshots = new Map<string, Signal<UploadSnapshot | null>>();

export function uploader(): Uploader {
  if (!uploaderInstance) {
    const u = (uploaderInstance = new Uploader({ auth: accounts, account: () => accounts.user?.id ?? null }));
    u.on('change', (s) => {
      const sig = snapshots.get(s.id);
      if (sig) sig.value = s;
    });
    accounts.on('signedOut', () => {
      for (const upload of u.uploads) upload.cancel();
    });
    // For the browser tests and the console: the page's uploader.
    (globalThis as { __musterUploader?: Uploader }).__musterUploader = u;
  }
  return uploaderInstance;
}

/** An upload's snapshot as a signal (null when this page has no such upload: it ran before a reload). */
export function uploadSnapshot(uploadId: string): Signal<UploadSnapshot | null> {
  let sig = snapshots.get(uploadId);
  if (!sig) snapshots.set(uploadId, (sig = signal(uploaderInstance?.get(uploadId)?.snapshot ?? null)));
  return sig;
}

let linksInstance: SignedLinks | null = null;
export function links(): SignedLinks {
  if (!linksInstance) {
    const l = (linksInstance = new SignedLinks({ fetch: (path, init) => accounts.fetch(path, init) }));
    accounts.on('signedOut', () => l.clear());
  }
  return linksInstance;
}

/** A file's signed link, kept fresh while the component shows it. */
export function useLink(fileId: string | undefined | null): { link: FileLink | null; error: Error | null } {
  const [link, setLink] = useState<FileLink | null>(() => (fileId ? (links().peek(fileId) ?? null) : null));
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    if (!fileId) return;
    setError(null);
    return links().watch(fileId, setLink, setError);
  }, [fileId]);
  return { link, error };
}

/**
 * A picture's bytes as an object URL: from the media cache (lib/mediaCache.ts,
 * keyed by file id; thumbnails as `<id>~thumb`), else downloaded through its
 * signed link and kept. Revoked when the component goes.
 */
export function useCachedImage(fileId: string | undefined | null, which: 'thumbnail' | 'original'): { src: string | null; error: Error | null } {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    if (!fileId) return;
    let url: string | null = null;
    let live = true;
    const key = which === 'thumbnail' ? `${fileId}~thumb` : fileId;
    cachedMedia(key, async () => {
      const link = await links().get(fileId);
      return fetch(which === 'thumbnail' ? (link.thumbnailUrl ?? link.url) : link.url);
    }).then(
      (blob) => {
        if (!live) return;
        url = URL.createObjectURL(blob);
        setSrc(url);
      },
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [fileId, which]);
  return { src, error };
}

/** A voice message's or video's source to play, and how to let it go. */
export interface PlayableSource {
  url: string;
  /** Read from the media cache (a blob: URL, revoked by `release`), not streamed from the signed link. */
  cached: boolean;
  release(): void;
}

/**
 * Where a voice message or video plays from: its bytes through the media
 * cache (kept for next time, played from a blob: URL, which the CSP's
 * media-src allows) when it is at most 50 MB; larger ones, and any the
 * cache cannot fetch, stream from the signed link (same origin, ranges).
 */
export async function playableSource(file: Pick<FileView, 'id' | 'size'>, type: 'voice' | 'video'): Promise<PlayableSource> {
  if (playsFromCache(file, type)) {
    try {
      const blob = await cachedMedia(file.id, async () => fetch((await links().get(file.id)).url));
      const url = URL.createObjectURL(blob);
      return { url, cached: true, release: () => URL.revokeObjectURL(url) };
    } catch {
      // The cache or the download failed: try the signed link itself below (its refusal is the player's error).
    }
  }
  const link = await links().get(file.id);
  return { url: link.url, cached: false, release: () => undefined };
}

/** A video's source while `active` (it plays), released when it stops or the bubble goes. */
export function usePlayableSource(file: Pick<FileView, 'id' | 'size'> | null, type: 'voice' | 'video', active: boolean): { source: PlayableSource | null; error: Error | null } {
  const [source, setSource] = useState<PlayableSource | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const id = file?.id ?? null;
  useEffect(() => {
    if (!active || !file || !id) return;
    let live = true;
    let got: PlayableSource | null = null;
    setError(null);
    playableSource(file, type).then(
      (s) => {
        if (!live) return s.release();
        got = s;
        setSource(s);
      },
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false;
      got?.release();
      setSource(null);
    };
  }, [id, active]);
  return { source, error };
}

/** Downloads a file through its signed link (`?download=1`: saved, not shown). */
export async function downloadFile(fileId: string, name: string): Promise<void> {
  const link = await links().get(fileId);
  const a = document.createElement('a');
  a.href = downloadUrl(link.url);
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

// ------------------------------------------------------------------ played voice messages

const playedKey = () => `muster.voicePlayed.${accounts.user?.id ?? 'signed-out'}`;
let playedFor: string | null = null;
const playedList = signal<readonly string[]>([]);
const playedSet = signal<ReadonlySet<string>>(new Set());

/** The voice messages this account has played (on this browser). */
export function played(): ReadonlySet<string> {
  const key = playedKey();
  if (playedFor !== key) {
    playedFor = key;
    let raw: string | null = null;
    try {
      raw = localStorage.getItem(key);
    } catch {
      // Storage refused: nothing remembered.
    }
    playedList.value = parsePlayed(raw);
    playedSet.value = new Set(playedList.value);
  }
  return playedSet.value;
}

export function markPlayed(messageId: string): void {
  played();
  if (playedSet.peek().has(messageId)) return;
  playedList.value = addPlayed(playedList.peek(), messageId);
  playedSet.value = new Set(playedList.value);
  try {
    localStorage.setItem(playedKey(), JSON.stringify(playedList.value));
  } catch {
    // Full or refused: remembered for this page only.
  }
}

// ------------------------------------------------------------------ sending

function imageSize(url: string): Promise<{ width: number; height: number } | null> {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => resolve(null);
    img.src = url;
  });
}

/** A picked video's size and length from its metadata (null when this browser cannot read it). */
function videoMeta(url: string): Promise<{ width: number; height: number; durationMs?: number } | null> {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    v.preload = 'metadata';
    v.muted = true;
    const done = (meta: { width: number; height: number; durationMs?: number } | null) => {
      clearTimeout(timer);
      v.removeAttribute('src');
      v.load();
      resolve(meta);
    };
    // A format this browser does not play may never say either way: send without the metadata then.
    const timer = setTimeout(() => done(null), 3_000);
    v.onloadedmetadata = () =>
      done(v.videoWidth > 0 ? { width: v.videoWidth, height: v.videoHeight, ...(Number.isFinite(v.duration) && v.duration > 0 ? { durationMs: Math.round(v.duration * 1000) } : {}) } : null);
    v.onerror = () => done(null);
    v.src = url;
  });
}

/**
 * Sends picked files, each its own message (several photos: several
 * messages, as WeChat), in the order picked: each shows at once with its
 * preview and progress while it uploads, and goes when its upload is done.
 */
export async function sendFiles(client: ImClient, conversationId: string, files: readonly File[], options: { replyTo?: string | null; asFiles?: boolean; keepLocation?: boolean } = {}): Promise<void> {
  const u = uploader();
  for (const file of files) {
    const type = options.asFiles ? 'file' : mediaTypeOf(file);
    // A photo or video shows from the device's own copy while it uploads (a video: its first frame, and it plays).
    const previewUrl = type === 'image' || type === 'video' ? URL.createObjectURL(file) : undefined;
    const size = previewUrl ? await (type === 'image' ? imageSize(previewUrl) : videoMeta(previewUrl)) : null;
    const upload = u.start(file, { conversationId, ...(file.type ? { type: file.type } : {}), ...(options.keepLocation && type === 'image' ? { keepLocation: true } : {}) });
    uploadSnapshot(upload.id).value = upload.snapshot;
    client.conversations.sendMedia(conversationId, {
      type,
      fileId: upload.done,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      file: { name: file.name, size: file.size, mime: file.type, ...(size ? size : {}) },
      local: { uploadId: upload.id, ...(previewUrl ? { previewUrl } : {}) },
    });
    // My own picture or (not too large) video: kept in the media cache under its file id, so it opens without a download.
    if (type === 'image' || (type === 'video' && file.size <= CACHE_MAX_BYTES)) void upload.done.then((fileId) => keep(fileId, file), () => undefined);
  }
}

export interface RecordedVoice {
  blob: Blob;
  mime: string;
  name: string;
  durationMs: number;
  waveform: number[];
}

/** Sends a recording as a voice message. */
export function sendVoice(client: ImClient, conversationId: string, voice: RecordedVoice, replyTo?: string | null): ChatMessage {
  const file = new File([voice.blob], voice.name, { type: voice.mime.split(';')[0]! });
  const upload = uploader().start(file, { conversationId, type: file.type });
  uploadSnapshot(upload.id).value = upload.snapshot;
  // My own recording: in the media cache under its file id, so playing it back needs no download.
  void upload.done.then((fileId) => keep(fileId, file), () => undefined);
  return client.conversations.sendMedia(conversationId, {
    type: 'voice',
    fileId: upload.done,
    ...(replyTo ? { replyTo } : {}),
    file: { name: voice.name, size: file.size, mime: file.type, durationMs: Math.round(voice.durationMs), waveform: voice.waveform },
    local: { uploadId: upload.id },
  });
}
