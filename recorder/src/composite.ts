import type { RecorderConfig } from './config.ts';
import type { Manifest, ManifestTrack } from './manifest.ts';

interface Cell {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Where each video track sits in the composite. A grid of every camera seen
 * during the recording; with a screen share, the screen takes the left three
 * quarters and the cameras stack on the right. Cells are fixed for the whole
 * recording, so nobody jumps around when someone joins or leaves: a tile is
 * black until its person arrives and after they go.
 */
export function layoutCells(tracks: ManifestTrack[], width: number, height: number): Map<ManifestTrack, Cell> {
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  const video = tracks.filter((t) => t.kind === 'video' && t.parts.some((p) => p.files.length > 0 && p.startMs !== null));
  const screens = video.filter((t) => t.source === 'screen');
  const cameras = video.filter((t) => t.source !== 'screen');
  const cells = new Map<ManifestTrack, Cell>();
  let area = { x: 0, y: 0, w: width, h: height };
  if (screens.length > 0) {
    const screenWidth = cameras.length > 0 ? even((width * 3) / 4) : width;
    // Screens one after another share the area; they rarely overlap in time.
    for (const s of screens) cells.set(s, { x: 0, y: 0, w: screenWidth, h: even(height) });
    area = { x: screenWidth, y: 0, w: width - screenWidth, h: height };
    cameras.forEach((c, i) => {
      const h = even(area.h / cameras.length);
      cells.set(c, { x: area.x, y: i * h, w: even(area.w), h });
    });
    return cells;
  }
  const cols = Math.max(1, Math.ceil(Math.sqrt(cameras.length)));
  const rows = Math.max(1, Math.ceil(cameras.length / cols));
  const w = even(area.w / cols);
  const h = even(area.h / rows);
  cameras.forEach((c, i) => cells.set(c, { x: (i % cols) * w, y: Math.floor(i / cols) * h, w, h }));
  return cells;
}

/**
 * ffmpeg arguments that compose the window [fromMs, toMs) of a recording
 * into one MP4 (H.264 + AAC): videos placed by layoutCells at their offsets,
 * all audio mixed. Track files keep the RTP timeline they were recorded with
 * (-copyts), so a track's frame at file time t is at part.startMs + t.
 */
export function compositeArgs(
  manifest: Manifest,
  resolveFile: (name: string) => string,
  window: { fromMs: number; toMs: number },
  config: Pick<RecorderConfig, 'width' | 'height' | 'fps' | 'preset'> & { segmentSeconds?: number },
  output: string,
): string[] {
  const segmentMs = (config.segmentSeconds ?? Infinity) * 1000;
  const duration = Math.max(0.1, (window.toMs - window.fromMs) / 1000);
  const { width, height, fps } = config;
  const inputs: string[] = [];
  const filters: string[] = [`color=c=black:s=${width}x${height}:r=${fps}:d=${duration.toFixed(3)}[base0]`];
  const audio: string[] = [];
  const cells = layoutCells(manifest.tracks, width, height);
  let base = 'base0';
  let index = 0;
  const overlaps = (start: number, end: number | null) => start < window.toMs && (end === null || end > window.fromMs);
  for (const track of manifest.tracks) {
    const cell = track.kind === 'video' ? cells.get(track) : undefined;
    if (track.kind === 'video' && !cell) continue;
    for (const part of track.parts) {
      if (part.startMs === null || part.files.length === 0 || !overlaps(part.startMs, part.endMs)) continue;
      const offset = ((part.startMs - window.fromMs) / 1000).toFixed(3);
      for (const [n, file] of part.files.entries()) {
        // Segment n holds about [n, n + 1) segment lengths of the part; video
        // ones run on to the next keyframe. Others cannot touch the window.
        const segmentStart = part.startMs + n * segmentMs;
        if (Number.isFinite(segmentMs) && (segmentStart >= window.toMs || segmentStart + 2 * segmentMs <= window.fromMs)) continue;
        inputs.push('-i', resolveFile(file));
        const i = index++;
        if (track.kind === 'video' && cell) {
          filters.push(
            `[${i}:v]setpts=PTS+${offset}/TB,trim=start=0,fps=${fps},` +
              `scale=${cell.w}:${cell.h}:force_original_aspect_ratio=decrease:force_divisible_by=2,` +
              `pad=${cell.w}:${cell.h}:(ow-iw)/2:(oh-ih)/2,setsar=1[v${i}]`,
          );
          const next = `base${i + 1}`;
          // eof_action=pass: when the track ends (they left), the cell goes back to black.
          filters.push(`[${base}][v${i}]overlay=x=${cell.x}:y=${cell.y}:eof_action=pass:repeatlast=0[${next}]`);
          base = next;
        } else if (track.kind === 'audio') {
          // async resampling fills gaps (DTX silence, loss) and the lead-in
          // before the track started with silence, so every input is on the
          // recording's clock before mixing.
          filters.push(`[${i}:a]asetpts=PTS+${offset}/TB,atrim=start=0,aresample=48000:async=1:first_pts=0[a${i}]`);
          audio.push(`[a${i}]`);
        }
      }
    }
  }
  filters.push(`[${base}]null[vout]`);
  // A silent bed of exactly the window's length leads the mix (duration=first):
  // the audio is as long as the video whether tracks are early, late, or empty here.
  filters.push(`anullsrc=r=48000:cl=stereo,atrim=end=${duration.toFixed(3)}[silence]`);
  filters.push(`[silence]${audio.join('')}amix=inputs=${audio.length + 1}:duration=first:dropout_transition=0:normalize=0[aout]`);
  return [
    '-copyts',
    ...inputs,
    '-filter_complex',
    filters.join(';'),
    '-map',
    '[vout]',
    '-map',
    '[aout]',
    '-c:v',
    'libx264',
    '-preset',
    config.preset,
    '-pix_fmt',
    'yuv420p',
    '-r',
    String(fps),
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    '-t',
    duration.toFixed(3),
    '-movflags',
    '+faststart',
    '-y',
    output,
  ];
}
