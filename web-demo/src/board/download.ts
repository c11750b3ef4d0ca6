/**
 * Saves a file from the browser (no server round trip: boards may be
 * confidential), through an <a download> the component renders (hidden), so
 * no element is made by hand.
 */
export function saveFile(link: HTMLAnchorElement, file: Blob | string, filename: string): void {
  const url = typeof file === 'string' ? file : URL.createObjectURL(file);
  link.href = url;
  link.download = filename;
  link.click();
  if (typeof file !== 'string') setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The shared frame with the marks on it, at the video's own resolution, as a
 * PNG: `marks` is the annotation layer rendered over the same frame. Drawn on
 * an OffscreenCanvas, which needs no element.
 */
export async function compositeFrame(video: HTMLVideoElement, marks: (width: number, height: number) => CanvasImageSource): Promise<Blob> {
  const width = video.videoWidth || 1280;
  const height = video.videoHeight || 720;
  const out = new OffscreenCanvas(width, height);
  const ctx = out.getContext('2d')!;
  ctx.drawImage(video, 0, 0, width, height);
  ctx.drawImage(marks(width, height), 0, 0, width, height);
  return out.convertToBlob({ type: 'image/png' });
}
