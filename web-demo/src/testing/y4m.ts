import fs from 'node:fs';

/**
 * Writes a Y4M (4:2:0) clip for Chromium's --use-file-for-fake-video-capture:
 * moving bars and a moving block over a textured background, so an encoder
 * has detail at every resolution (a flat fake frame would encode to almost
 * nothing and hide layer differences). No ffmpeg needed.
 */
export function writeY4m(path: string, options: { width: number; height: number; frames: number; fps: number }): void {
  const { width, height, frames, fps } = options;
  const fd = fs.openSync(path, 'w');
  try {
    fs.writeSync(fd, `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
    const ySize = width * height;
    const cSize = (width / 2) * (height / 2);
    const frame = Buffer.alloc(ySize + 2 * cSize);
    for (let n = 0; n < frames; n++) {
      for (let y = 0; y < height; y++) {
        const row = y * width;
        for (let x = 0; x < width; x++) {
          // Fine texture (changes every frame a little) plus bars that move.
          const texture = ((x * 7 + y * 13 + n * 5) & 31) * 2;
          const bar = (((x + n * 16) >> 6) & 1) * 90;
          frame[row + x] = 40 + texture + bar;
        }
      }
      // A bright block crossing the frame.
      const bx = Math.floor(((n * 24) % (width - 160)));
      for (let y = height / 3; y < height / 3 + 160; y++) frame.fill(235, y * width + bx, y * width + bx + 160);
      for (let i = 0; i < cSize; i++) {
        frame[ySize + i] = 128 + (((i + n * 3) >> 5) & 15) - 8;
        frame[ySize + cSize + i] = 128 + (((i >> 7) + n) & 15) - 8;
      }
      fs.writeSync(fd, 'FRAME\n');
      fs.writeSync(fd, frame);
    }
  } finally {
    fs.closeSync(fd);
  }
}
