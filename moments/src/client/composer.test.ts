import { describe, expect, it } from 'vitest';
import { draftProblem, mediaKindOf, pickMedia } from './composer.ts';

describe('the composer', () => {
  it('tells pictures and videos by type, else by extension', () => {
    expect(mediaKindOf({ type: 'image/png', name: 'x' })).toBe('image');
    expect(mediaKindOf({ type: 'video/mp4', name: 'x' })).toBe('video');
    expect(mediaKindOf({ type: '', name: 'IMG_1.HEIC' })).toBe('image');
    expect(mediaKindOf({ type: '', name: 'clip.mov' })).toBe('video');
    expect(mediaKindOf({ type: 'application/pdf', name: 'a.pdf' })).toBe('other');
  });

  it('takes up to nine images, one video, never both', () => {
    const ten = Array.from({ length: 10 }, () => 'image' as const);
    expect(pickMedia([], ten)).toEqual({ accepted: [0, 1, 2, 3, 4, 5, 6, 7, 8], refused: 'too-many-images' });
    expect(pickMedia(['image', 'image'], ['image'])).toEqual({ accepted: [0], refused: null });
    expect(pickMedia([], ['video', 'video'])).toEqual({ accepted: [0], refused: 'one-video' });
    expect(pickMedia(['video'], ['image'])).toEqual({ accepted: [], refused: 'mixed' });
    expect(pickMedia(['image'], ['video'])).toEqual({ accepted: [], refused: 'mixed' });
    expect(pickMedia([], ['image', 'other'])).toEqual({ accepted: [0], refused: 'not-media' });
  });

  it('says why a draft cannot go yet', () => {
    const d = { text: '', location: '', media: [] as ('image' | 'video' | 'other')[], visibility: 'friends' as const };
    expect(draftProblem(d)).toMatch(/Write something/);
    expect(draftProblem({ ...d, text: '  hi \n there ' })).toBeNull();
    expect(draftProblem({ ...d, media: ['image'] })).toBeNull();
    expect(draftProblem({ ...d, text: '字'.repeat(2000) })).toBeNull();
    expect(draftProblem({ ...d, text: '字'.repeat(2001) })).toMatch(/2000/);
    expect(draftProblem({ ...d, media: Array.from({ length: 10 }, () => 'image' as const) })).toMatch(/9 photos/);
    expect(draftProblem({ ...d, media: ['image', 'video'] })).toMatch(/not both/);
    expect(draftProblem({ ...d, media: ['video', 'video'] })).toMatch(/One video/);
    expect(draftProblem({ ...d, text: 'x', location: 'a\nb' })).toMatch(/one line/);
    expect(draftProblem({ ...d, text: 'x', location: 'l'.repeat(101) })).toMatch(/100/);
  });
});
