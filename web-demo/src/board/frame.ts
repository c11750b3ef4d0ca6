/** Where a video's picture is inside its element (object-fit: contain leaves bars). */
export interface ContentFrame {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function contentFrame(video: HTMLVideoElement): ContentFrame {
  const bw = video.clientWidth;
  const bh = video.clientHeight;
  const vw = video.videoWidth || bw;
  const vh = video.videoHeight || bh;
  if (!bw || !bh || !vw || !vh) return { left: 0, top: 0, width: bw, height: bh };
  const scale = Math.min(bw / vw, bh / vh);
  const width = vw * scale;
  const height = vh * scale;
  return { left: video.offsetLeft + (bw - width) / 2, top: video.offsetTop + (bh - height) / 2, width, height };
}

