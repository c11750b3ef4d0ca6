export { Recorder, RecorderError } from './Recorder.ts';
export { Recording, finishRecording, type RecordingSource, type SourceTrack, type RecordingEvents } from './Recording.ts';
export { LocalDiskStorage, manifestJson, type LocalDiskStorageOptions, type RecordingStorage, type RecordingDescriptions, type SealedDescriptionOpener } from './RecordingStorage.ts';
export { S3RecordingStorage, type S3RecordingOptions, type S3RecordingStorageOptions } from './S3RecordingStorage.ts';
export { recorderConfigFromEnv, resolveFfmpegPath, ffprobeBeside, type RecorderConfig, type ComposeMode } from './config.ts';
export { ffprobe, runFfmpeg, type ProbeResult } from './ffmpeg.ts';
export { summaryOf, type Manifest, type ManifestTrack, type ManifestParticipant, type RecordingInfo, type RecordingState, type RecordingSummary, type RecordingProblemCode } from './manifest.ts';
export { compositeArgs } from './composite.ts';
