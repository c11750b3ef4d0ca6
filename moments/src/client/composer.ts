import type { Visibility } from '../protocol.ts';

// protocol.ts's limits, without zod (its schemas, built at import, probe for eval, which the page's CSP refuses).
export const MAX_POST_CHARS = 2000;
export const MAX_LOCATION_CHARS = 100;
export const MAX_COMMENT_CHARS = 500;
export const MAX_REASON_CHARS = 500;
export const MAX_POST_IMAGES = 9;
export const VISIBILITIES: readonly Visibility[] = ['all', 'friends', 'private'];

/** What a picked file is to a post: a picture, a video, or neither (refused). */
export type MediaKind = 'image' | 'video' | 'other';

export function mediaKindOf(file: { type: string; name: string }): MediaKind {
  if (file.type.startsWith('image/')) return 'image';
  if (file.type.startsWith('video/')) return 'video';
  // Some systems hand over no type: go by the name's extension.
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? '';
  if (['jpg', 'jpeg', 'png', 'gif', 'webp', 'heic', 'heif', 'avif', 'bmp'].includes(ext)) return 'image';
  if (['mp4', 'mov', 'm4v', 'webm', 'mkv', '3gp'].includes(ext)) return 'video';
  return 'other';
}

export type PickRefusal = 'not-media' | 'too-many-images' | 'one-video' | 'mixed';

/**
 * Files picked into a post that has `current` media: which of `picked`
 * (their indexes) join it, and why any did not. A post carries up to nine
 * images or exactly one video, never both; extra images past nine are
 * left out, the first of several videos is taken when the post is empty.
 */
export function pickMedia(current: readonly MediaKind[], picked: readonly MediaKind[]): { accepted: number[]; refused: PickRefusal | null } {
  const accepted: number[] = [];
  let refused: PickRefusal | null = null;
  const kinds = [...current];
  picked.forEach((kind, i) => {
    const hasVideo = kinds.includes('video');
    const images = kinds.filter((k) => k === 'image').length;
    if (kind === 'other') refused ??= 'not-media';
    else if (kind === 'video') {
      if (hasVideo) refused ??= 'one-video';
      else if (images > 0) refused ??= 'mixed';
      else {
        kinds.push(kind);
        accepted.push(i);
      }
    } else if (hasVideo) refused ??= 'mixed';
    else if (images >= MAX_POST_IMAGES) refused ??= 'too-many-images';
    else {
      kinds.push(kind);
      accepted.push(i);
    }
  });
  return { accepted, refused };
}

export function pickRefusalText(refusal: PickRefusal): string {
  switch (refusal) {
    case 'not-media':
      return 'Only photos and videos can be posted.';
    case 'too-many-images':
      return `At most ${MAX_POST_IMAGES} photos in a post.`;
    case 'one-video':
      return 'One video per post.';
    case 'mixed':
      return 'A post has photos or one video, not both.';
  }
}

export interface Draft {
  text: string;
  location: string;
  media: readonly MediaKind[];
  visibility: Visibility;
}

const chars = (s: string) => [...s].length;

/** Why this draft cannot be posted yet (the first reason), or null when it can. */
export function draftProblem(d: Draft): string | null {
  const text = d.text.trim();
  if (!text && d.media.length === 0) return 'Write something or add photos or a video.';
  if (chars(text) > MAX_POST_CHARS) return `At most ${MAX_POST_CHARS} characters.`;
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(d.text)) return 'The text has characters that cannot be posted.';
  if (chars(d.location.trim()) > MAX_LOCATION_CHARS) return `A location is at most ${MAX_LOCATION_CHARS} characters.`;
  if (/[\u0000-\u001f\u007f]/.test(d.location)) return 'A location is one line.';
  if (d.media.includes('other')) return 'Only photos and videos can be posted.';
  const images = d.media.filter((k) => k === 'image').length;
  const videos = d.media.filter((k) => k === 'video').length;
  if (videos > 0 && images > 0) return 'A post has photos or one video, not both.';
  if (videos > 1) return 'One video per post.';
  if (images > MAX_POST_IMAGES) return `At most ${MAX_POST_IMAGES} photos in a post.`;
  if (!VISIBILITIES.includes(d.visibility)) return 'Choose who sees it.';
  return null;
}
