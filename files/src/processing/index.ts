/** Media processing of uploaded files: true type, sizes, thumbnails, durations, waveforms, location removal. */
export { analyze, voiceDuration, isBlocked, type Analysis, type AnalyzeOptions, type ByteSource } from './analyze.ts';
export { bufferSource } from './byteSource.ts';
export { serveOnLoopback, type LoopbackSource } from './loopbackSource.ts';
export { IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS, THUMBNAIL_MAX_SIDE, IMAGE_MAX_DECODES } from './images.ts';
export { FFMPEG_MAX_PROCESSES } from './ffmpeg.ts';
export { WAVEFORM_BARS, PCM_RATE, AUDIO_DECODE_TIMEOUT_MS } from './audio.ts';
export { SNIFF_BYTES } from './sniff.ts';
