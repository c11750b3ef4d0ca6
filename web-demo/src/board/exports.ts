/** Saves a file from the browser (no server round trip: boards may be confidential). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  downloadDataUrl(url, filename);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadDataUrl(url: string, filename: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

/**
 * The shared frame with the marks on it, at the video's own resolution:
 * `marks` is the annotation layer rendered over the same frame (see
 * AnnotationOverlay.renderMarks).
 */
export function compositeFrame(video: HTMLVideoElement, marks: (width: number, height: number) => HTMLCanvasElement): HTMLCanvasElement {
  const width = video.videoWidth || 1280;
  const height = video.videoHeight || 720;
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d')!;
  ctx.drawImage(video, 0, 0, width, height);
  ctx.drawImage(marks(width, height), 0, 0, width, height);
  return out;
}
