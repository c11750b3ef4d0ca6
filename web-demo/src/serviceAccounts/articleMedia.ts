/**
 * The media of a rendered article (elements with `data-file-id`, no source):
 * pictures from the media cache (thumbnails, the original on a click), voice
 * as an audio player, video playing in the article with a full-screen
 * control (landscape on a phone where the browser allows it). Reuses the
 * chats' signed links and media cache, so the bytes come with the token.
 */
import { links, playableSource } from '../chats/media/media.ts';
import { cachedMedia } from '../lib/mediaCache.ts';

type Sized = { id: string; size: number };

export async function imageUrl(fileId: string, which: 'thumbnail' | 'original'): Promise<string> {
  const blob = await cachedMedia(which === 'thumbnail' ? `${fileId}~thumb` : fileId, async () => {
    const link = await links().get(fileId);
    return fetch(which === 'thumbnail' ? (link.thumbnailUrl ?? link.url) : link.url);
  });
  return URL.createObjectURL(blob);
}

/** Full screen for a video's frame, then landscape where allowed (a phone); a refusal of either is ignored. */
export async function enterFullscreen(el: HTMLElement): Promise<void> {
  try {
    if (el.requestFullscreen) await el.requestFullscreen();
    else (el.querySelector('video') as (HTMLVideoElement & { webkitEnterFullscreen?: () => void }) | null)?.webkitEnterFullscreen?.();
  } catch {
    return;
  }
  try {
    await (screen.orientation as ScreenOrientation & { lock?: (o: string) => Promise<void> }).lock?.('landscape');
  } catch {
    // Desktops and many browsers refuse the lock: full screen is enough.
  }
}

/**
 * Fills in the media under `root`; `files` are the article's (for their
 * sizes). Returns the clean-up (revokes object URLs).
 */
export function hydrateMedia(root: HTMLElement, files: readonly Sized[]): () => void {
  const urls: (() => void)[] = [];
  let live = true;
  const sizeOf = (id: string) => files.find((f) => f.id === id)?.size ?? 0;
  for (const img of root.querySelectorAll<HTMLImageElement>('img[data-file-id]')) {
    const id = img.dataset.fileId!;
    img.loading = 'lazy';
    img.setAttribute('data-testid', 'article-image');
    void imageUrl(id, 'thumbnail').then((url) => {
      if (!live) return URL.revokeObjectURL(url);
      urls.push(() => URL.revokeObjectURL(url));
      img.src = url;
    }, () => img.classList.add('sa-media-failed'));
    // The original, larger picture on a click, in a new tab of its own signed link.
    img.addEventListener('click', () => void links().get(id).then((l) => window.open(l.url, '_blank', 'noopener')));
  }
  for (const media of root.querySelectorAll<HTMLMediaElement>('video[data-file-id], audio[data-file-id]')) {
    const id = media.dataset.fileId!;
    const isVideo = media.tagName === 'VIDEO';
    media.controls = true;
    media.preload = 'metadata';
    media.setAttribute('playsinline', '');
    media.setAttribute('data-testid', isVideo ? 'article-video' : 'article-audio');
    void playableSource({ id, size: sizeOf(id) }, isVideo ? 'video' : 'voice').then((s) => {
      if (!live) return s.release();
      urls.push(s.release);
      media.src = s.url;
    }, () => media.classList.add('sa-media-failed'));
    if (isVideo) {
      // The video plays in the article; its frame gets a full-screen control of ours (with the landscape lock).
      const frame = root.ownerDocument.createElement('div');
      frame.className = 'sa-video';
      media.replaceWith(frame);
      frame.append(media);
      const button = root.ownerDocument.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-ghost sa-fullscreen';
      button.textContent = 'Full screen';
      button.setAttribute('data-testid', 'article-video-fullscreen');
      button.addEventListener('click', () => void enterFullscreen(frame));
      frame.append(button);
    }
  }
  return () => {
    live = false;
    for (const release of urls) release();
  };
}
